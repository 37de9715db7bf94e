/**
 * The event model: the contract between engine runners and everything else.
 *
 * An engine run produces a stream of `started` (the session is known), `action`
 * (something happened: a command ran, a file changed, a warning) and one final
 * `completed`. Everything downstream — progress rendering, the bridge, `takopi
 * replay` — sees only these events, never an engine's own JSONL.
 *
 * The zod schemas exist because events cross boundaries: `takopi replay` prints
 * them, plugin engines produce them, and tests read them back.
 */
import * as z from "zod";

/** Engine ids follow the plugin id rule, so they can double as `/engine` commands. */
export const EngineIdSchema = z.string().regex(/^[a-z0-9_]{1,32}$/, "engine ids are 1–32 of a-z, 0-9, _");
export type EngineId = z.infer<typeof EngineIdSchema>;

/** A handle to continue an engine's session; two tokens are equal when engine and value are. */
export const ResumeTokenSchema = z.object({
  engine: EngineIdSchema,
  value: z.string().min(1),
});
export type ResumeToken = z.infer<typeof ResumeTokenSchema>;

/** At most one run per thread at a time; a thread is named by its resume token. */
export function threadKey(token: ResumeToken): string {
  return `${token.engine}:${token.value}`;
}

export function sameToken(a: ResumeToken | null | undefined, b: ResumeToken | null | undefined): boolean {
  return a != null && b != null && a.engine === b.engine && a.value === b.value;
}

export const ACTION_KINDS = [
  "command",
  "tool",
  "file_change",
  "web_search",
  "subagent",
  "note",
  "turn",
  "warning",
  "telemetry",
] as const;
export const ActionKindSchema = z.enum(ACTION_KINDS);
export type ActionKind = z.infer<typeof ActionKindSchema>;

export const ActionSchema = z.object({
  /** Stable within a run: started/updated/completed of one item share it. */
  id: z.string(),
  kind: ActionKindSchema,
  title: z.string(),
  detail: z.record(z.string(), z.unknown()).default({}),
});
export type Action = z.infer<typeof ActionSchema>;

export const ActionPhaseSchema = z.enum(["started", "updated", "completed"]);
export type ActionPhase = z.infer<typeof ActionPhaseSchema>;

export const LogLevelSchema = z.enum(["debug", "info", "warning", "error"]);
export type EventLevel = z.infer<typeof LogLevelSchema>;

export const StartedEventSchema = z.object({
  type: z.literal("started"),
  engine: EngineIdSchema,
  resume: ResumeTokenSchema,
  title: z.string().nullish(),
  meta: z.record(z.string(), z.unknown()).nullish(),
});
export type StartedEvent = z.infer<typeof StartedEventSchema>;

export const ActionEventSchema = z.object({
  type: z.literal("action"),
  engine: EngineIdSchema,
  action: ActionSchema,
  phase: ActionPhaseSchema,
  ok: z.boolean().nullish(),
  message: z.string().nullish(),
  level: LogLevelSchema.nullish(),
});
export type ActionEvent = z.infer<typeof ActionEventSchema>;

export const CompletedEventSchema = z.object({
  type: z.literal("completed"),
  engine: EngineIdSchema,
  ok: z.boolean(),
  answer: z.string(),
  resume: ResumeTokenSchema.nullish(),
  error: z.string().nullish(),
  usage: z.record(z.string(), z.unknown()).nullish(),
});
export type CompletedEvent = z.infer<typeof CompletedEventSchema>;

export const TakopiEventSchema = z.discriminatedUnion("type", [
  StartedEventSchema,
  ActionEventSchema,
  CompletedEventSchema,
]);
export type TakopiEvent = z.infer<typeof TakopiEventSchema>;

/** Options for {@link EventFactory.action}; everything but the phase is optional. */
export interface ActionInit {
  id: string;
  kind: ActionKind;
  title: string;
  detail?: Record<string, unknown>;
  phase: ActionPhase;
  ok?: boolean | null;
  message?: string | null;
  level?: EventLevel | null;
}

/** Options for a warning/info note ({@link EventFactory.note}). */
export interface NoteInit {
  ok?: boolean;
  detail?: Record<string, unknown>;
  kind?: Extract<ActionKind, "warning" | "note">;
}

/**
 * Builds events for one engine run and enforces the runner contract:
 * one session token per run, `completed` defaulting to the known token, and
 * per-run numbering of notes (`<engine>.note.<n>`).
 */
export class EventFactory {
  readonly engine: EngineId;
  #resume: ResumeToken | null = null;
  #noteCount = 0;

  constructor(engine: EngineId) {
    this.engine = engine;
  }

  /** The session token once `started` was built, else null. */
  get resume(): ResumeToken | null {
    return this.#resume;
  }

  /**
   * A `started` for this engine. A second, different session is not refused
   * here: `JsonlStream` compares every `started` with the session it expects
   * and fails the run with a clear error.
   */
  started(resume: ResumeToken, title?: string | null, meta?: Record<string, unknown> | null): StartedEvent {
    if (resume.engine !== this.engine) {
      throw new Error(`resume token is for engine '${resume.engine}', not '${this.engine}'`);
    }
    this.#resume ??= resume;
    const event: StartedEvent = { type: "started", engine: this.engine, resume };
    if (title != null) event.title = title;
    if (meta != null) event.meta = meta;
    return event;
  }

  action(init: ActionInit): ActionEvent {
    const event: ActionEvent = {
      type: "action",
      engine: this.engine,
      action: { id: init.id, kind: init.kind, title: init.title, detail: init.detail ?? {} },
      phase: init.phase,
    };
    if (init.ok != null) event.ok = init.ok;
    if (init.message != null) event.message = init.message;
    if (init.level != null) event.level = init.level;
    return event;
  }

  /**
   * A completed note action: how runners surface warnings (a malformed line,
   * a non-fatal engine error, a failed exit) without ending the run.
   */
  note(message: string, init: NoteInit = {}): ActionEvent {
    const ok = init.ok ?? false;
    this.#noteCount += 1;
    return this.action({
      id: `${this.engine}.note.${this.#noteCount}`,
      kind: init.kind ?? "warning",
      title: message,
      detail: init.detail ?? {},
      phase: "completed",
      ok,
      message,
      level: ok ? "info" : "warning",
    });
  }

  completed(init: {
    ok: boolean;
    answer?: string;
    resume?: ResumeToken | null;
    error?: string | null;
    usage?: Record<string, unknown> | null;
  }): CompletedEvent {
    const event: CompletedEvent = {
      type: "completed",
      engine: this.engine,
      ok: init.ok,
      answer: init.answer ?? "",
      resume: init.resume === undefined ? this.#resume : init.resume,
      error: init.error ?? null,
    };
    if (init.usage != null) event.usage = init.usage;
    return event;
  }
}
