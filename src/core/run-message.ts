/**
 * One message end to end: a progress message that replies to the
 * prompt, live edits while the engine works, and the final answer — or the
 * error, or the cancelled state — with the resume line so the conversation
 * can go on.
 *
 * The event stream is never held up by the chat service: the progress message
 * is sent while the engine starts, and live edits are handed to the surface
 * without waiting (its outbox coalesces them, so there is no timer here —
 * upstream has none either). Only the final delivery is awaited, so a run
 * counts as done once its answer is out.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import type { EngineBackend, ResumeCodec, RunOptions, RunRequest } from "../engines/backend.js";
import type { RunControl, SteerOutcome } from "../engines/runner.js";
import type { InteractionAnswer, InteractionRequest } from "./interaction.js";
import type { MessageOverflow } from "../render/final.js";
import { silentLogger, type Logger } from "../util/log.js";
import { guardedSurface, type ChatSurface, type MessageRef } from "./chat.js";
import { stripResumeLines } from "./directives.js";
import type { CompletedEvent, ResumeToken, TakopiEvent } from "./events.js";
import { LiveProgress, type Delivery } from "./live-progress.js";
import { runOutcome, type RunStatus } from "./outcome.js";
import type { JournalEntry, RunJournal } from "./run-journal.js";
import { PROGRESS_LABELS, RunView, stallNotice } from "./run-view.js";
import { RunAsks } from "./run-asks.js";
import { normalizeUsage, type RunUsage, type UsageTotals } from "./usage.js";

/** What the bridge needs of an engine: an `EngineRunner` fits. */
export interface MessageRunner {
  readonly engine: string;
  /** The engine's resume lines: shown in footers, stripped from prompts; its capabilities (steer), when it declares them. */
  readonly backend: ResumeCodec & Partial<Pick<EngineBackend, "capabilities">>;
  /** Yields the run's events; ends without `completed` when `control.signal` aborts. */
  run(request: RunRequest, control?: RunControl): AsyncIterable<TakopiEvent>;
  /** Adds text to the session's running turn, on engines that can (engines/runner.ts `EngineRunnerLike.steer`). */
  steer?(session: ResumeToken, text: string): Promise<SteerOutcome>;
}

/** Where a run's requests are shown: the run's own message, for the request to reply to and stay in its thread. */
export interface InteractionContext {
  /** The prompt the run answers. */
  source: MessageRef;
  engine: string;
  /** The progress message, once posted. */
  progress(): MessageRef | null;
  /** Settles with the progress message once it is posted (null if it could not be, or the run ended first). */
  progressPosted: Promise<MessageRef | null>;
  /** The host posted this request's message; `closed` is what it should say if takopi dies before the answer (run-journal.ts). */
  shown?(message: MessageRef, closed: string): void;
}

/**
 * Shows an engine's request (an approval, a question, a plan) in the run's
 * chat and settles with the answer (core/interaction.ts); the transport's
 * part. `signal` aborts when the engine withdrew the request or the run ended.
 */
export type InteractionHost = (request: InteractionRequest, context: InteractionContext, signal: AbortSignal) => Promise<InteractionAnswer>;

/** How runs are shown; the same for every run of a bridge. */
export interface BridgeSettings {
  surface: ChatSurface;
  /**
   * True (default, as upstream): the answer arrives as a new message, which
   * notifies, and the progress message is deleted. False: the progress
   * message is edited into the answer in place (silent).
   */
  finalNotify?: boolean;
  /** What to do with a final answer too long for one message (default `trim`); read at each run's end, so a reload applies. */
  overflow?: () => MessageOverflow;
  /** Milliseconds, for the elapsed time in headers (default `Date.now`). */
  now?: () => number;
  /** Where live runs are written down, so the next start can clean up after a crash (see run-journal.ts). */
  journal?: RunJournal;
  /**
   * Seconds without any event from the engine before the progress message
   * says it has been silent (default 300; 0: never). Read on every render.
   */
  stallNoticeS?: () => number;
  /**
   * How often the progress message is refreshed when nothing happens, so its
   * elapsed time keeps moving and a silent engine shows (default 5000 ms).
   */
  tickMs?: number;
  /** Whether the final message shows the usage the engine reported (default false); read at each run's end. */
  showUsage?: () => boolean;
  /** Where each run's reported usage is added to its chat's totals. */
  usage?: UsageTotals;
  /**
   * Asks the person driving a run (approvals, questions, plans). Unset: no
   * `interact` reaches the engine, which refuses on its own.
   */
  interact?: InteractionHost;
  log?: Logger;
}

