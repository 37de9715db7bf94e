/**
 * The claude JSONL stream → takopi events. How the engine behaves, and its argv, are in index.ts.
 */
import type * as z from "zod";
import type { ActionKind, ResumeToken, TakopiEvent } from "../../core/events.js";
import { failedExitEvents } from "../backend.js";
import type { EngineTranslator, ProcessExit, TranslatorContext } from "../backend.js";
import {
  AssistantSchema,
  BlockSchema,
  ClaudeEnvelopeSchema,
  INIT_META_KEYS,
  PermissionDenialSchema,
  PermissionDeniedSchema,
  ResultSchema,
  SystemInitSchema,
  SystemSchema,
  TextBlockSchema,
  ThinkingBlockSchema,
  ToolResultBlockSchema,
  ToolUseBlockSchema,
  UserSchema,
  issuesText,
} from "./schema.js";
import { describeToolCall, isRecord } from "../tool-actions.js";

const ENGINE = "claude";
const TITLE = "claude";
/** Stream types that carry nothing for takopi (partial messages, the control protocol). */
const IGNORED_TYPES = new Set(["stream_event", "control_request", "control_response", "control_cancel_request"]);

/** How much of a tool result is kept in the action detail. */
const RESULT_PREVIEW_LIMIT = 2000;

interface PendingAction {
  kind: ActionKind;
  title: string;
  detail: Record<string, unknown>;
}

export class ClaudeTranslator implements EngineTranslator {
  readonly #ctx: TranslatorContext;
  /** Tool calls waiting for their `tool_result`, by tool_use id. */
  readonly #pending = new Map<string, PendingAction>();
  /** Tool use ids whose permission denial was already reported. */
  readonly #denied = new Set<string>();
  /** The main agent's last text: the answer when `result.result` is empty. */
  #lastText: string | null = null;
  #thinkingCount = 0;

  constructor(context: TranslatorContext) {
    this.#ctx = context;
  }

  translate(value: unknown): TakopiEvent[] {
    const envelope = ClaudeEnvelopeSchema.safeParse(value);
    if (!envelope.success) {
      this.#ctx.debug("claude: ignoring a line without a string type", { value: value === null ? "null" : typeof value });
      return [];
    }
    const type = envelope.data.type;
    switch (type) {
      case "system":
        return this.#system(envelope.data);
      case "assistant":
        return this.#assistant(value);
      case "user":
        return this.#user(value);
      case "result":
        return this.#result(value);
      default:
        if (!IGNORED_TYPES.has(type)) this.#ctx.debug("claude: ignoring unknown event type", { type });
        return [];
    }
  }

