/**
 * One message end to end (spec §8): a progress message that replies to the
 * prompt, live edits while the engine works, and the final answer — or the
 * error, or the cancelled state — with the resume line so the conversation
 * can go on.
 *
 * The event stream is never held up by the chat service: the progress message
 * is sent while the engine starts, and live edits are handed to the surface
 * without waiting (its outbox coalesces them, so there is no timer here —
 * spec §31.16). Only the final delivery is awaited, so a run counts as done
 * once its answer is out.
 */
import type { ResumeCodec, RunOptions, RunRequest } from "../engines/backend.js";
import type { RunControl } from "../engines/runner.js";
import { finalParts, type MarkdownParts } from "../render/final.js";
import { PROGRESS_LABELS, progressParts } from "../render/progress.js";
import { prepareTelegram, type MessageOverflow } from "../render/telegram.js";
import { silentLogger, type Logger } from "../util/log.js";
import { stripResumeLines } from "./directives.js";
import type { CompletedEvent, ResumeToken, TakopiEvent } from "./events.js";
import { runOutcome, type RunStatus } from "./outcome.js";
import { ProgressTracker } from "./progress.js";
import { sameMessage, sameRender, type ChatSurface, type MessageRef, type RenderedMessage, type SurfaceSendOptions } from "./presenter.js";

/** What the bridge needs of an engine: an `EngineRunner` fits. */
export interface MessageRunner {
  readonly engine: string;
  /** The engine's resume lines: shown in footers, stripped from prompts. */
  readonly backend: ResumeCodec;
  /** Yields the run's events; ends without `completed` when `control.signal` aborts. */
  run(request: RunRequest, control?: RunControl): AsyncIterable<TakopiEvent>;
}

/** The user's message that asked for the run. */
export interface IncomingMessage {
  chatId: number;
  messageId: number;
  /** The forum topic (or thread) it is in; null for the main thread. */
  threadId: number | null;
  /** The prompt after directives were removed; resume lines may still be in it. */
  text: string;
}

/** How runs are shown; the same for every run of a bridge. */
export interface BridgeSettings {
  surface: ChatSurface;
  /**
   * True (default, spec §8.3): the answer arrives as a new message, which
   * notifies, and the progress message is deleted. False: the progress
   * message is edited into the answer in place (silent).
   */
  finalNotify?: boolean;
  /** What to do with a final answer too long for one message (default `trim`). */
  overflow?: MessageOverflow;
  /** Milliseconds, for the elapsed time in headers (default `Date.now`). */
  now?: () => number;
  log?: Logger;
}

/** One prompt for one engine session. */
export interface MessageRun {
  runner: MessageRunner;
  message: IncomingMessage;
  /** The session to continue; null starts a new one. */
  resume: ResumeToken | null;
  /** The run base dir: project root or worktree. */
  cwd: string;
  runOptions?: RunOptions;
  /** The `ctx:` line shown above the resume line. */
  contextLine?: string | null;
  /** Every engine's codec, in router order, so any engine's resume line is removed from the prompt (default: the runner's). */
  resumeCodecs?: readonly ResumeCodec[];
  /** The resume line for the footer; return `""` to hide it (spec §3.7). Default: the runner's. */
  formatResume?: (token: ResumeToken) => string;
}

/** How the caller follows and steers a run. */
export interface RunHooks {
  /** A `queued` message already posted for this run: it becomes the progress message instead of a new one. */
  placeholder?: MessageRef | PromiseLike<MessageRef | null> | null;
  /** Aborting cancels the run: the engine's process tree is killed and the progress message shows `cancelled`. */
  signal?: AbortSignal;
  /** The progress message is known (or was replaced by a new one), so replies and cancel buttons can find the run. */
  onProgressMessage?: (ref: MessageRef) => void;
  /** The engine announced its session (`started`); called once. */
  onThreadKnown?: (token: ResumeToken) => void;
}

export type RunResultStatus = RunStatus | "cancelled";

export interface RunResult {
  status: RunResultStatus;
  /** The session, once known: from `completed`, `started`, or the one resumed. */
  resume: ResumeToken | null;
  /** Where the outcome is shown (the final answer, or the edited progress message); null if nothing could be posted. */
  message: MessageRef | null;
}

/** Shown when an engine's event stream ends with neither an answer nor an error (a runner contract breach). */
export const NO_COMPLETED_ERROR = "runner finished without a completed event";

/**
 * Runs `run` and shows it in the chat. Whatever the engine does, the promise
 * resolves: a failure becomes an `error` final message carrying the failure's
 * text and the resume line, and chat-service failures only cost messages.
 */
