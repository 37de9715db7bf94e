/**
 * The parts of `codex exec --json` output the codex translator relies on
 * as loose zod schemas: unknown fields are always allowed, and
 * fields we only pass through are lenient (`.catch`) so one odd value does not
 * cost the whole event.
 *
 * Observed with codex-cli 0.169.0 and the older streams of upstream takopi.
 */
import * as z from "zod";

export const ThreadStartedSchema = z.looseObject({ thread_id: z.string().min(1) });

export const TurnCompletedSchema = z.looseObject({
  usage: z.record(z.string(), z.unknown()).nullish().catch(null),
});

export const TurnFailedSchema = z.looseObject({
  error: z
    .looseObject({ message: z.string().nullish().catch(null) })
    .nullish()
    .catch(null),
});

/** Top-level `error` (non-fatal; `Reconnecting... n/m` while codex retries). */
export const StreamErrorSchema = z.looseObject({ message: z.string() });

export const TurnRateLimitedSchema = z.looseObject({
  retry_after_ms: z.number().nullish().catch(null),
});

/**
 * `item.started|updated|completed`. Older codex builds used `item_type`
 * instead of `type` (and called the answer `assistant_message`).
 */
export const ItemEventSchema = z.looseObject({
  item: z.looseObject({
    type: z.string().optional().catch(undefined),
    item_type: z.string().optional().catch(undefined),
  }),
});

const ItemId = z.string().min(1);
const Status = z.string().nullish().catch(null);

export const AgentMessageSchema = z.looseObject({
  id: z.string().nullish().catch(null),
  text: z.string(),
  phase: z.string().nullish().catch(null),
});

export const ReasoningSchema = z.looseObject({ id: ItemId, text: z.string().catch("") });

export const CommandExecutionSchema = z.looseObject({
  id: ItemId,
  /** A string in current codex; an argv array in some older builds. */
  command: z.union([z.string(), z.array(z.string())]),
  exit_code: z.number().nullish().catch(null),
  status: Status,
});

export const FileChangeSchema = z.looseObject({
  id: ItemId,
  changes: z
    .array(z.looseObject({ path: z.string().optional().catch(undefined), kind: z.string().optional().catch(undefined) }))
    .nullish()
    .catch(null),
  status: Status,
  error: z.unknown().optional(),
});

export const McpToolCallSchema = z.looseObject({
  id: ItemId,
  server: z.string().nullish().catch(null),
  tool: z.string().nullish().catch(null),
  arguments: z.unknown().optional(),
  result: z.unknown().optional(),
  error: z.unknown().optional(),
  status: Status,
});

export const WebSearchSchema = z.looseObject({
  id: ItemId,
  query: z.string().nullish().catch(null),
  /** Newer codex builds describe what the search did (`{type:"search", query}`, `{type:"open_page", url}`). */
  action: z
    .looseObject({ query: z.string().nullish().catch(null), url: z.string().nullish().catch(null) })
    .nullish()
    .catch(null),
});

export const TodoListSchema = z.looseObject({
  id: ItemId,
  items: z
    .array(z.unknown())
    .nullish()
    .catch(null),
});

export const TodoItemSchema = z.looseObject({
  text: z.string().nullish().catch(null),
  completed: z.boolean().nullish().catch(null),
});

export const ErrorItemSchema = z.looseObject({ id: ItemId, message: z.string().nullish().catch(null) });

/** The flags `codex exec` must get from takopi only (upstream refuses the same ones in `extra_args`). */
const EXEC_ONLY_FLAGS = new Set(["--skip-git-repo-check", "--json", "--output-schema", "--output-last-message", "--color", "-o"]);
const EXEC_ONLY_PREFIXES = ["--output-schema=", "--output-last-message=", "--color="];

/** The first exec-only flag in `args`, or null. */
export function findExecOnlyFlag(args: readonly string[]): string | null {
  for (const arg of args) {
    if (EXEC_ONLY_FLAGS.has(arg)) return arg;
    if (EXEC_ONLY_PREFIXES.some((prefix) => arg.startsWith(prefix))) return arg;
  }
  return null;
}

export const DEFAULT_CODEX_EXTRA_ARGS: readonly string[] = ["-c", "notify=[]"];

/** The `[codex]` table of takopi.toml. */
/** The ways takopi can run codex (`[codex] backend`). */
export const CODEX_BACKENDS = ["app-server", "exec"] as const;
/** app-server: interrupt, steer and approvals need it; `exec` stays as the fallback. */
export const DEFAULT_CODEX_BACKEND: (typeof CODEX_BACKENDS)[number] = "app-server";

/** When codex asks before it acts (`[codex] approval_policy`). */
export const CODEX_APPROVAL_POLICIES = ["never", "on-request", "untrusted"] as const;
export type CodexApprovalPolicy = (typeof CODEX_APPROVAL_POLICIES)[number];

/**
 * The sandbox takopi starts an app-server thread in, per approval policy
 * (null: codex's own config decides, as before approvals existed). Measured
 * with codex 0.169: `on-request` with `workspace-write` runs every command
 * and in-repo patch unasked, so from a phone it would hardly ever ask;
 * `on-request` with `read-only` lets codex read and search freely and asks
 * before anything writes or reaches the network (it runs the command in the
 * sandbox, and asks to run it outside when the sandbox refused). `untrusted`
 * asks before every command codex does not know as read-only (even
 * `echo hi`); once approved, a command runs outside the sandbox.
 */
export const SANDBOX_FOR_POLICY: Record<CodexApprovalPolicy, string | null> = {
  never: null,
  "on-request": "read-only",
  untrusted: "danger-full-access",
};

