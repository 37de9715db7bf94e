/**
 * The codex JSONL stream → takopi events. How the engine behaves, and its argv, are in index.ts.
 */
import type * as z from "zod";
import type { ActionEvent, ActionPhase, ResumeToken, TakopiEvent } from "../../core/events.js";
import { relativizeCommand, relativizePath } from "../../util/paths.js";
import { failedExitEvents } from "../backend.js";
import { isRecord } from "../tool-actions.js";
import type { EngineTranslator, ProcessExit, TranslatorContext } from "../backend.js";
import {
  AgentMessageSchema,
  CommandExecutionSchema,
  ErrorItemSchema,
  FileChangeSchema,
  ItemEventSchema,
  McpToolCallSchema,
  ReasoningSchema,
  StreamErrorSchema,
  ThreadStartedSchema,
  TodoItemSchema,
  TodoListSchema,
  TurnCompletedSchema,
  TurnFailedSchema,
  TurnRateLimitedSchema,
  WebSearchSchema,
  commandText,
  describeValue,
  displayCommand,
  errorMessage,
  isCompleted,
  issuesText,
  nonEmpty,
  summarizeToolResult,
} from "./schema.js";

const ENGINE = "codex";
const TITLE = "codex";

/** `Reconnecting... 1/5` or, in current codex, `Reconnecting... 1/5 (<reason>)`. */
const RECONNECT_RE = /^Reconnecting\.{3}\s*(\d+)\/(\d+)(?:\s*\((.*)\))?\s*$/is;
const RECONNECT_ID = "codex.reconnect";

interface AgentMessage {
  text: string;
  phase: string | null;
}

export class CodexTranslator implements EngineTranslator {
  readonly #ctx: TranslatorContext;
  #turnIndex = 0;
  /** Agent messages of the current turn, for the final-answer choice. */
  #messages: AgentMessage[] = [];
  /** The open `codex.reconnect` action, closed once codex makes progress again. */
  #reconnect: { title: string; detail: Record<string, unknown> } | null = null;

  constructor(context: TranslatorContext) {
    this.#ctx = context;
  }

  translate(value: unknown): TakopiEvent[] {
    // Every line is an object with a string `type`; checked by hand, as a zod parse of each line would copy it whole.
    if (!isRecord(value) || typeof value.type !== "string") {
      this.#ctx.debug("codex: ignoring a line without a string type", { value: describeValue(value) });
      return [];
    }
    const type = value.type;
    switch (type) {
      case "thread.started":
        return this.#threadStarted(value);
      case "turn.started":
        return this.#turnStarted();
      case "turn.completed":
        return this.#turnCompleted(value);
      case "turn.failed":
        return this.#turnFailed(value);
      case "turn.rate_limited":
        return this.#rateLimited(value);
      case "error":
        return this.#streamError(value);
      case "item.started":
        return this.#item(type, "started", value);
      case "item.updated":
        return this.#item(type, "updated", value);
      case "item.completed":
        return this.#item(type, "completed", value);
      default:
        this.#ctx.debug("codex: ignoring unknown event type", { type });
        return [];
    }
  }

