/**
 * The opencode JSONL stream → takopi events. How the engine behaves, and its argv, are in index.ts.
 */
import * as z from "zod";
import type { ActionEvent, TakopiEvent } from "../../core/events.js";
import { relativizePath } from "../../util/paths.js";
import { failedExitEvents, type EngineTranslator, type ProcessExit, type TranslatorContext } from "../backend.js";
import {
  ErrorLineSchema,
  LineSchema,
  ReasoningLineSchema,
  StepFinishLineSchema,
  TextLineSchema,
  ToolUseLineSchema,
  type StepFinishLine,
  type ToolUseLine,
} from "./schema.js";
import { describeToolCall, firstString, isRecord } from "../tool-actions.js";

const ENGINE = "opencode";
const TITLE = "opencode";
const PATH_KEYS = ["file_path", "filePath"] as const;
const OUTPUT_PREVIEW_CHARS = 500;
/** Text parts of different steps are separate paragraphs of the answer. */
const STEP_SEPARATOR = "\n\n";

interface TextPart {
  id: string | null;
  step: number;
  text: string;
}

/** The error text of an `error` line, plus the HTTP status when OpenCode gives one. */
export function openCodeErrorMessage(line: { error?: unknown; message?: unknown }): string {
  const raw = line.message ?? line.error;
  if (raw === undefined || raw === null) return "opencode error";
  if (typeof raw === "string") return raw === "" ? "opencode error" : raw;
  if (!isRecord(raw)) return JSON.stringify(raw);
  const data = isRecord(raw.data) ? raw.data : {};
  const message = firstString(data, ["message"]) ?? firstString(raw, ["message", "name"]) ?? "opencode error";
  const status = data.statusCode;
  return typeof status === "number" && Number.isInteger(status) ? `${message} (HTTP ${status})` : message;
}

export class OpenCodeTranslator implements EngineTranslator {
  readonly #context: TranslatorContext;
  #sessionId: string | null = null;
  #started = false;
  #sawStepFinish = false;
  /** Number of `step_start` lines so far: text parts are grouped by it. */
  #step = 0;
  readonly #parts: TextPart[] = [];
  readonly #tokens = new Map<string, number>();
  #cost = 0;
  #reasoningCount = 0;

  constructor(context: TranslatorContext) {
    this.#context = context;
  }

  translate(value: unknown): TakopiEvent[] {
    const line = LineSchema.safeParse(value);
    if (!line.success) {
      this.#context.debug("opencode: ignoring a line that is not an event object", { value: typeName(value) });
      return [];
    }
    const { type, sessionID } = line.data;
    if (this.#sessionId === null && sessionID !== undefined && sessionID !== "") this.#sessionId = sessionID;

    // Every known event may be the first to carry the session id, so each announces it if needed.
    const known = this.#translateKnown(type, value);
    return known === null ? [] : this.#withStarted(known);
  }

  /** Events for one known type, or null for an unknown type (which must not trigger `started`). */
  #translateKnown(type: string, value: unknown): TakopiEvent[] | null {
    switch (type) {
      case "step_start":
        this.#step += 1;
        return [];
      case "text":
        return this.#text(value);
      case "reasoning":
        return this.#reasoning(value);
      case "tool_use":
        return this.#toolUse(value);
      case "step_finish":
        return this.#stepFinish(value);
      case "error":
        return this.#error(value);
      default:
        this.#context.debug("opencode: ignoring unknown event type", { type });
        return null;
    }
  }

  finish(exit: ProcessExit): TakopiEvent[] {
    const events = this.#context.events;
    const out = this.#withStarted([]);
    const answer = this.#answer();
    const usage = this.#usage();
    if (exit.exitCode !== 0) {
      out.push(...failedExitEvents(events, "opencode", exit, { answer, usage }));
    } else if (this.#sessionId === null) {
      out.push(events.completed({ ok: false, answer, error: "opencode finished but no session_id was captured" }));
    } else if (this.#sawStepFinish) {
      // A final step_finish without a reason (older OpenCode) still ends the run cleanly.
      out.push(events.completed({ ok: true, answer, usage }));
    } else {
      out.push(events.completed({ ok: false, answer, usage, error: "opencode finished without a result event" }));
    }
    return out;
  }

