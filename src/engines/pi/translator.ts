/**
 * The pi JSONL stream → takopi events. How the engine behaves, and its argv, are in index.ts.
 */
import * as z from "zod";
import type { ActionKind, ResumeToken, TakopiEvent } from "../../core/events.js";
import { failedExitEvents, type EngineTranslator, type ProcessExit, type TranslatorContext } from "../backend.js";
import {
  AgentEndSchema,
  AutoRetryEndSchema,
  AutoRetryStartSchema,
  IGNORED_TYPES,
  LineSchema,
  MessageEndSchema,
  MessageSchema,
  SessionHeaderSchema,
  ToolExecutionEndSchema,
  ToolExecutionStartSchema,
  type PiMessage,
} from "./schema.js";
import { describeToolCall, isRecord } from "../tool-actions.js";

const ENGINE = "pi";
const TITLE = "pi";
const PATH_KEYS = ["path"] as const;

interface Outcome {
  answer: string;
  error: string;
  usage: Record<string, unknown> | null;
}

interface PendingTool {
  kind: ActionKind;
  title: string;
  detail: Record<string, unknown>;
}

/** Concatenated `text` blocks, trimmed; null when there are none. */
export function piMessageText(content: unknown): string | null {
  if (typeof content === "string") return content.trim() || null;
  if (!Array.isArray(content)) return null;
  let text = "";
  for (const block of content) {
    if (isRecord(block) && block.type === "text" && typeof block.text === "string") text += block.text;
  }
  return text.trim() || null;
}

/** The error of a failed assistant message (`stopReason` error/aborted), else null. */
export function piMessageError(message: PiMessage): string | null {
  const reason = message.stopReason;
  if (reason !== "error" && reason !== "aborted") return null;
  return message.errorMessage !== undefined && message.errorMessage !== "" ? message.errorMessage : `pi run ${reason}`;
}

export class PiTranslator implements EngineTranslator {
  readonly #context: TranslatorContext;
  #token: string | null;
  /** Only a new session's token may be replaced by the header's id. */
  readonly #promotable: boolean;
  #started = false;
  readonly #pending = new Map<string, PendingTool>();
  /** The current attempt's last assistant text, usage and error. */
  #text: string | null = null;
  #usage: Record<string, unknown> | null = null;
  #error: string | null = null;
  /** A failed `agent_end` that a retry may still supersede. */
  #held: Outcome | null = null;
  /** Set by `auto_retry_start` until the retried attempt ends. */
  #retryError: string | null = null;

  constructor(context: TranslatorContext) {
    this.#context = context;
    this.#token = context.resume?.value ?? context.presetToken;
    this.#promotable = context.resume === null;
  }

  translate(value: unknown): TakopiEvent[] {
    const line = LineSchema.safeParse(value);
    if (!line.success) {
      this.#context.debug("pi: ignoring a line that is not an event object");
      return [];
    }
    const { type } = line.data;
    if (type === "session") return this.#session(value);
    if (IGNORED_TYPES.has(type)) return this.#withStarted([]);
    // Without a session header, `started` comes just before the first known event, as upstream emits it.
    const known = this.#translateKnown(type, value);
    return known === null ? [] : this.#withStarted(known);
  }

