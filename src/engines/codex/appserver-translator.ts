/**
 * codex app-server notifications (one thread's, one turn's) → takopi events.
 *
 * The notifications are rewritten into the `codex exec --json` events they
 * correspond to and handed to the exec translator, so both backends produce
 * the very same actions, titles, answers and errors — rendering, resume lines
 * and `takopi replay` cannot tell them apart.
 *
 * Deltas (`item/agentMessage/delta`, …) are ignored: only completed items
 * count, so a partial answer that a steer or an interrupt cut short (it never
 * gets `item/completed`) is dropped.
 */
import type { TakopiEvent } from "../../core/events.js";
import type { EngineTranslator, ProcessExit, TranslatorContext } from "../backend.js";
import { isRecord } from "../tool-actions.js";
import { CodexTranslator } from "./translator.js";

type Json = Record<string, unknown>;

/** App-server item types → exec item types (the ones the exec translator knows). */
const ITEM_TYPES: Record<string, string> = {
  agentMessage: "agent_message",
  reasoning: "reasoning",
  commandExecution: "command_execution",
  fileChange: "file_change",
  mcpToolCall: "mcp_tool_call",
  webSearch: "web_search",
};

/** App-server statuses are camelCase (`inProgress`); exec's are snake_case. */
function snake(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function joinText(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.filter((part): part is string => typeof part === "string").join("\n");
  return "";
}

/** One app-server item as the exec translator expects it; null for items it has no use for. */
export function execItem(item: Json): Json | null {
  const type = typeof item.type === "string" ? ITEM_TYPES[item.type] : undefined;
  if (type === undefined) return null;
  const status = typeof item.status === "string" ? snake(item.status) : null;
  switch (type) {
    case "reasoning": {
      const summary = joinText(item.summary);
      return { id: item.id, type, text: summary !== "" ? summary : joinText(item.content) };
    }
    case "command_execution":
      return { id: item.id, type, command: item.command, exit_code: item.exitCode ?? null, status, aggregated_output: item.aggregatedOutput ?? null };
    case "file_change": {
      const changes = Array.isArray(item.changes) ? item.changes.filter(isRecord).map(execChange) : null;
      return { id: item.id, type, changes, status };
    }
    default:
      return { ...item, type, ...(status !== null ? { status } : {}) };
  }
}

/** A change's `kind` is `{type: "add"}` (or a bare string in some builds). */
function execChange(change: Json): Json {
  const kind = isRecord(change.kind) ? change.kind.type : change.kind;
  return { path: change.path, kind: typeof kind === "string" ? kind : undefined };
}

/**
 * Adds one `thread/tokenUsage/updated` to the turn's usage, in exec's
 * `turn.completed.usage` shape (`input_tokens`, `cached_input_tokens`,
 * `output_tokens`, …). Each update is one model request (`last`); exec
 * reports the turn's sum, so the lasts are added up.
 */
export function addUsage(sum: Json | null, tokenUsage: unknown): Json | null {
  if (!isRecord(tokenUsage) || !isRecord(tokenUsage.last)) return sum;
  const usage: Json = { ...sum };
  for (const [key, value] of Object.entries(tokenUsage.last)) {
    if (typeof value !== "number" || key === "totalTokens") continue;
    const name = snake(key);
    usage[name] = (typeof usage[name] === "number" ? usage[name] : 0) + value;
  }
  return usage;
}

export class AppServerTranslator implements EngineTranslator {
  readonly #ctx: TranslatorContext;
  readonly #exec: CodexTranslator;
  #thread: string | null = null;
  #usage: Json | null = null;

  constructor(context: TranslatorContext) {
    this.#ctx = context;
    this.#exec = new CodexTranslator(context);
  }

  translate(value: unknown): TakopiEvent[] {
    if (!isRecord(value) || typeof value.method !== "string") {
      this.#ctx.debug("codex app-server: ignoring a line without a method", {});
      return [];
    }
    const params = isRecord(value.params) ? value.params : {};
    const exec = this.#rewrite(value.method, params);
    return exec === null ? [] : this.#exec.translate(exec);
  }

  finish(exit: ProcessExit): TakopiEvent[] {
    const why = exit.stderrTail !== "" ? `\n${exit.stderrTail}` : "";
    return [this.#ctx.events.completed({ ok: false, error: `codex app-server ended without finishing its turn${why}`, resume: this.#ctx.events.resume ?? this.#ctx.resume })];
  }

  #rewrite(method: string, params: Json): Json | null {
    switch (method) {
      case "thread/started": {
        const thread = isRecord(params.thread) ? params.thread : {};
        // The runner announces the thread after thread/start or thread/resume; codex may announce it again.
        if (typeof thread.id !== "string" || this.#thread !== null) return null;
        this.#thread = thread.id;
        return { type: "thread.started", thread_id: thread.id };
      }
      case "turn/started":
        this.#usage = null;
        return { type: "turn.started" };
      case "item/started":
      case "item/completed": {
        const item = isRecord(params.item) ? execItem(params.item) : null;
        return item === null ? null : { type: method === "item/started" ? "item.started" : "item.completed", item };
      }
      case "thread/tokenUsage/updated":
        this.#usage = addUsage(this.#usage, params.tokenUsage);
        return null;
      case "error": {
        const error = isRecord(params.error) ? params.error : {};
        return typeof error.message === "string" ? { type: "error", message: error.message } : null;
      }
      case "turn/completed":
        return this.#turnCompleted(params);
      default:
        return null;
    }
  }

  #turnCompleted(params: Json): Json {
    const turn = isRecord(params.turn) ? params.turn : {};
    if (turn.status === "completed") return { type: "turn.completed", usage: this.#usage };
    const error = isRecord(turn.error) && typeof turn.error.message === "string" ? turn.error.message : null;
    const message = error ?? (turn.status === "interrupted" ? "codex turn was interrupted" : "codex turn failed");
    return { type: "turn.failed", error: { message } };
  }
}

/**
 * The codex translator for a stream of either backend: app-server
 * notifications carry a `method`, exec events a `type`. Decided on the first
 * line, so `takopi replay --engine codex` takes both kinds of recording.
 */
export class CodexStreamTranslator implements EngineTranslator {
  readonly #ctx: TranslatorContext;
  #inner: EngineTranslator | null = null;

  constructor(context: TranslatorContext) {
    this.#ctx = context;
  }

  translate(value: unknown): TakopiEvent[] {
    this.#inner ??= isRecord(value) && typeof value.method === "string" ? new AppServerTranslator(this.#ctx) : new CodexTranslator(this.#ctx);
    return this.#inner.translate(value);
  }

  finish(exit: ProcessExit): TakopiEvent[] {
    this.#inner ??= new CodexTranslator(this.#ctx);
    return this.#inner.finish(exit);
  }
}
