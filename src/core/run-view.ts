/**
 * The one place a run's messages are described: the `queued` placeholder,
 * the live progress message, `cancelled`, the final answer, and `interrupted`
 * for a run a killed takopi left behind. Each is a
 * `ChatMessage` of markdown parts; the transport renders it. The scheduler
 * and the run lifecycle both go through here, so a queued message and the
 * progress message it turns into always look alike.
 */
import type { MessageOverflow } from "../render/final.js";
import { finalParts, renderFooter, renderHeader } from "../render/final.js";
import { formatElapsed } from "../render/text.js";
import { PROGRESS_LABELS, progressParts } from "../render/progress.js";
import type { ChatMessage } from "./chat.js";
import type { ResumeToken, TakopiEvent } from "./events.js";
import type { JournalEntry } from "./run-journal.js";
import { ProgressTracker } from "./progress.js";
import { formatUsage, type RunUsage } from "./usage.js";

export { PROGRESS_LABELS };

/** What a run's messages show besides its events. */
export interface RunViewOptions {
  engine: string;
  /** The run base dir: paths under it are shown relative. */
  cwd: string;
  /** The `ctx:` line shown above the resume line. */
  contextLine: string | null;
  /** The resume line for the footer; `""` hides it. */
  formatResume: (token: ResumeToken) => string;
  /** The session being resumed, shown from the first render; null for a new one. */
  resume: ResumeToken | null;
}

/** The outcome of a run as the final message shows it. */
export interface FinalView {
  /** `done`, `error`, … */
  label: string;
  elapsedSeconds: number;
  body: string;
  resume: ResumeToken | null;
  overflow: MessageOverflow;
  /** Shown in the footer when given; null when not reported or not wanted. */
  usage?: RunUsage | null;
}

export class RunView {
  readonly #options: RunViewOptions;
  readonly #tracker: ProgressTracker;

  constructor(options: RunViewOptions) {
    this.#options = options;
    this.#tracker = new ProgressTracker(options.engine);
    // A resumed session's line is shown from the first render, as on its `queued` message.
    if (options.resume !== null) this.#tracker.noteEvent({ type: "started", engine: options.engine, resume: options.resume });
  }

  /** Records `event`; true when what the progress message shows changed. */
  noteEvent(event: TakopiEvent): boolean {
    return this.#tracker.noteEvent(event);
  }

  /** The distinct actions so far (the `step N` of the header). */
  get steps(): number {
    return this.#tracker.actionCount;
  }

  /**
   * The progress message with `label` (`starting`, `working`, `queued`,
   * `cancelled`) and an optional notice line: the cancel button while the run
   * can still be cancelled.
   */
  progress(label: string, elapsedSeconds: number, notice: string | null = null): ChatMessage {
    const { formatResume, contextLine, cwd } = this.#options;
    const snapshot = this.#tracker.snapshot({ formatResume, contextLine });
    return {
      parts: progressParts({ label, snapshot, elapsedSeconds, baseDir: cwd, notice }),
      markup: label === PROGRESS_LABELS.cancelled || label === STEERED_LABEL ? "none" : "cancel",
    };
  }

  /** A `queued` message; `steerable`: the running turn takes steering, so it gets the steer button too. */
  queued(steerable: boolean): ChatMessage {
    const message = this.progress(PROGRESS_LABELS.queued, 0);
    return steerable ? { ...message, markup: "steer" } : message;
  }

  /** A `queued` message whose prompt was steered into the running turn; `waits`: until its command finishes. */
  steered(engine: string, waits: boolean): ChatMessage {
    const note = waits ? `${engine} takes it in once the running command finishes.` : "sent into the running turn.";
    return this.progress(STEERED_LABEL, 0, note);
  }

  /** The final answer, with the context and resume lines; no buttons. */
  final(outcome: FinalView): ChatMessage {
    const resumeLine = outcome.resume === null ? null : this.#options.formatResume(outcome.resume);
    return {
      parts: finalParts({
        label: outcome.label,
        engine: this.#options.engine,
        elapsedSeconds: outcome.elapsedSeconds,
        actionCount: this.steps,
        body: outcome.body,
        contextLine: this.#options.contextLine,
        resumeLine,
        usageLine: formatUsage(outcome.usage ?? null),
      }),
      markup: "none",
      overflow: outcome.overflow,
    };
  }
}

/** The label of a `queued` message whose prompt joined the running turn. */
export const STEERED_LABEL = "`steered`";

/** What a progress message says once an engine has printed nothing for a while; nothing is stopped. */
export function stallNotice(engine: string, silentSeconds: number): string {
  return `no output from ${engine} for ${formatElapsed(silentSeconds)}: it may be stuck, or retrying without a word. Cancel below, or keep waiting.`;
}

/** The label interrupted runs show, as code like `cancelled`. */
export const INTERRUPTED_LABEL = "`interrupted`";

/** What an interrupted run's message says instead of `working`. */
export function interruptedMessage(entry: JournalEntry, nowMs: number): ChatMessage {
  const elapsedSeconds = Math.max(0, (nowMs - entry.started_at) / 1000);
  const canContinue = entry.resume_line !== null;
  const body =
    entry.state === "queued"
      ? "takopi stopped before this prompt ran; send it again."
      : canContinue
        ? "takopi stopped while this was running (a restart, a crash or out of memory) and the engine was stopped; its work so far is in the session. Reply to this message to continue."
        : "takopi stopped while this was starting and the engine was stopped before it opened a session; send the prompt again.";
  return {
    parts: {
      header: renderHeader({ label: INTERRUPTED_LABEL, engine: entry.engine, elapsedSeconds, actionCount: 0 }),
      body,
      footer: renderFooter(entry.context_line, entry.resume_line),
    },
    markup: "none",
  };
}