  /** Events for one known type, or null for an unknown type (which must not trigger `started`). */
  #translateKnown(type: string, value: unknown): TakopiEvent[] | null {
    switch (type) {
      case "tool_execution_start":
        return this.#toolStart(value);
      case "tool_execution_end":
        return this.#toolEnd(value);
      case "message_end":
        return this.#messageEnd(value);
      case "agent_end":
        return this.#agentEnd(value);
      case "auto_retry_start":
        return this.#retryStart(value);
      case "auto_retry_end":
        return this.#retryEnd(value);
      default:
        this.#context.debug("pi: ignoring unknown event type", { type });
        return null;
    }
  }

  finish(exit: ProcessExit): TakopiEvent[] {
    const events = this.#context.events;
    const resume = this.#resume();
    if (exit.exitCode !== 0) {
      const answer = this.#held?.answer ?? this.#text ?? "";
      return failedExitEvents(events, "pi", exit, { answer, usage: this.#held?.usage ?? this.#usage, resume });
    }
    if (this.#held !== null) return [events.completed({ ok: false, ...this.#held, resume })];
    const error =
      this.#retryError === null
        ? "pi finished without an agent_end event"
        : `pi finished without an agent_end event while retrying after: ${this.#retryError}`;
    return [events.completed({ ok: false, answer: this.#text ?? "", error, usage: this.#usage, resume })];
  }

  /** The token for `completed`: the announced one, else the one the run was started with. */
  #resume(): ResumeToken | null {
    return this.#context.events.resume ?? (this.#token === null ? null : { engine: ENGINE, value: this.#token });
  }

  #withStarted(events: TakopiEvent[], headerCwd?: string): TakopiEvent[] {
    if (this.#started || this.#token === null) return events;
    this.#started = true;
    const cwd = this.#context.cwd ?? headerCwd;
    const meta = cwd === undefined && this.#context.meta === null ? null : { ...(cwd === undefined ? {} : { cwd }), ...this.#context.meta };
    const title = this.#context.title ?? TITLE;
    return [this.#context.events.started({ engine: ENGINE, value: this.#token }, title, meta), ...events];
  }

  #invalid(type: string, error: z.ZodError): TakopiEvent[] {
    const issue = error.issues[0];
    return [
      this.#context.events.note(`pi sent a malformed ${type} event; ignoring it`, {
        detail: { type, issue: issue === undefined ? null : `${issue.path.join(".")}: ${issue.message}` },
      }),
    ];
  }

  #session(value: unknown): TakopiEvent[] {
    const parsed = SessionHeaderSchema.safeParse(value);
    if (!parsed.success) return this.#withStarted(this.#invalid("session", parsed.error));
    if (!this.#started && this.#promotable) this.#token = parsed.data.id;
    return this.#withStarted([], parsed.data.cwd);
  }

  #toolStart(value: unknown): TakopiEvent[] {
    const parsed = ToolExecutionStartSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("tool_execution_start", parsed.error);
    const { toolCallId: id, toolName, args: rawArgs } = parsed.data;
    const name = toolName !== undefined && toolName !== "" ? toolName : "tool";
    const args = isRecord(rawArgs) ? rawArgs : {};
    const described = describeToolCall(name, args, { pathKeys: PATH_KEYS, cwd: this.#context.cwd });
    const detail: Record<string, unknown> = { tool_name: name, args };
    if (described.changes !== undefined) detail.changes = described.changes;
    const tool: PendingTool = { kind: described.kind, title: described.title, detail };
    this.#pending.set(id, tool);
    return [this.#context.events.action({ id, ...tool, phase: "started" })];
  }

  #toolEnd(value: unknown): TakopiEvent[] {
    const parsed = ToolExecutionEndSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("tool_execution_end", parsed.error);
    const { toolCallId: id, toolName, result } = parsed.data;
    const isError = parsed.data.isError ?? false;
    const name = toolName !== undefined && toolName !== "" ? toolName : "tool";
    const tool = this.#pending.get(id) ?? { kind: "tool", title: name, detail: {} };
    this.#pending.delete(id);
    const detail = { ...tool.detail, result, is_error: isError };
    return [this.#context.events.action({ id, kind: tool.kind, title: tool.title, detail, phase: "completed", ok: !isError })];
  }

  #messageEnd(value: unknown): TakopiEvent[] {
    const parsed = MessageEndSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("message_end", parsed.error);
    if (parsed.data.message.role === "assistant") this.#absorb(parsed.data.message);
    return [];
  }

  #agentEnd(value: unknown): TakopiEvent[] {
    const parsed = AgentEndSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("agent_end", parsed.error);
    const messages = parsed.data.messages ?? [];
    for (let index = messages.length - 1; index >= 0; index -= 1) {
      const message = MessageSchema.safeParse(messages[index]);
      if (message.success && message.data.role === "assistant") {
        this.#absorb(message.data);
        break;
      }
    }
    this.#retryError = null;
    if (this.#error === null) {
      return [this.#context.events.completed({ ok: true, answer: this.#text ?? "", usage: this.#usage })];
    }
    // Pi may retry this attempt (auto_retry_start follows); decide at auto_retry_end or EOF.
    this.#held = { answer: this.#text ?? "", error: this.#error, usage: this.#usage };
    this.#context.debug("pi: attempt failed; holding the outcome until a retry or the end", { error: this.#error });
    return [];
  }

  #retryStart(value: unknown): TakopiEvent[] {
    const parsed = AutoRetryStartSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("auto_retry_start", parsed.error);
    const { attempt, maxAttempts, delayMs, errorMessage } = parsed.data;
    const error = errorMessage ?? this.#held?.error ?? null;
    // The next attempt starts from scratch.
    this.#held = null;
    this.#text = null;
    this.#usage = null;
    this.#error = null;
    this.#retryError = error ?? "unknown error";
    const count = attempt === undefined ? "" : maxAttempts === undefined ? ` (attempt ${attempt})` : ` (attempt ${attempt}/${maxAttempts})`;
    const message = `retrying after error${count}${error === null ? "" : `: ${error}`}`;
    const detail = { attempt: attempt ?? null, max_attempts: maxAttempts ?? null, delay_ms: delayMs ?? null, error };
    return [this.#context.events.note(message, { kind: "note", ok: true, detail })];
  }

  #retryEnd(value: unknown): TakopiEvent[] {
    const parsed = AutoRetryEndSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("auto_retry_end", parsed.error);
    if (parsed.data.success) {
      // Normally after the successful attempt's agent_end, which already completed the run.
      this.#retryError = null;
      return [];
    }
    const held = this.#held;
    const error = parsed.data.finalError ?? held?.error ?? this.#error ?? this.#retryError ?? "pi retries failed";
    const answer = held?.answer ?? this.#text ?? "";
    const usage = held?.usage ?? this.#usage;
    this.#held = null;
    return [this.#context.events.completed({ ok: false, answer, error, usage })];
  }

  /** An assistant message updates text (when it has any), usage and error. */
  #absorb(message: PiMessage): void {
    const text = piMessageText(message.content);
    if (text !== null) this.#text = text;
    if (message.usage !== undefined) this.#usage = message.usage;
    this.#error = piMessageError(message);
  }
}

