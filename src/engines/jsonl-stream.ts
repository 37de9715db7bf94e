/**
 * The rules every engine's stdout obeys once it is split into lines, as in
 * upstream's runner, independent of where the lines come from: a live process
 * (`engines/runner.ts`) or a recorded file (`takopi replay`).
 *
 * - a malformed line becomes a warning action, never a crash;
 * - a translator that throws costs one line, not the run;
 * - `started` is announced once, and must match the session we asked to resume;
 * - nothing follows `completed`;
 * - a stream that ends without `completed` still gets one, decided from the exit.
 */
import { EventFactory, sameToken, type ResumeToken, type TakopiEvent } from "../core/events.js";
import { errorMessage } from "../util/errors.js";
import type { EngineBackend, EngineTranslator, ProcessExit } from "./backend.js";

/** The CLI announced a different session than the one we resumed: its output is not ours to trust. */
export class SessionMismatchError extends Error {
  constructor(engine: string, found: string, expected: string) {
    super(`${engine} emitted session id ${found} but expected ${expected}`);
    this.name = "SessionMismatchError";
  }
}

export interface JsonlStreamOptions {
  /** Run base dir for shortening paths in titles. */
  cwd: string | null;
  /** The session being resumed, if any. */
  resume: ResumeToken | null;
  /** Token chosen before the run (pi's new-session path). */
  presetToken?: string | null;
  /** Session title from config (see TranslatorContext.title). */
  title?: string | null;
  /** Run facts from config for `started.meta` (see TranslatorContext.meta). */
  meta?: Record<string, unknown> | null;
  debug?: (message: string, fields?: Record<string, unknown>) => void;
}

/** How much of a bad line to quote back in a warning. */
const QUOTE_LIMIT = 200;

export class JsonlStream {
  readonly engine: string;
  readonly events: EventFactory;
  readonly #translator: EngineTranslator;
  readonly #expected: ResumeToken | null;
  readonly #debug: (message: string, fields?: Record<string, unknown>) => void;
  #session: ResumeToken | null = null;
  #completed = false;
  #droppedAfterCompleted = 0;

  constructor(backend: Pick<EngineBackend, "id" | "createTranslator">, options: JsonlStreamOptions) {
    this.engine = backend.id;
    this.events = new EventFactory(backend.id);
    this.#expected = options.resume;
    this.#debug = options.debug ?? (() => undefined);
    this.#translator = backend.createTranslator({
      cwd: options.cwd,
      resume: options.resume,
      presetToken: options.presetToken ?? null,
      title: options.title ?? null,
      meta: options.meta ?? null,
      events: this.events,
      debug: this.#debug,
    });
  }

  /** True once the run's `completed` was emitted. */
  get completed(): boolean {
    return this.#completed;
  }

  /** The session token seen so far (from `started`). */
  get session(): ResumeToken | null {
    return this.#session;
  }

  /** Translate one stdout line (without its newline). */
  line(text: string): TakopiEvent[] {
    const trimmed = text.trim();
    if (trimmed === "") return [];
    if (this.#completed) {
      this.#droppedAfterCompleted += 1;
      if (this.#droppedAfterCompleted === 1) this.#debug("dropping output after completed", { engine: this.engine });
      return [];
    }
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      return [this.events.note(`invalid JSON from ${this.engine}; ignoring line`, { detail: { line: quote(trimmed) } })];
    }
    let produced: TakopiEvent[];
    try {
      produced = this.#translator.translate(value);
    } catch (error) {
      const type = isObject(value) && typeof value.type === "string" ? value.type : null;
      return [
        this.events.note(`${this.engine} translation error; ignoring event`, {
          detail: { error: errorMessage(error), type },
        }),
      ];
    }
    return this.#accept(produced);
  }

  /** A line longer than the reader's limit was skipped without being buffered. */
  oversizedLine(bytes: number, limit: number): TakopiEvent[] {
    if (this.#completed) return [];
    return [
      this.events.note(`${this.engine} printed a ${formatBytes(bytes)} line (limit ${formatBytes(limit)}); ignoring it`, {
        detail: { bytes, limit },
      }),
    ];
  }

  /** Stdout is closed and the process has exited: make sure the run has an outcome. */
  end(exit: ProcessExit): TakopiEvent[] {
    if (this.#completed) return [];
    let produced: TakopiEvent[];
    try {
      produced = this.#translator.finish(exit);
    } catch (error) {
      produced = [this.events.completed({ ok: false, error: `${this.engine} translation error: ${errorMessage(error)}` })];
    }
    const accepted = this.#accept(produced);
    if (!accepted.some((event) => event.type === "completed")) {
      accepted.push(...this.#accept([this.events.completed({ ok: false, error: `${this.engine} finished without a result event` })]));
    }
    return accepted;
  }

  #accept(produced: TakopiEvent[]): TakopiEvent[] {
    const out: TakopiEvent[] = [];
    for (const event of produced) {
      if (event.type === "started") {
        if (this.#expected !== null && !sameToken(event.resume, this.#expected)) {
          throw new SessionMismatchError(this.engine, event.resume.value, this.#expected.value);
        }
        if (this.#session !== null) {
          if (!sameToken(event.resume, this.#session)) {
            throw new SessionMismatchError(this.engine, event.resume.value, this.#session.value);
          }
          continue; // a repeated announcement of the same session
        }
        this.#session = event.resume;
      } else if (event.type === "completed") {
        this.#completed = true;
        // completed.resume must agree with started.resume (the runner contract).
        if (event.resume == null && this.#session !== null) event.resume = this.#session;
        out.push(event);
        break;
      }
      out.push(event);
    }
    return out;
  }
}

function quote(text: string): string {
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}