  finish(exit: ProcessExit): TakopiEvent[] {
    const events = this.#ctx.events;
    const answer = this.#finalAnswer();
    if (exit.exitCode !== 0) {
      return failedExitEvents(events, "codex exec", exit, { answer, resume: this.#resume() });
    }
    if (events.resume === null) {
      return [
        events.completed({
          ok: false,
          answer,
          error: "codex exec finished but no session_id/thread_id was captured",
          resume: this.#ctx.resume,
        }),
      ];
    }
    // Upstream calls exit 0 with a session success; a stream cut short then reads as a finished answer.
    const error = "codex exec ended without finishing its turn (no turn.completed in its output); the answer may be incomplete";
    return [events.completed({ ok: false, answer, error })];
  }

  #threadStarted(value: unknown): TakopiEvent[] {
    const parsed = ThreadStartedSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("thread.started", parsed.error);
    const resume = { engine: ENGINE, value: parsed.data.thread_id };
    return [this.#ctx.events.started(resume, this.#ctx.title ?? TITLE)];
  }

  #turnStarted(): TakopiEvent[] {
    const id = `turn_${this.#turnIndex}`;
    this.#turnIndex += 1;
    this.#messages = [];
    return [this.#ctx.events.action({ id, kind: "turn", title: "turn started", phase: "started" })];
  }

  #turnCompleted(value: unknown): TakopiEvent[] {
    const parsed = TurnCompletedSchema.safeParse(value);
    const usage = parsed.success ? (parsed.data.usage ?? null) : null;
    return [
      ...this.#closeReconnect(),
      this.#ctx.events.completed({ ok: true, answer: this.#finalAnswer(), usage, resume: this.#resume() }),
    ];
  }

  #turnFailed(value: unknown): TakopiEvent[] {
    const parsed = TurnFailedSchema.safeParse(value);
    const message = parsed.success ? parsed.data.error?.message : null;
    return [
      this.#ctx.events.completed({
        ok: false,
        answer: this.#finalAnswer(),
        error: message != null && message !== "" ? message : "codex turn failed",
        resume: this.#resume(),
      }),
    ];
  }

  #rateLimited(value: unknown): TakopiEvent[] {
    const parsed = TurnRateLimitedSchema.safeParse(value);
    const retry = parsed.success ? parsed.data.retry_after_ms : null;
    const message = retry != null ? `rate limited (retry after ${retry}ms)` : "rate limited";
    return [this.#ctx.events.note(message)];
  }

  /** Top-level `error`: a reconnect notice, or a warning; never fatal (as upstream). */
  #streamError(value: unknown): TakopiEvent[] {
    const parsed = StreamErrorSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("error", parsed.error);
    const message = parsed.data.message;
    const match = RECONNECT_RE.exec(message.trim());
    if (match === null) return [this.#ctx.events.note(message === "" ? "codex error" : message)];
    const attempt = Number(match[1]);
    const max = Number(match[2]);
    const detail: Record<string, unknown> = { attempt, max };
    if (match[3] !== undefined) detail.reason = match[3];
    this.#reconnect = { title: message, detail };
    return [
      this.#ctx.events.action({
        id: RECONNECT_ID,
        kind: "note",
        title: message,
        detail,
        phase: attempt <= 1 ? "started" : "updated",
        level: "info",
      }),
    ];
  }

  #item(type: string, phase: ActionPhase, value: unknown): TakopiEvent[] {
    // ItemEventSchema by hand on the hot path (each tool call is two of these lines); the schema explains a bad one.
    const item = isRecord(value) ? value.item : undefined;
    if (!isRecord(item)) {
      const parsed = ItemEventSchema.safeParse(value);
      return parsed.success ? [] : this.#invalid(type, parsed.error);
    }
    let itemType = typeof item.type === "string" ? item.type : typeof item.item_type === "string" ? item.item_type : undefined;
    if (itemType === "assistant_message") itemType = "agent_message";
    const events: TakopiEvent[] = this.#closeReconnect();
    switch (itemType) {
      case "agent_message":
        events.push(...this.#agentMessage(phase, item));
        break;
      case "reasoning":
        events.push(...this.#reasoning(phase, item));
        break;
      case "command_execution":
        events.push(...this.#command(phase, item));
        break;
      case "file_change":
        events.push(...this.#fileChange(phase, item));
        break;
      case "mcp_tool_call":
        events.push(...this.#mcpToolCall(phase, item));
        break;
      case "web_search":
        events.push(...this.#webSearch(phase, item));
        break;
      case "todo_list":
        events.push(...this.#todoList(phase, item));
        break;
      case "error":
        events.push(...this.#errorItem(phase, item));
        break;
      default:
        // collab_tool_call and item types newer than this translator: no events, and the stream goes on.
        this.#ctx.debug("codex: ignoring item type", { item_type: itemType ?? null });
    }
    return events;
  }

  #agentMessage(phase: ActionPhase, raw: unknown): TakopiEvent[] {
    const parsed = AgentMessageSchema.safeParse(raw);
    if (!parsed.success) return this.#invalidItem("agent_message", parsed.error);
    const { id, text } = parsed.data;
    const messagePhase = parsed.data.phase ?? null;
    if (phase === "completed") this.#messages.push({ text, phase: messagePhase });
    if (messagePhase !== "commentary" || id == null || id === "") return [];
    return [this.#itemAction(phase, { id, kind: "note", title: text, detail: { phase: "commentary" } })];
  }

  #reasoning(phase: ActionPhase, raw: unknown): TakopiEvent[] {
    const parsed = ReasoningSchema.safeParse(raw);
    if (!parsed.success) return this.#invalidItem("reasoning", parsed.error);
    return [this.#itemAction(phase, { id: parsed.data.id, kind: "note", title: parsed.data.text, detail: {} })];
  }

  #command(phase: ActionPhase, raw: unknown): TakopiEvent[] {
    const parsed = CommandExecutionSchema.safeParse(raw);
    if (!parsed.success) return this.#invalidItem("command_execution", parsed.error);
    const { id, exit_code: exitCode, status } = parsed.data;
    const command = commandText(parsed.data.command);
    const title = relativizeCommand(displayCommand(command), this.#ctx.cwd);
    if (phase !== "completed") {
      return [this.#ctx.events.action({ id, kind: "command", title, detail: { command }, phase })];
    }
    const ok = isCompleted(status) && (exitCode == null || exitCode === 0);
    return [
      this.#ctx.events.action({
        id,
        kind: "command",
        title,
        detail: { command, exit_code: exitCode ?? null, status: status ?? null },
        phase,
        ok,
      }),
    ];
  }

  #fileChange(phase: ActionPhase, raw: unknown): TakopiEvent[] {
    if (phase !== "completed") return [];
    const parsed = FileChangeSchema.safeParse(raw);
    if (!parsed.success) return this.#invalidItem("file_change", parsed.error);
    const { id, status } = parsed.data;
    const changes = (parsed.data.changes ?? []).map((change) => ({ path: change.path ?? "", kind: change.kind ?? "update" }));
    const paths = changes.map((change) => change.path).filter((path) => path !== "");
    let title: string;
    if (paths.length > 0) title = paths.map((path) => relativizePath(path, this.#ctx.cwd)).join(", ");
    else title = changes.length > 0 ? `${changes.length} files` : "files";
    return [
      this.#ctx.events.action({
        id,
        kind: "file_change",
        title,
        detail: { changes, status: status ?? null, error: parsed.data.error ?? null },
        phase,
        ok: isCompleted(status),
      }),
    ];
  }

  #mcpToolCall(phase: ActionPhase, raw: unknown): TakopiEvent[] {
    const parsed = McpToolCallSchema.safeParse(raw);
    if (!parsed.success) return this.#invalidItem("mcp_tool_call", parsed.error);
    const { id, server, tool, status, error, result } = parsed.data;
    const title = [server, tool].filter((part) => part != null && part !== "").join(".") || "tool";
    const detail: Record<string, unknown> = {
      server: server ?? null,
      tool: tool ?? null,
      status: status ?? null,
      arguments: parsed.data.arguments ?? null,
    };
    if (phase !== "completed") return [this.#ctx.events.action({ id, kind: "tool", title, detail, phase })];
    const failed = error != null && error !== "";
    if (failed) detail.error_message = errorMessage(error);
    const summary = summarizeToolResult(result);
    if (summary !== null) detail.result_summary = summary;
    return [this.#ctx.events.action({ id, kind: "tool", title, detail, phase, ok: isCompleted(status) && !failed })];
  }

  #webSearch(phase: ActionPhase, raw: unknown): TakopiEvent[] {
    const parsed = WebSearchSchema.safeParse(raw);
    if (!parsed.success) return this.#invalidItem("web_search", parsed.error);
    const { id, query, action } = parsed.data;
    const title = nonEmpty(query) ?? nonEmpty(action?.query) ?? nonEmpty(action?.url) ?? "search";
    return [this.#itemAction(phase, { id, kind: "web_search", title, detail: { query: query ?? null } })];
  }

  #todoList(phase: ActionPhase, raw: unknown): TakopiEvent[] {
    const parsed = TodoListSchema.safeParse(raw);
    if (!parsed.success) return this.#invalidItem("todo_list", parsed.error);
    let done = 0;
    let total = 0;
    let next: string | null = null;
    for (const entry of parsed.data.items ?? []) {
      const todo = TodoItemSchema.safeParse(entry);
      if (!todo.success) continue;
      total += 1;
      if (todo.data.completed === true) done += 1;
      else next ??= todo.data.text ?? "";
    }
    let title = "todo";
    if (total > 0) title = next !== null && next !== "" ? `todo ${done}/${total}: ${next}` : `todo ${done}/${total}: done`;
    return [this.#itemAction(phase, { id: parsed.data.id, kind: "note", title, detail: { done, total } })];
  }

  /** An error item (e.g. "Model metadata for `x` not found"): a warning, never fatal. */
  #errorItem(phase: ActionPhase, raw: unknown): TakopiEvent[] {
    if (phase !== "completed") return [];
    const parsed = ErrorItemSchema.safeParse(raw);
    if (!parsed.success) return this.#invalidItem("error", parsed.error);
    const message = nonEmpty(parsed.data.message) ?? "codex item error";
    return [
      this.#ctx.events.action({
        id: parsed.data.id,
        kind: "warning",
        title: message,
        detail: { message },
        phase: "completed",
        ok: false,
        message,
        level: "warning",
      }),
    ];
  }

  /** An action whose completion is simply ok (notes, searches, todos). */
  #itemAction(
    phase: ActionPhase,
    init: { id: string; kind: "note" | "web_search"; title: string; detail: Record<string, unknown> },
  ): ActionEvent {
    return this.#ctx.events.action({ ...init, phase, ...(phase === "completed" ? { ok: true } : {}) });
  }

  #closeReconnect(): TakopiEvent[] {
    const pending = this.#reconnect;
    if (pending === null) return [];
    this.#reconnect = null;
    return [
      this.#ctx.events.action({
        id: RECONNECT_ID,
        kind: "note",
        title: pending.title,
        detail: pending.detail,
        phase: "completed",
        ok: true,
        level: "info",
      }),
    ];
  }

  /** The last `final_answer` message of the turn, else the last one without a phase. */
  #finalAnswer(): string {
    let finalAnswer: string | null = null;
    let plain: string | null = null;
    for (const message of this.#messages) {
      if (message.phase === "final_answer") finalAnswer = message.text;
      else if (message.phase === null || message.phase === "") plain = message.text;
    }
    return finalAnswer ?? plain ?? "";
  }

  #resume(): ResumeToken | null {
    return this.#ctx.events.resume ?? this.#ctx.resume;
  }

  #invalid(type: string, error: z.ZodError): TakopiEvent[] {
    return [this.#ctx.events.note(`invalid ${type} event from codex; ignoring it`, { detail: { type, error: issuesText(error) } })];
  }

  #invalidItem(itemType: string, error: z.ZodError): TakopiEvent[] {
    return [
      this.#ctx.events.note(`invalid ${itemType} item from codex; ignoring it`, {
        detail: { item_type: itemType, error: issuesText(error) },
      }),
    ];
  }
}