export const CodexConfigSchema = z.object({
  /** Global codex flags put before `exec` (default disables codex's own notify hook). */
  extra_args: z
    .array(z.string(), { error: "expected a list of strings" })
    .default(() => [...DEFAULT_CODEX_EXTRA_ARGS])
    .superRefine((args, ctx) => {
      const flag = findExecOnlyFlag(args);
      if (flag !== null) ctx.addIssue({ code: "custom", message: `exec-only flag '${flag}' is managed by takopi` });
    }),
  /** `--profile <p>` from codex's own config.toml. */
  profile: z.string().min(1).optional(),
  /** Default `--model`; a chat `/model` override wins. */
  model: z.string().min(1).optional(),
  /**
   * How codex is run: `app-server` (one long-lived `codex app-server` for the
   * bridge, a JSON-RPC thread per session) or `exec` (a `codex exec --json`
   * process per run, as before).
   */
  backend: z.enum(CODEX_BACKENDS, { error: `backend must be one of: ${CODEX_BACKENDS.map((name) => `"${name}"`).join(", ")}` }).default(DEFAULT_CODEX_BACKEND),
  /**
   * When codex asks the chat before it acts (app-server backend only):
   * `never` (it does not ask: today's behaviour), `on-request` (reads run,
   * writes and network ask: the thread runs in codex's read-only sandbox),
   * `untrusted` (every command but known read-only ones asks). See
   * SANDBOX_FOR_POLICY. `codex exec` cannot ask (it runs with approval
   * policy never whatever it is told): with `backend = "exec"` anything but
   * `never` is warned about and behaves as `never`.
   */
  approval_policy: z
    .enum(CODEX_APPROVAL_POLICIES, { error: `approval_policy must be one of: ${CODEX_APPROVAL_POLICIES.map((name) => `"${name}"`).join(", ")}` })
    .default("never"),
});
export type CodexConfig = z.output<typeof CodexConfigSchema>;

/** Short description of a schema failure for a warning's detail. */
export function issuesText(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

// ---- Reading item fields for titles and details ----

export function commandText(command: string | string[]): string {
  if (typeof command === "string") return command;
  const [shell, flag, inner, ...rest] = command;
  if (shell !== undefined && flag !== undefined && inner !== undefined && rest.length === 0 && isShellWrapper(shell, flag)) {
    return `${shell} ${flag} ${quoteShellWord(inner)}`;
  }
  return command.join(" ");
}

const SHELL_WRAPPER_RE = /^(?:\S*\/)?(?:bash|sh|zsh)\s+-l?c\s+([\s\S]+)$/;

function isShellWrapper(shell: string, flag: string): boolean {
  return /^(?:\S*\/)?(?:bash|sh|zsh)$/.test(shell) && (flag === "-lc" || flag === "-c");
}

/**
 * The command a person typed: codex runs everything as `/bin/bash -lc '<cmd>'`,
 * and the wrapper is noise in a progress line. Anything that is not exactly one
 * quoted word after `-lc`/`-c` is shown as is.
 */
export function displayCommand(command: string): string {
  const rest = SHELL_WRAPPER_RE.exec(command.trim())?.[1];
  if (rest === undefined) return command;
  return parseSingleShellWord(rest.trim()) ?? command;
}

/** Decodes one POSIX shell word (quotes and escapes), or null when `text` is not exactly one plain word. */
function parseSingleShellWord(text: string): string | null {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) return null;
      out += text.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i += 1;
      let closed = false;
      while (i < text.length) {
        const c = text.charAt(i);
        if (c === '"') {
          closed = true;
          i += 1;
          break;
        }
        if (c === "$" || c === "`") return null; // expanded by the outer shell: show the original
        if (c === "\\" && i + 1 < text.length && '$`"\\\n'.includes(text.charAt(i + 1))) {
          out += text.charAt(i + 1);
          i += 2;
          continue;
        }
        out += c;
        i += 1;
      }
      if (!closed) return null;
    } else if (ch === "\\") {
      if (i + 1 >= text.length) return null;
      out += text.charAt(i + 1);
      i += 2;
    } else if (/[A-Za-z0-9_./:=,+@%-]/.test(ch)) {
      out += ch;
      i += 1;
    } else {
      return null; // whitespace (a second word), or an unquoted shell metacharacter
    }
  }
  return out === "" ? null : out;
}

function quoteShellWord(word: string): string {
  return /^[A-Za-z0-9_./:=,+@%-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function summarizeToolResult(result: unknown): Record<string, unknown> | null {
  if (typeof result !== "object" || result === null || Array.isArray(result)) return null;
  const record = result as Record<string, unknown>;
  const summary: Record<string, unknown> = {};
  const content = record.content;
  if (Array.isArray(content)) summary.content_blocks = content.length;
  else if (content != null) summary.content_blocks = 1;
  if ("structured_content" in record) summary.has_structured = record.structured_content != null;
  else if ("structured" in record) summary.has_structured = record.structured != null;
  return Object.keys(summary).length > 0 ? summary : null;
}

export function errorMessage(error: unknown): string {
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null && "message" in error) {
    if (typeof error.message === "string") return error.message;
  }
  return JSON.stringify(error);
}

/** A missing status counts as done: older streams omit it on completed items. */
export function isCompleted(status: string | null | undefined): boolean {
  return status == null || status === "completed";
}

/** The text, or null when there is none. */
export function nonEmpty(text: string | null | undefined): string | null {
  return text != null && text !== "" ? text : null;
}

/** What a value is, for an "expected X, found Y" message. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