export async function runMessage(settings: BridgeSettings, run: MessageRun, hooks: RunHooks = {}): Promise<RunResult> {
  const log = (settings.log ?? silentLogger).child({ engine: run.runner.engine, chatId: run.message.chatId });
  const surface = guardedSurface(settings.surface, log);
  const now = settings.now ?? Date.now;
  const startedAt = now();
  const elapsedSeconds = (): number => Math.max(0, (now() - startedAt) / 1000);
  const { runner, message } = run;
  const formatResume = run.formatResume ?? ((token: ResumeToken) => runner.backend.formatResume(token));
  const contextLine = run.contextLine ?? null;

  const tracker = new ProgressTracker(runner.engine);
  // A resumed session's line is shown from the first render, as on its `queued` message.
  if (run.resume !== null) tracker.noteEvent({ type: "started", engine: runner.engine, resume: run.resume });
  const renderProgress = (label: string, elapsed: number): RenderedMessage =>
    single(progressParts({ label, snapshot: tracker.snapshot({ formatResume, contextLine }), elapsedSeconds: elapsed, baseDir: run.cwd }));

  const reply: SurfaceSendOptions = { replyTo: message.messageId, threadId: message.threadId };
  const progress = new LiveProgress(surface, {
    chatId: message.chatId,
    reply,
    render: () => renderProgress(PROGRESS_LABELS.working, elapsedSeconds()),
    onMessage: (ref) => {
      callHook(log, "onProgressMessage", () => hooks.onProgressMessage?.(ref));
    },
  });
  progress.open(renderProgress(PROGRESS_LABELS.starting, 0), hooks.placeholder ?? null);

  const request: RunRequest = { prompt: stripResumeLines(message.text, run.resumeCodecs ?? [runner.backend]), resume: run.resume, cwd: run.cwd };
  if (run.runOptions !== undefined) request.options = run.runOptions;

  let started: ResumeToken | null = null;
  let completed: CompletedEvent | null = null;
  let failure: unknown = null;
  try {
    for await (const event of runner.run(request, { signal: hooks.signal })) {
      if (event.type === "started" && started === null) {
        started = event.resume;
        const token = event.resume;
        callHook(log, "onThreadKnown", () => hooks.onThreadKnown?.(token));
      } else if (event.type === "completed") {
        completed = event;
      }
      if (tracker.noteEvent(event)) progress.update();
    }
  } catch (error) {
    failure = error;
  }

  const knownResume = started ?? run.resume;
  if (completed === null && hooks.signal?.aborted === true) {
    log.debug({ resume: knownResume }, "run cancelled");
    const shown = await progress.settle(renderProgress(PROGRESS_LABELS.cancelled, elapsedSeconds()), "edit");
    return { status: "cancelled", resume: knownResume, message: shown };
  }

  let status: RunStatus;
  let text: string;
  let resume: ResumeToken | null;
  let delivery: Delivery;
  if (completed !== null) {
    ({ status, text, resume } = runOutcome(completed, knownResume));
    delivery = settings.finalNotify === false ? "edit" : "new";
  } else {
    // Spec §8.3: a throwing runner, and one that just stops, both end in an error shown in place.
    status = "error";
    text = failure === null ? NO_COMPLETED_ERROR : describeFailure(failure);
    resume = knownResume;
    delivery = "edit";
    if (failure === null) log.error(NO_COMPLETED_ERROR);
    else log.warn({ err: failure }, "engine run failed");
  }
  const resumeLine = resume === null ? null : formatResume(resume);
  const parts = finalParts({
    label: status,
    engine: runner.engine,
    elapsedSeconds: elapsedSeconds(),
    actionCount: tracker.snapshot().actionCount,
    body: text,
    contextLine,
    resumeLine,
  });
  const [primary, ...followUps] = prepareTelegram(parts, { overflow: settings.overflow ?? "trim" });
  if (primary === undefined) throw new Error("prepareTelegram returned no message");
  const shown = await progress.settle(primary, delivery);
  if (shown !== null) {
    const notify = delivery === "new";
    for (const followUp of followUps) await surface.send(message.chatId, followUp, { ...reply, notify, markup: "none" });
  }
  return { status, resume, message: shown };
}

/** `new`: a new message that notifies, then the progress message goes. `edit`: the progress message becomes it. */
type Delivery = "new" | "edit";

interface LiveProgressOptions {
  chatId: number;
  /** Where a new progress (or final) message goes. */
  reply: SurfaceSendOptions;
  /** The progress message as it should look now. */
  render(): RenderedMessage;
  onMessage(ref: MessageRef): void;
}

/**
 * The progress message of one run: opened while the engine starts, edited on
 * every change without waiting, and finally turned into (or replaced by) the
 * outcome. Edits that would not change what the reader sees are skipped.
 */
class LiveProgress {
  readonly #surface: ChatSurface;
  readonly #options: LiveProgressOptions;
  #ref: MessageRef | null = null;
  #ready: Promise<MessageRef | null> = Promise.resolve(null);
  /** What the message shows (or was last asked to show); null forces the next edit. */
  #shown: RenderedMessage | null = null;
  /** Something changed before the message existed. */
  #dirty = false;
  #closed = false;