  /** Prepends `started` once the session id is known. */
  #withStarted(events: TakopiEvent[]): TakopiEvent[] {
    if (this.#started || this.#sessionId === null) return events;
    this.#started = true;
    const title = this.#context.title ?? TITLE;
    return [this.#context.events.started({ engine: ENGINE, value: this.#sessionId }, title), ...events];
  }

  #invalid(type: string, error: z.ZodError): TakopiEvent[] {
    const issue = error.issues[0];
    return [
      this.#context.events.note(`opencode sent a malformed ${type} event; ignoring it`, {
        detail: { type, issue: issue === undefined ? null : `${issue.path.join(".")}: ${issue.message}` },
      }),
    ];
  }

  #text(value: unknown): TakopiEvent[] {
    const parsed = TextLineSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("text", parsed.error);
    const { id, text } = parsed.data.part;
    if (text === "") return [];
    // A part printed twice (an update of the same part) replaces its text instead of repeating it.
    const existing = id === undefined ? undefined : this.#parts.find((part) => part.id === id);
    if (existing !== undefined) existing.text = text;
    else this.#parts.push({ id: id ?? null, step: this.#step, text });
    return [];
  }

  #reasoning(value: unknown): TakopiEvent[] {
    const parsed = ReasoningLineSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("reasoning", parsed.error);
    const text = parsed.data.part.text.trim();
    if (text === "") return [];
    this.#reasoningCount += 1;
    const id = parsed.data.part.id ?? `opencode.reasoning.${this.#reasoningCount}`;
    return [this.#context.events.action({ id, kind: "note", title: text, phase: "completed", ok: true })];
  }

  #toolUse(value: unknown): TakopiEvent[] {
    const parsed = ToolUseLineSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("tool_use", parsed.error);
    const event = this.#toolEvent(parsed.data);
    return event === null ? [] : [event];
  }

  #toolEvent(line: ToolUseLine): ActionEvent | null {
    const { part } = line;
    const { state } = part;
    const id = nonEmpty(part.callID) ?? nonEmpty(part.id);
    if (id === undefined) {
      this.#context.debug("opencode: tool_use without callID or id", { tool: part.tool });
      return null;
    }
    const name = nonEmpty(part.tool) ?? "tool";
    const input = isRecord(state.input) ? state.input : {};
    const cwd = this.#context.cwd;
    const described = describeToolCall(name, input, { pathKeys: PATH_KEYS, cwd, subagentKind: "tool" });
    let title = described.title;
    const stateTitle = nonEmpty(state.title);
    if (stateTitle !== undefined) {
      title = stateTitle;
      const rawPath = firstString(input, PATH_KEYS);
      const isPath = rawPath !== undefined && (title === rawPath || title === relativizePath(rawPath, cwd));
      if (isPath && !title.includes("`")) title = `\`${title}\``;
    }
    const detail: Record<string, unknown> = { name, input, callID: id };
    if (described.changes !== undefined) detail.changes = described.changes;
    const action = { id, kind: described.kind, title };
    const events = this.#context.events;
    const exitCode = exitCodeOf(state.metadata);

    if (state.status === "completed") {
      if (state.output !== undefined && state.output !== null) detail.output_preview = preview(state.output);
      detail.exit_code = exitCode;
      return events.action({ ...action, detail, phase: "completed", ok: exitCode === null || exitCode === 0 });
    }
    if (state.status === "error") {
      const error = state.error;
      detail.error = error ?? null;
      detail.exit_code = exitCode;
      const message = error === undefined || error === null ? null : typeof error === "string" ? error : JSON.stringify(error);
      return events.action({ ...action, detail, phase: "completed", ok: false, message });
    }
    // pending / running (older OpenCode; 1.18 prints only finished tools).
    return events.action({ ...action, detail, phase: "started" });
  }

  #stepFinish(value: unknown): TakopiEvent[] {
    const parsed = StepFinishLineSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("step_finish", parsed.error);
    this.#sawStepFinish = true;
    this.#addUsage(parsed.data);
    if (parsed.data.part?.reason !== "stop") return [];
    return [this.#context.events.completed({ ok: true, answer: this.#answer(), usage: this.#usage() })];
  }

  #error(value: unknown): TakopiEvent[] {
    const parsed = ErrorLineSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("error", parsed.error);
    return [
      this.#context.events.completed({
        ok: false,
        answer: this.#answer(),
        error: openCodeErrorMessage(parsed.data),
        usage: this.#usage(),
      }),
    ];
  }

  #addUsage(line: StepFinishLine): void {
    const part = line.part;
    if (part === undefined) return;
    const tokens = part.tokens;
    if (tokens !== undefined) {
      const add = (key: string, amount: number | undefined): void => {
        if (amount !== undefined) this.#tokens.set(key, (this.#tokens.get(key) ?? 0) + amount);
      };
      add("input", tokens.input);
      add("output", tokens.output);
      add("reasoning", tokens.reasoning);
      add("cache_read", tokens.cache?.read);
      add("cache_write", tokens.cache?.write);
    }
    if (part.cost !== undefined) this.#cost += part.cost;
  }

  #usage(): Record<string, unknown> | null {
    const usage: Record<string, unknown> = {};
    if (this.#cost > 0) usage.total_cost_usd = this.#cost;
    if (this.#tokens.size > 0) usage.tokens = Object.fromEntries(this.#tokens);
    return Object.keys(usage).length > 0 ? usage : null;
  }

  /** Text parts of one step are concatenated; steps are separated by a blank line. */
  #answer(): string {
    const steps: string[] = [];
    let current: number | null = null;
    for (const part of this.#parts) {
      const last = steps.length - 1;
      if (part.step === current && last >= 0) steps[last] = `${steps[last] ?? ""}${part.text}`;
      else steps.push(part.text);
      current = part.step;
    }
    return steps.join(STEP_SEPARATOR);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function exitCodeOf(metadata: unknown): number | null {
  if (!isRecord(metadata)) return null;
  for (const key of ["exit", "exitCode"]) {
    const value = metadata[key];
    if (typeof value === "number" && Number.isInteger(value)) return value;
  }
  return null;
}

function preview(output: unknown): string {
  const text = typeof output === "string" ? output : JSON.stringify(output);
  return text.length > OUTPUT_PREVIEW_CHARS ? text.slice(0, OUTPUT_PREVIEW_CHARS) : text;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

