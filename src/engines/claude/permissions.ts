/**
 * claude's `can_use_tool` questions as takopi interaction requests, and the
 * person's answers as claude's permission results (`behavior: allow|deny`).
 *
 * Claude Code 2.1.330 semantics, as measured (research note §2):
 * - `deny` with a message: the model gets an error tool_result and the turn goes on;
 *   with `interrupt: true` the turn ends (`error_during_execution`, `aborted_tools`);
 * - `allow` with `updatedPermissions` `addRules` … `destination: "session"`: not
 *   asked again in this session (claude suggests `localSettings`, which would
 *   write `.claude/settings.local.json` into the project: never used here);
 * - AskUserQuestion is answered by `allow` with `updatedInput.answers` keyed by
 *   the question text; ExitPlanMode by allow (leave plan mode) or deny + message
 *   (keep planning, the message is the feedback).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Decider, InteractionAnswer, InteractionRequest, Question } from "../../core/interaction.js";
import type { CanUseTool } from "./protocol.js";

const FILE_TOOLS = new Set(["Write", "Edit", "MultiEdit", "NotebookEdit"]);
/** The longest diff shown with a file request. */
const DIFF_LIMIT = 1500;
const SUMMARY_LIMIT = 200;

/** What the chat is asked for `request`; `plan` is the plan text claude showed with its ExitPlanMode call, if any. */
export function interactionFor(request: CanUseTool, context: { cwd: string; plan: string | null }): InteractionRequest {
  const input = request.input;
  const tool = request.tool_name;
  if (tool === "Bash") {
    return { kind: "command", command: str(input.command) ?? "", cwd: context.cwd, reason: str(input.description) ?? request.description ?? null };
  }
  if (FILE_TOOLS.has(tool)) {
    const file = str(input.file_path) ?? str(input.notebook_path) ?? str(input.path);
    return { kind: "files", files: file === null ? [] : [file], diff: diffOf(tool, input), reason: request.decision_reason ?? null };
  }
  if (tool === "AskUserQuestion") return { kind: "question", questions: questionsOf(input) };
  if (tool === "ExitPlanMode") return { kind: "plan", plan: context.plan ?? str(input.plan) ?? "(claude did not show the plan)" };
  return { kind: "tool", tool, summary: summaryOf(input) };
}

/** claude's permission result for the person's `answer` to `request` (asked as `asked`). */
export function permissionResult(request: CanUseTool, asked: InteractionRequest, answer: InteractionAnswer): Record<string, unknown> {
  const input = request.input;
  switch (answer.kind) {
    case "answers": {
      const answers: Record<string, string> = {};
      for (const [id, chosen] of Object.entries(answer.answers)) if (chosen.length > 0) answers[id] = chosen.join(", ");
      if (Object.keys(answers).length === 0) return deny(`Nobody answered in the chat${by(answer.by)}.`);
      return { behavior: "allow", updatedInput: { ...input, answers } };
    }
    case "plan":
      if (answer.approve) return { behavior: "allow", updatedInput: input };
      return deny(answer.note !== undefined && answer.note !== "" ? `Keep planning: ${answer.note}` : `Keep planning: the plan was not approved${by(answer.by)}.`);
    case "approval":
      switch (answer.decision) {
        case "approve":
          return { behavior: "allow", updatedInput: input };
        case "approve_session":
          return { behavior: "allow", updatedInput: input, updatedPermissions: [{ type: "addRules", rules: sessionRules(request), behavior: "allow", destination: "session" }] };
        case "deny":
          // Nobody decided (a timeout, no chat to ask): takopi refused on its own.
          if (answer.by.userId === null) return deny(`Denied by takopi${note(answer.note)}`);
          return deny(`Denied from the chat${by(answer.by)}${note(answer.note)}`);
        case "stop":
          return { ...deny(`Stopped from the chat${by(answer.by)}${note(answer.note)}`), interrupt: true };
      }
  }
  // Exhaustive above; kept for answers of a newer core this module does not know.
  return deny(`Denied from the chat: no answer for a ${asked.kind} request.`);
}

/**
 * The plan claude wrote during this run, for an ExitPlanMode call whose input
 * had no `plan`: claude keeps it in `$CLAUDE_CONFIG_DIR/plans/<slug>.md` (the
 * path is only named in the tool result, after the decision), so the newest
 * plan file written since `since` is taken.
 */