  constructor(surface: ChatSurface, options: LiveProgressOptions) {
    this.#surface = surface;
    this.#options = options;
  }

  open(starting: RenderedMessage, placeholder: MessageRef | PromiseLike<MessageRef | null> | null): void {
    this.#shown = starting;
    this.#ready = this.#post(starting, placeholder).then((ref) => {
      if (ref !== null) {
        this.#ref = ref;
        this.#options.onMessage(ref);
        if (this.#dirty) this.update();
      }
      return ref;
    });
  }

  async #post(starting: RenderedMessage, placeholder: MessageRef | PromiseLike<MessageRef | null> | null): Promise<MessageRef | null> {
    const { chatId, reply } = this.#options;
    const queued = await placeholder;
    if (queued != null) {
      const edited = await this.#surface.edit(queued, starting, { markup: "cancel" });
      if (edited !== null) return edited;
      // The placeholder is gone or uneditable: post a fresh progress message instead.
      const sent = await this.#surface.send(chatId, starting, { ...reply, notify: false, markup: "cancel" });
      if (sent !== null) void this.#surface.delete(queued);
      return sent;
    }
    return this.#surface.send(chatId, starting, { ...reply, notify: false, markup: "cancel" });
  }

  /** The run's state changed: show it, unless nothing visible changed. */
  update(): void {
    if (this.#closed) return;
    const ref = this.#ref;
    if (ref === null) {
      this.#dirty = true;
      return;
    }
    this.#dirty = false;
    const next = this.#options.render();
    if (this.#shown !== null && sameRender(this.#shown, next)) return;
    this.#shown = next;
    void this.#surface.edit(ref, next, { markup: "cancel" }).then((landed) => {
      if (landed === null) {
        // Best effort: a failed edit is not retried, but the next change is not skipped as unchanged.
        if (this.#shown === next) this.#shown = null;
      } else if (!this.#closed && this.#ref !== null && !sameMessage(landed, this.#ref)) {
        this.#ref = landed;
        this.#options.onMessage(landed);
      }
    });
  }

  /**
   * Stops live edits and shows `outcome` (without the cancel button): as a new message that notifies
   * (`new`, the progress message is then deleted) or by editing the progress
   * message (`edit`). Each falls back to the other so the outcome is never
   * lost. Resolves with where the outcome is shown, or null.
   */
  async settle(outcome: RenderedMessage, delivery: Delivery): Promise<MessageRef | null> {
    this.#closed = true;
    await this.#ready;
    const progress = this.#ref;
    const { chatId, reply } = this.#options;
    const sendNew = async (notify: boolean): Promise<MessageRef | null> => {
      const sent = await this.#surface.send(chatId, outcome, { ...reply, notify, markup: "none" });
      if (sent !== null && progress !== null && !sameMessage(sent, progress)) void this.#surface.delete(progress);
      return sent;
    };
    const editInPlace = (): Promise<MessageRef | null> =>
      progress === null ? Promise.resolve(null) : this.#surface.edit(progress, outcome, { markup: "none" });
    if (delivery === "new") return (await sendNew(true)) ?? (await editInPlace());
    return (await editInPlace()) ?? (await sendNew(false));
  }
}

/** The one message a progress or final render makes (trim mode never splits). */
function single(parts: MarkdownParts): RenderedMessage {
  const [message] = prepareTelegram(parts);
  if (message === undefined) throw new Error("prepareTelegram returned no message");
  return message;
}

/**
 * The text of a failure for the error final message: an aggregate's messages
 * one per line, cancellations left out (spec §8.3).
 */
export function describeFailure(error: unknown): string {
  if (error instanceof AggregateError) {
    const inner = (error.errors as unknown[]).filter((item) => !isAbort(item)).map(describeFailure).filter((line) => line !== "");
    if (inner.length > 0) return inner.join("\n");
  }
  if (error instanceof Error) return error.message === "" ? error.name : error.message;
  return String(error);
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

function callHook(log: Logger, name: string, hook: () => void): void {
  try {
    hook();
  } catch (error) {
    log.error({ err: error, hook: name }, "run hook failed");
  }
}

/**
 * The surface, made safe to fire and forget: a surface that throws (a bug)
 * is logged and treated like a failed call instead of losing the run.
 */
function guardedSurface(surface: ChatSurface, log: Logger): ChatSurface {
  const guard = async <T>(call: () => Promise<T>, failed: T, what: string): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      log.error({ err: error, call: what }, "chat surface call failed");
      return failed;
    }
  };
  return {
    send: (chatId, message, options) => guard(() => surface.send(chatId, message, options), null, "send"),
    edit: (ref, message, options) => guard(() => surface.edit(ref, message, options), null, "edit"),
    delete: (ref) => guard(() => surface.delete(ref), false, "delete"),
  };
}