/** One prompt for one engine session, answering a message in a chat. */
export interface MessageRun {
  runner: MessageRunner;
  /** The user's message that asked for the run: progress and answer reply to it, in its thread. */
  source: MessageRef;
  /** The prompt after directives were removed; resume lines may still be in it. */
  prompt: string;
  /** The session to continue; null starts a new one. */
  resume: ResumeToken | null;
  /** The run base dir: project root or worktree. */
  cwd: string;
  runOptions?: RunOptions;
  /** The `ctx:` line shown above the resume line. */
  contextLine?: string | null;
  /** Every engine's codec, in router order, so any engine's resume line is removed from the prompt (default: the runner's). */
  resumeCodecs?: readonly ResumeCodec[];
  /** The resume line for the footer; return `""` to hide it. Default: the runner's. */
  formatResume?: (token: ResumeToken) => string;
  /** Where this run is shown instead of the bridge's surface (a plugin's `capture` run: nowhere). */
  surface?: ChatSurface;
  /**
   * False: nobody watches this run (a plugin's capture run), so the engine's
   * requests are not shown and it refuses them on its own. Default true.
   */
  askable?: boolean;
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
  /** The run's key in the journal; the scheduler passes the key its `queued` placeholder was recorded under. */
  journalKey?: string;
}

/** `steered`: a queued prompt that joined the running turn instead of running on its own. */
export type RunResultStatus = RunStatus | "cancelled" | "steered";

export interface RunResult {
  status: RunResultStatus;
  /** The session, once known: from `completed`, `started`, or the one resumed. */
  resume: ResumeToken | null;
  /** Where the outcome is shown (the final answer, or the edited progress message); null if nothing could be posted. */
  message: MessageRef | null;
  /** The engine's answer, trimmed ("" when it gave none); absent for a dropped or cancelled run. */
  answer?: string;
  /** What went wrong when `status` is `error` (the engine's error, or the failure's text); else null. */
  error?: string | null;
  /** What the engine reported it used; null when it reported nothing. */
  usage?: RunUsage | null;
}

const DEFAULT_STALL_NOTICE_S = 300;
const DEFAULT_TICK_MS = 5000;
/**
 * Longest stretch of event handling before the run lets the event loop turn.
 * An engine's output that is already buffered is read without ever leaving
 * the microtask queue, so without this one flooding run would hold up
 * polling, other chats' runs and `/cancel` until its buffer ran dry.
 */
const SLICE_MS = 10;

/** Shown when an engine's event stream ends with neither an answer nor an error (a runner contract breach). */
export const NO_COMPLETED_ERROR = "runner finished without a completed event";

/**
 * Runs `run` and shows it in the chat. Whatever the engine does, the promise
 * resolves: a failure becomes an `error` final message carrying the failure's
 * text and the resume line, and chat-service failures only cost messages.
 */