export async function latestPlanFile(env: NodeJS.ProcessEnv, since: number): Promise<string | null> {
  const dir = join(env.CLAUDE_CONFIG_DIR ?? join(env.HOME ?? homedir(), ".claude"), "plans");
  let newest: { path: string; mtime: number } | null = null;
  try {
    for (const name of await readdir(dir)) {
      if (!name.endsWith(".md")) continue;
      const info = await stat(join(dir, name));
      if (info.mtimeMs >= since && (newest === null || info.mtimeMs > newest.mtime)) newest = { path: join(dir, name), mtime: info.mtimeMs };
    }
    return newest === null ? null : await readFile(newest.path, "utf8");
  } catch {
    return null;
  }
}

/**
 * What "Approve for this session" approves: a Bash command exactly as it was
 * asked, or any later call of another tool. takopi remembers it per session
 * (approvals.ts) as well as telling claude: claude's own session rule neither
 * outlives the process (one per run) nor outranks the `ask` rule for Bash
 * index.ts adds when Bash is not in allowed_tools.
 */
export interface SessionRule {
  toolName: string;
  /** The exact Bash command; undefined: every call of the tool. */
  ruleContent?: string;
}

export function sessionRuleFor(request: CanUseTool): SessionRule {
  const command = str(request.input.command);
  return request.tool_name === "Bash" && command !== null ? { toolName: "Bash", ruleContent: command } : { toolName: request.tool_name };
}

/** Whether `rule` approves `request` (questions and plans are never approved in advance). */
export function ruleApproves(rule: SessionRule, request: CanUseTool): boolean {
  if (request.tool_name === "AskUserQuestion" || request.tool_name === "ExitPlanMode") return false;
  if (rule.toolName !== request.tool_name) return false;
  return rule.ruleContent === undefined || rule.ruleContent === str(request.input.command);
}

/** The rules of claude's own "always allow" suggestion (addRules), else takopi's own. */
function sessionRules(request: CanUseTool): unknown[] {
  for (const suggestion of request.permission_suggestions ?? []) {
    if (typeof suggestion !== "object" || suggestion === null) continue;
    const { type, rules } = suggestion as { type?: unknown; rules?: unknown };
    if (type === "addRules" && Array.isArray(rules) && rules.length > 0) return rules;
  }
  return [sessionRuleFor(request)];
}

function deny(message: string): Record<string, unknown> {
  return { behavior: "deny", message };
}

function by(decider: Decider): string {
  return decider.name !== null && decider.name !== "" ? ` by ${decider.name}` : "";
}

function note(text: string | undefined): string {
  return text !== undefined && text !== "" ? `: ${text}` : ".";
}

function questionsOf(input: Record<string, unknown>): Question[] {
  const raw = Array.isArray(input.questions) ? input.questions : [];
  const out: Question[] = [];
  for (const item of raw) {
    if (typeof item !== "object" || item === null) continue;
    const q = item as Record<string, unknown>;
    const question = str(q.question);
    if (question === null) continue;
    const options = (Array.isArray(q.options) ? q.options : []).flatMap((option) => {
      if (typeof option !== "object" || option === null) return [];
      const label = str((option as Record<string, unknown>).label);
      return label === null ? [] : [{ label, description: str((option as Record<string, unknown>).description) }];
    });
    out.push({ id: question, header: str(q.header), question, options, multiSelect: q.multiSelect === true });
  }
  return out;
}

/** A short unified-looking diff from what the tool input carries (Write: the new content; Edit: old → new). */
function diffOf(tool: string, input: Record<string, unknown>): string | null {
  const lines: string[] = [];
  const add = (prefix: string, text: string): void => {
    for (const line of text.split("\n")) lines.push(`${prefix}${line}`);
  };
  if (tool === "Write") {
    const content = str(input.content);
    if (content === null) return null;
    add("+", content.replace(/\n$/, ""));
  } else if (tool === "Edit") {
    add("-", str(input.old_string) ?? "");
    add("+", str(input.new_string) ?? "");
  } else if (tool === "MultiEdit" && Array.isArray(input.edits)) {
    for (const edit of input.edits) {
      if (typeof edit !== "object" || edit === null) continue;
      if (lines.length > 0) lines.push("…");
      add("-", str((edit as Record<string, unknown>).old_string) ?? "");
      add("+", str((edit as Record<string, unknown>).new_string) ?? "");
    }
  } else if (tool === "NotebookEdit") {
    const source = str(input.new_source);
    if (source === null) return null;
    add("+", source);
  }
  if (lines.length === 0) return null;
  const diff = lines.join("\n");
  return diff.length > DIFF_LIMIT ? `${diff.slice(0, DIFF_LIMIT)}\n…` : diff;
}

function summaryOf(input: Record<string, unknown>): string {
  const text = JSON.stringify(input);
  return text.length > SUMMARY_LIMIT ? `${text.slice(0, SUMMARY_LIMIT)}…` : text;
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}
