/**
 * Folds a run's events into the state the progress message shows:
 * one line per distinct action, updated in place, in first-seen order.
 */
import type { Action, ActionEvent, ActionPhase, ResumeToken, TakopiEvent } from "./events.js";

export interface ActionState {
  action: Action;
  /** `updated` when a started action was reported again before completing. */
  displayPhase: ActionPhase;
  ok: boolean | null;
  /** First-seen order. */
  seq: number;
}

export interface ProgressSnapshot {
  engine: string;
  /** Distinct actions seen so far, warnings left out (the `step N` of the header). */
  actionCount: number;
  actions: ActionState[];
  resume: ResumeToken | null;
  /** The engine's resume line for {@link resume}, when a formatter was given. */
  resumeLine: string | null;
  /** The `ctx:` line of the run's project and branch, if any. */
  contextLine: string | null;
}

/** What the snapshot needs from outside the event stream to build the footer lines. */
export interface SnapshotOptions {
  /** Turns the session's token into its resume line, e.g. an engine's `formatResume`. */
  formatResume?: (token: ResumeToken) => string;
  contextLine?: string | null;
}

export class ProgressTracker {
  readonly engine: string;
  #resume: ResumeToken | null = null;
  readonly #actions = new Map<string, ActionState>();
  #seq = 0;
  /** Distinct actions that are steps of the work: warnings about the stream (a garbage line) are shown, not counted. */
  #steps = 0;

  constructor(engine: string) {
    this.engine = engine;
  }

  /** Records `event`; true when what the progress message shows changed. */
  noteEvent(event: TakopiEvent): boolean {
    switch (event.type) {
      case "started":
        this.#resume = event.resume;
        return true;
      case "completed":
        return false;
      case "action":
        return this.#noteAction(event);
    }
  }

  #noteAction(event: ActionEvent): boolean {
    const { action, phase } = event;
    if (action.kind === "turn" || action.id === "") return false;
    const previous = this.#actions.get(action.id);
    if (previous === undefined && action.kind !== "warning") this.#steps += 1;
    const displayPhase: ActionPhase =
      phase === "updated" || (phase === "started" && previous !== undefined && previous.displayPhase !== "completed")
        ? "updated"
        : phase;
    this.#actions.set(action.id, {
      action,
      displayPhase,
      ok: event.ok ?? null,
      seq: previous?.seq ?? this.#seq++,
    });
    return true;
  }

  snapshot(options: SnapshotOptions = {}): ProgressSnapshot {
    const resume = this.#resume;
    return {
      engine: this.engine,
      actionCount: this.#steps,
      actions: [...this.#actions.values()].sort((a, b) => a.seq - b.seq),
      resume,
      resumeLine: resume !== null && options.formatResume !== undefined ? options.formatResume(resume) : null,
      contextLine: options.contextLine ?? null,
    };
  }
}