export async function runMessage(settings: BridgeSettings, run: MessageRun, hooks: RunHooks = {}): Promise<RunResult> {
  const log = (settings.log ?? silentLogger).child({ engine: run.runner.engine, chatId: run.source.chatId });
  const surface = guardedSurface(run.surface ?? settings.surface, log);
  const now = settings.now ?? Date.now;
  const startedAt = now();
  const elapsedSeconds = (): number => Math.max(0, (now() - startedAt) / 1000);
  const { runner, source } = run;
  const view = runView(run, run.resume);
  const journal = journalRecord(settings, run, hooks.journalKey, "running");

  // Any event counts as a sign of life; a silent engine is shown as such, never stopped.
  let lastEventAt: number | null = null;
  const notice = (): string | null => {
    const limitS = settings.stallNoticeS?.() ?? DEFAULT_STALL_NOTICE_S;
    const silentS = (now() - (lastEventAt ?? startedAt)) / 1000;
    return limitS > 0 && silentS >= limitS ? stallNotice(runner.engine, silentS) : null;
  };
  const reply = { replyTo: source };
  // Requests the engine makes of the person; the progress message says it waits for them.
  let progressRef: MessageRef | null = null;
  const posted = Promise.withResolvers<MessageRef | null>();
  const asks =
    settings.interact === undefined || run.askable === false
      ? null
      : new RunAsks(settings.interact, { source, engine: runner.engine, progress: () => progressRef, progressPosted: posted.promise }, hooks.signal, () => {
          progress.update();
        }, (shown) => { journal.note({ asks: shown }); });
  const label = (): string => asks?.label() ?? (lastEventAt === null ? PROGRESS_LABELS.starting : PROGRESS_LABELS.working);
  const progress = new LiveProgress(surface, {
    chatId: source.chatId,
    reply,
    render: () => view.progress(label(), elapsedSeconds(), notice()),
    onMessage: (ref) => {
      progressRef = ref;
      posted.resolve(ref);
      journal.note({ message_id: ref.messageId, thread_id: ref.threadId });
      callHook(log, "onProgressMessage", () => hooks.onProgressMessage?.(ref));
    },
  });
  progress.open(view.progress(PROGRESS_LABELS.starting, 0), hooks.placeholder ?? null);

  const request: RunRequest = { prompt: enginePrompt(run), resume: run.resume, cwd: run.cwd };
  if (run.runOptions !== undefined) request.options = run.runOptions;

  let started: ResumeToken | null = null;
  let completed: CompletedEvent | null = null;
  let events = 0;
  let failure: unknown = null;
  const ticker = setInterval(() => {
    progress.update();
  }, settings.tickMs ?? DEFAULT_TICK_MS);
  try {
    const onSpawn = (spawned: { pid: number; startTime: string | null }): void => {
      journal.note({ pid: spawned.pid, pid_start_time: spawned.startTime });
    };
    let sliceStart = performance.now();
    const control: RunControl = { signal: hooks.signal, onSpawn };
    if (asks !== null) control.interact = asks.handler;
    for await (const event of runner.run(request, control)) {
      if (event.type === "started" && started === null) {
        started = event.resume;
        const token = event.resume;
        journal.note({ resume_line: resumeFormatter(run)(token) });
        callHook(log, "onThreadKnown", () => hooks.onThreadKnown?.(token));
      } else if (event.type === "completed") {
        completed = event;
      }
      events += 1;
      const wasSilent = notice() !== null;
      lastEventAt = now();
      if (view.noteEvent(event) || wasSilent) progress.update();
      if (performance.now() - sliceStart >= SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
    }
  } catch (error) {
    failure = error;
  } finally {
    clearInterval(ticker);
    asks?.end();
    posted.resolve(null);
  }

  const knownResume = started ?? run.resume;
  const ended = { elapsed_ms: Math.round(now() - startedAt), events, steps: view.steps };
  if (completed === null && hooks.signal?.aborted === true) {
    log.info({ event: "run.finished", status: "cancelled", ...ended }, "run cancelled");
    const shown = await progress.settle(view.progress(PROGRESS_LABELS.cancelled, elapsedSeconds()), "edit");
    await journal.forget();
    return { status: "cancelled", resume: knownResume, message: shown };
  }

  let status: RunStatus;
  let text: string;
  let resume: ResumeToken | null;
  let delivery: Delivery;
  let error: string | null = null;
  if (completed !== null) {
    ({ status, text, resume } = runOutcome(completed, knownResume));
    delivery = settings.finalNotify === false ? "edit" : "new";
    if (status === "error") error = completed.error?.trim() || text;
  } else {
    // A throwing runner, and one that just stops, both end in an error shown in place.
    status = "error";
    text = failure === null ? NO_COMPLETED_ERROR : describeFailure(failure);
    resume = knownResume;
    delivery = "edit";
    error = text;
    if (failure === null) log.error(NO_COMPLETED_ERROR);
    else log.warn({ err: failure }, "engine run failed");
  }
  // Logged as the outcome is handed to the chat: what follows is the chat service's pacing and delivery.
  log.info({ event: "run.finished", status, ...ended }, "run finished");
  const overflow = settings.overflow?.() ?? "trim";
  const usage = normalizeUsage(completed?.usage);
  settings.usage?.add(run.source.chatId, usage);
  const shownUsage = settings.showUsage?.() === true ? usage : null;
  const final = view.final({ label: status, elapsedSeconds: elapsedSeconds(), body: text, resume, overflow, usage: shownUsage });
  const shown = await progress.settle(final, delivery);
  await journal.forget();
  return { status, resume, message: shown, answer: completed?.answer.trim() ?? "", error, usage };
}

/**
 * The silent `queued` reply of a run that waits for its session,
 * with the resume line and the cancel button. Settles with the message, or null.
 */
export async function postQueued(settings: BridgeSettings, run: MessageRun, journalKey?: string, steerable = false): Promise<MessageRef | null> {
  const surface = guardedSurface(run.surface ?? settings.surface, settings.log ?? silentLogger);
  const ref = await surface.send(run.source.chatId, runView(run, run.resume).queued(steerable), { replyTo: run.source, notify: false });
  if (ref !== null) journalRecord(settings, run, journalKey, "queued").note({ message_id: ref.messageId, thread_id: ref.threadId });
  return ref;
}

/** A dropped run's `queued` message shows `cancelled`, without the button. */
export async function showDropped(settings: BridgeSettings, run: MessageRun, placeholder: MessageRef, journalKey?: string): Promise<MessageRef | null> {
  const surface = guardedSurface(run.surface ?? settings.surface, settings.log ?? silentLogger);
  const shown = await surface.edit(placeholder, runView(run, run.resume).progress(PROGRESS_LABELS.cancelled, 0));
  if (journalKey !== undefined) await settings.journal?.forget(journalKey);
  return shown;
}

/** A `queued` message whose prompt was steered into the running turn says so, without buttons. */
export async function showSteered(settings: BridgeSettings, run: MessageRun, placeholder: MessageRef, outcome: SteerOutcome, journalKey?: string): Promise<MessageRef | null> {
  const surface = guardedSurface(settings.surface, settings.log ?? silentLogger);
  const shown = await surface.edit(placeholder, runView(run, run.resume).steered(run.runner.engine, outcome === "after_tool"));
  if (journalKey !== undefined) await settings.journal?.forget(journalKey);
  return shown;
}

/** The prompt as the engine gets it: resume lines removed. */
export function enginePrompt(run: Pick<MessageRun, "prompt" | "resumeCodecs" | "runner">): string {
  return stripResumeLines(run.prompt, run.resumeCodecs ?? [run.runner.backend]);
}

/** A run's entry in the journal, kept in memory and written on each change (nothing when there is no journal). */
interface JournalRecord {
  note(change: Partial<JournalEntry>): void;
  forget(): Promise<void>;
}

function journalRecord(settings: BridgeSettings, run: MessageRun, key: string | undefined, state: JournalEntry["state"]): JournalRecord {
  const journal = settings.journal;
  if (journal === undefined) return { note: () => undefined, forget: () => Promise.resolve() };
  const id = key ?? crypto.randomUUID();
  const entry: JournalEntry = {
    state,
    chat_id: run.source.chatId,
    message_id: null,
    thread_id: run.source.threadId,
    engine: run.runner.engine,
    // Wall-clock time: the entry is read by another process.
    started_at: Date.now(),
    pid: null,
    pid_start_time: null,
    resume_line: run.resume === null ? null : resumeFormatter(run)(run.resume),
    context_line: run.contextLine ?? null,
  };
  return {
    note(change) {
      Object.assign(entry, change);
      void journal.record(id, { ...entry });
    },
    forget: () => journal.forget(id),
  };
}

/** The resume line a run's footers show: the run's own formatter, else its engine's. */
export function resumeFormatter(run: Pick<MessageRun, "runner" | "formatResume">): (token: ResumeToken) => string {
  return run.formatResume ?? ((token) => run.runner.backend.formatResume(token));
}

function runView(run: MessageRun, resume: ResumeToken | null): RunView {
  return new RunView({
    engine: run.runner.engine,
    cwd: run.cwd,
    contextLine: run.contextLine ?? null,
    formatResume: resumeFormatter(run),
    resume,
  });
}

/**
 * The text of a failure for the error final message: an aggregate's messages
 * one per line, cancellations left out.
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
