// Scenario logic shared by the three dialects: what the request contains
// (tools offered, tool results since the last user message, earlier assistant
// text, cwd) and what the fake model answers with.
import { isObject, type JsonObject } from "./util.js";

export const SCENARIOS = [
  "text",
  "tool",
  "edit",
  "resume",
  "reason",
  "slow",
  "sleep",
  "touch",
  "error401",
  "error500",
  "streamerr",
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export function isScenario(name: string): name is Scenario {
  return (SCENARIOS as readonly string[]).includes(name);
}

export const TEXT_ANSWER = "hello from fake";
export const REASONING_TEXT = "**Planning** the answer";
export const SHELL_COMMAND = "echo hi";
export const SLEEP_COMMAND = `node -e "setTimeout(()=>{},30000)" && echo hi`;
/** A command that changes the working tree, so engines that ask before writing ask (approval tests). */
export const TOUCH_FILE = "approved.txt";
export const TOUCH_COMMAND = `touch ${TOUCH_FILE}`;
export const EDIT_FILE = "hello.txt";
export const EDIT_CONTENT = "hi\n";
export const APPLY_PATCH = `*** Begin Patch\n*** Add File: ${EDIT_FILE}\n+hi\n*** End Patch\n`;

/** A tool as offered by the request, flattened across dialects. */
export interface ToolSpec {
  name: string;
  /** `function` for JSON-schema tools, `custom` for freeform tools, `local_shell` for that builtin. */
  kind: "function" | "custom" | "local_shell";
  schema: JsonObject | null;
}

/** The dialect-independent view of a request. */
export interface Conversation {
  tools: ToolSpec[];
  /** Text of each tool result that follows the last user message. */
  toolResults: string[];
  /** Text of the assistant messages before the last user message. */
  history: string;
  cwd: string | null;
  streaming: boolean;
}

export type ToolCall =
  | { kind: "function"; name: string; arguments: string }
  | { kind: "custom"; name: string; input: string }
  | { kind: "local_shell"; command: string[] };

export type Plan =
  | { kind: "error"; status: 401 | 500 }
  | { kind: "streamerr" }
  | { kind: "unknown_scenario"; scenario: string }
  | { kind: "text"; text: string; reasoning: string | null; slow: boolean }
  | { kind: "tool"; call: ToolCall };

const SHELL_PREFERENCE = ["exec_command", "shell_command", "shell", "Bash", "bash"];
const EDIT_PREFERENCE = ["apply_patch", "Write", "write"];

function text(answer: string): Plan {
  return { kind: "text", text: answer, reasoning: null, slow: false };
}

function schemaProperties(schema: JsonObject | null): JsonObject {
  const props = schema?.properties;
  return isObject(props) ? props : {};
}

function schemaRequired(schema: JsonObject | null): string[] {
  const required = schema?.required;
  return Array.isArray(required) ? required.filter((r): r is string => typeof r === "string") : [];
}

function isArrayType(prop: unknown): boolean {
  if (!isObject(prop)) return false;
  const type = prop.type;
  return type === "array" || (Array.isArray(type) && type.includes("array"));
}

export function findShellTool(tools: ToolSpec[]): ToolSpec | undefined {
  for (const name of SHELL_PREFERENCE) {
    const tool = tools.find((t) => t.name === name);
    if (tool) return tool;
  }
  return (
    tools.find((t) => t.kind === "local_shell") ??
    tools.find((t) => /shell|bash|exec|command/i.test(t.name))
  );
}

export function findEditTool(tools: ToolSpec[]): ToolSpec | undefined {
  for (const name of EDIT_PREFERENCE) {
    const tool = tools.find((t) => t.name === name);
    if (tool) return tool;
  }
  return undefined;
}

/** Shell-tool arguments built from the tool's own JSON schema. */
export function shellCall(tool: ToolSpec, command: string): ToolCall {
  if (tool.kind === "local_shell") return { kind: "local_shell", command: ["bash", "-lc", command] };
  const props = schemaProperties(tool.schema);
  const required = schemaRequired(tool.schema);
  const args: JsonObject = {};
  if ("cmd" in props) {
    args.cmd = command;
  } else {
    args.command = isArrayType(props.command) ? ["bash", "-lc", command] : command;
  }
  if ("description" in props || required.includes("description")) args.description = "Print hi";
  if (required.includes("workdir")) args.workdir = ".";
  if (tool.kind === "custom") return { kind: "custom", name: tool.name, input: command };
  return { kind: "function", name: tool.name, arguments: JSON.stringify(args) };
}

/** A codex shell call asking to run outside the sandbox, when the tool offers `sandbox_permissions`. */
function escalatedShellCall(tool: ToolSpec | undefined, command: string): ToolCall | null {
  if (!tool || !("sandbox_permissions" in schemaProperties(tool.schema))) return null;
  const call = shellCall(tool, command);
  if (call.kind !== "function") return null;
  const args = JSON.parse(call.arguments) as JsonObject;
  return { ...call, arguments: JSON.stringify({ ...args, sandbox_permissions: "require_escalated", justification: `Create ${TOUCH_FILE}?` }) };
}

/** File-write arguments built from the tool's own JSON schema. */
export function editCall(tool: ToolSpec, cwd: string | null): ToolCall {
  if (tool.name === "apply_patch") {
    if (tool.kind === "custom") return { kind: "custom", name: tool.name, input: APPLY_PATCH };
    return {
      kind: "function",
      name: tool.name,
      arguments: JSON.stringify({ input: APPLY_PATCH, patch: APPLY_PATCH }),
    };
  }
  const props = schemaProperties(tool.schema);
  const absolute = cwd === null ? EDIT_FILE : `${cwd.replace(/\/+$/, "")}/${EDIT_FILE}`;
  const args: JsonObject = {};
  if ("file_path" in props) args.file_path = absolute;
  else if ("filePath" in props) args.filePath = absolute;
  else args.path = "path" in props ? absolute : EDIT_FILE;
  args.content = EDIT_CONTENT;
  if (tool.kind === "custom") return { kind: "custom", name: tool.name, input: EDIT_CONTENT };
  return { kind: "function", name: tool.name, arguments: JSON.stringify(args) };
}

const CWD_PATTERNS: RegExp[] = [
  /<cwd>\s*(\/[^<]*?)\s*<\/cwd>/,
  /Current working directory:\s*(\/[^\s"\\<]+)/,
  /Working directory:\s*(\/[^\s"\\<]+)/,
  /\\"cwd\\"\s*:\s*\\"(\/[^"\\]+)/,
  /"cwd"\s*:\s*"(\/[^"\\]+)/,
];

/** The cwd the engine announced in its prompt (or headers), if any. */
export function findCwd(body: unknown, headers: Record<string, unknown>): string | null {
  for (const haystack of [JSON.stringify(body), JSON.stringify(headers)]) {
    for (const pattern of CWD_PATTERNS) {
      const match = pattern.exec(haystack);
      if (match?.[1] !== undefined) return match[1];
    }
  }
  return null;
}

/**
 * Decide the answer. Error, streamerr, resume, slow and reason apply to every
 * request; tool/edit/sleep only to requests that offer tools (title requests
 * and the like get plain text).
 */
export function planFor(scenario: string, conv: Conversation): Plan {
  if (!isScenario(scenario)) return { kind: "unknown_scenario", scenario };
  switch (scenario) {
    case "error401":
      return { kind: "error", status: 401 };
    case "error500":
      return { kind: "error", status: 500 };
    case "streamerr":
      return { kind: "streamerr" };
    case "resume":
      return text(conv.history.includes(TEXT_ANSWER) ? "resumed with history" : "no history");
    case "slow":
      return { kind: "text", text: TEXT_ANSWER, reasoning: null, slow: true };
    case "reason":
      return { kind: "text", text: TEXT_ANSWER, reasoning: REASONING_TEXT, slow: false };
    case "text":
      return text(TEXT_ANSWER);
    case "tool":
    case "sleep":
    case "touch": {
      if (conv.tools.length === 0) return text(TEXT_ANSWER);
      if (scenario === "touch" && conv.toolResults.length === 1 && /read-only file system/i.test(conv.toolResults[0] ?? "")) {
        // As codex (0.169, approval_policy on-request) tells the model: a command its sandbox refused is
        // rerun with `sandbox_permissions: "require_escalated"` and a justification, which asks the user.
        const escalated = escalatedShellCall(findShellTool(conv.tools), TOUCH_COMMAND);
        if (escalated) return { kind: "tool", call: escalated };
      }
      if (conv.toolResults.length > 0) {
        if (scenario === "sleep") return text("slept");
        // The result is echoed so tests can tell a denied call (the engine's refusal text) from a run one.
        if (scenario === "touch") return text(`touch done: ${conv.toolResults.join(" | ").slice(0, 300)}`);
        const printed = conv.toolResults.some((r) => /\bhi\b/.test(r));
        return text(printed ? "the command printed hi" : "the command did not print hi");
      }
      const shell = findShellTool(conv.tools);
      if (!shell) return text("fake-llm: no shell tool offered");
      const command = scenario === "sleep" ? SLEEP_COMMAND : scenario === "touch" ? TOUCH_COMMAND : SHELL_COMMAND;
      return { kind: "tool", call: shellCall(shell, command) };
    }
    case "edit": {
      if (conv.tools.length === 0) return text(TEXT_ANSWER);
      if (conv.toolResults.length > 0) return text("file written");
      const tool = findEditTool(conv.tools);
      if (!tool) return text("fake-llm: no edit tool offered");
      return { kind: "tool", call: editCall(tool, conv.cwd) };
    }
  }
}