  finish(exit: ProcessExit): TakopiEvent[] {
    const events = this.#ctx.events;
    if (exit.exitCode !== 0) return failedExitEvents(events, "claude", exit, { resume: this.#resume() });
    if (events.resume === null) {
      return [events.completed({ ok: false, error: "claude finished but no session_id was captured", resume: this.#ctx.resume })];
    }
    return [events.completed({ ok: false, error: "claude finished without a result event", answer: this.#lastText ?? "" })];
  }

  #system(data: Record<string, unknown>): TakopiEvent[] {
    const subtype = SystemSchema.safeParse(data).data?.subtype ?? null;
    if (subtype === "init") {
      const parsed = SystemInitSchema.safeParse(data);
      if (!parsed.success) return this.#invalid("system/init", parsed.error);
      const meta: Record<string, unknown> = {};
      for (const key of INIT_META_KEYS) if (key in data) meta[key] = data[key];
      const model = parsed.data.model;
      const title = model != null && model !== "" ? model : (this.#ctx.title ?? TITLE);
      const resume = { engine: ENGINE, value: parsed.data.session_id };
      return [this.#ctx.events.started(resume, title, Object.keys(meta).length > 0 ? meta : null)];
    }
    if (subtype === "permission_denied") return this.#permissionDenied(data);
    this.#ctx.debug("claude: ignoring system event", { subtype });
    return [];
  }

  /** Without this a user only sees a failed tool and never learns why. */
  #permissionDenied(data: Record<string, unknown>): TakopiEvent[] {
    const parsed = PermissionDeniedSchema.safeParse(data);
    if (!parsed.success) return this.#invalid("system/permission_denied", parsed.error);
    const { tool_name: toolName, tool_use_id: toolUseId, message } = parsed.data;
    if (toolUseId != null) this.#denied.add(toolUseId);
    return [
      this.#ctx.events.note(`permission denied: ${toolName ?? "tool"}`, {
        detail: { tool_name: toolName ?? null, tool_use_id: toolUseId ?? null, message: message ?? null },
      }),
    ];
  }

  #assistant(value: unknown): TakopiEvent[] {
    const parsed = AssistantSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("assistant", parsed.error);
    const parent = parsed.data.parent_tool_use_id ?? null;
    const out: TakopiEvent[] = [];
    for (const raw of parsed.data.message.content) {
      const block = BlockSchema.safeParse(raw);
      if (!block.success) {
        this.#ctx.debug("claude: ignoring a content block without a type");
        continue;
      }
      switch (block.data.type) {
        case "tool_use":
          out.push(...this.#toolUse(raw, parent));
          break;
        case "thinking":
          out.push(...this.#thinking(raw, parent));
          break;
        case "text": {
          const text = TextBlockSchema.safeParse(raw);
          if (!text.success) out.push(...this.#invalid("text block", text.error));
          // A subagent's text is its report to the main agent, not the answer.
          else if (text.data.text !== "" && parent === null) this.#lastText = text.data.text;
          break;
        }
        default:
          this.#ctx.debug("claude: ignoring assistant content block", { block_type: block.data.type });
      }
    }
    return out;
  }

  #toolUse(raw: unknown, parent: string | null): TakopiEvent[] {
    const parsed = ToolUseBlockSchema.safeParse(raw);
    if (!parsed.success) return this.#invalid("tool_use block", parsed.error);
    const { id, name } = parsed.data;
    const input = parsed.data.input ?? {};
    const described = describeToolCall(name, input, {
      pathKeys: ["file_path", "path"],
      cwd: this.#ctx.cwd,
      subagentKind: "subagent",
    });
    const detail: Record<string, unknown> = { name, input };
    if (parent !== null) detail.parent_tool_use_id = parent;
    if (described.changes !== undefined) detail.changes = described.changes;
    this.#pending.set(id, { kind: described.kind, title: described.title, detail });
    return [this.#ctx.events.action({ id, kind: described.kind, title: described.title, detail, phase: "started" })];
  }

  #thinking(raw: unknown, parent: string | null): TakopiEvent[] {
    const parsed = ThinkingBlockSchema.safeParse(raw);
    if (!parsed.success) return this.#invalid("thinking block", parsed.error);
    const { thinking, signature } = parsed.data;
    if (thinking.trim() === "") return [];
    this.#thinkingCount += 1;
    const detail: Record<string, unknown> = {};
    if (parent !== null) detail.parent_tool_use_id = parent;
    if (signature != null) detail.signature = signature;
    return [
      this.#ctx.events.action({
        id: `claude.thinking.${this.#thinkingCount}`,
        kind: "note",
        title: thinking,
        detail,
        phase: "completed",
        ok: true,
      }),
    ];
  }

  #user(value: unknown): TakopiEvent[] {
    const parsed = UserSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("user", parsed.error);
    const content = parsed.data.message.content;
    if (typeof content === "string") return []; // the prompt, or an interruption notice
    const results = content.filter((raw) => BlockSchema.safeParse(raw).data?.type === "tool_result");
    // `tool_use_result` describes the message's (single) tool result; a created file is an add, not an update.
    const created = results.length === 1 && isRecord(parsed.data.tool_use_result) && parsed.data.tool_use_result.type === "create";
    const out: TakopiEvent[] = [];
    for (const raw of results) out.push(...this.#toolResult(raw, created));
    return out;
  }

  #toolResult(raw: unknown, created: boolean): TakopiEvent[] {
    const parsed = ToolResultBlockSchema.safeParse(raw);
    if (!parsed.success) return this.#invalid("tool_result block", parsed.error);
    const { tool_use_id: id, content } = parsed.data;
    const isError = parsed.data.is_error === true;
    const action = this.#pending.get(id) ?? { kind: "tool", title: "tool result", detail: {} };
    this.#pending.delete(id);
    const text = toolResultText(content);
    const detail: Record<string, unknown> = {
      ...action.detail,
      tool_use_id: id,
      result_preview: text.slice(0, RESULT_PREVIEW_LIMIT),
      result_len: text.length,
      is_error: isError,
    };
    if (created && !isError && Array.isArray(detail.changes)) {
      detail.changes = (detail.changes as unknown[]).map((change) => (isRecord(change) ? { ...change, kind: "add" } : change));
    }
    return [this.#ctx.events.action({ id, kind: action.kind, title: action.title, detail, phase: "completed", ok: !isError })];
  }

  #result(value: unknown): TakopiEvent[] {
    const parsed = ResultSchema.safeParse(value);
    if (!parsed.success) return this.#invalid("result", parsed.error);
    const data = parsed.data;
    const out: TakopiEvent[] = this.#unreportedDenials(data.permission_denials ?? []);
    const ok = data.is_error != null ? !data.is_error : data.subtype == null || data.subtype === "success";
    const resultText = data.result ?? "";
    let error: string | null = null;
    if (!ok) {
      error = resultText;
      if (error === "") {
        error = data.subtype != null && data.subtype !== "" ? `claude run failed (${data.subtype})` : "claude run failed";
        const reasons = errorTexts(data.errors ?? []);
        if (reasons.length > 0) error += `: ${reasons.join("; ")}`;
      }
      if (data.api_error_status != null) error += ` (HTTP ${data.api_error_status})`;
    }
    const usage: Record<string, unknown> = {};
    if (data.total_cost_usd != null) usage.total_cost_usd = data.total_cost_usd;
    if (data.duration_ms != null) usage.duration_ms = data.duration_ms;
    if (data.duration_api_ms != null) usage.duration_api_ms = data.duration_api_ms;
    if (data.num_turns != null) usage.num_turns = data.num_turns;
    if (data.usage != null) usage.usage = data.usage;
    const session = data.session_id != null && data.session_id !== "" ? { engine: ENGINE, value: data.session_id } : null;
    out.push(
      this.#ctx.events.completed({
        ok,
        // A failed run's text is its error; repeating it as the answer shows it twice (upstream does).
        answer: ok ? (resultText !== "" ? resultText : (this.#lastText ?? "")) : "",
        error,
        usage: Object.keys(usage).length > 0 ? usage : null,
        resume: this.#ctx.events.resume ?? session ?? this.#ctx.resume,
      }),
    );
    return out;
  }

  /** Denials listed by `result` that no `system/permission_denied` announced (older CLIs). */
  #unreportedDenials(denials: unknown[]): TakopiEvent[] {
    const out: TakopiEvent[] = [];
    for (const raw of denials) {
      const denial = PermissionDenialSchema.safeParse(raw);
      if (!denial.success) continue;
      const { tool_name: toolName, tool_use_id: toolUseId } = denial.data;
      if (toolUseId != null && this.#denied.has(toolUseId)) continue;
      if (toolUseId != null) this.#denied.add(toolUseId);
      out.push(
        this.#ctx.events.note(`permission denied: ${toolName ?? "tool"}`, {
          detail: { tool_name: toolName ?? null, tool_use_id: toolUseId ?? null, message: null },
        }),
      );
    }
    return out;
  }

  #resume(): ResumeToken | null {
    return this.#ctx.events.resume ?? this.#ctx.resume;
  }

  #invalid(type: string, error: z.ZodError): TakopiEvent[] {
    return [this.#ctx.events.note(`invalid ${type} event from claude; ignoring it`, { detail: { type, error: issuesText(error) } })];
  }
}

/** A tool result's text: a string, or the text items of a content list joined by newlines. */
function toolResultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const parts: string[] = [];
  for (const item of content) {
    if (typeof item === "string") parts.push(item);
    else if (isRecord(item) && typeof item.text === "string") parts.push(item.text);
  }
  return parts.filter((part) => part !== "").join("\n");
}

function errorTexts(errors: unknown[]): string[] {
  const out: string[] = [];
  for (const item of errors) {
    if (typeof item === "string" && item !== "") out.push(item);
    else if (isRecord(item) && typeof item.message === "string" && item.message !== "") out.push(item.message);
  }
  return out;
}
