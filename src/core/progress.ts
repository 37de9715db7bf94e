/**
 * Folds a run's events into the state the progress message shows: one line
 * per distinct action, updated in place, in first-seen order, and the count of
 * steps. It keeps only what can be shown — the newest {@link KEPT_ACTIONS}
 * actions and the ones still running — so an hour-long run with a hundred
 * thousand tool calls costs the same per event, and the same memory, as a
 * short one.
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
  /** The newest actions (at most {@link KEPT_ACTIONS}), in first-seen order. */
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

/** Actions a snapshot can show: the progress message shows the last five (render/progress.ts). */
export const KEPT_ACTIONS = 32;
/**
 * Actions still running that are remembered after they scroll out of sight,
 * so their completion updates them instead of counting a new step. Past this,
 * the oldest is forgotten: if it ever completes it counts as a new step (an
 * engine with this many tool calls in flight at once is not one we know of).
 */
export const MAX_OPEN_ACTIONS = 1000;

export class ProgressTracker {
  readonly engine: string;
  #resume: ResumeToken | null = null;
  /** The newest {@link KEPT_ACTIONS} distinct actions, oldest first (first-seen order). */
  #recent: ActionState[] = [];
  /** Started and not yet completed, oldest first (Map order is insertion order). */
  readonly #open = new Map<string, ActionState>();
  /** Every action in `#recent` or `#open`, by id. */
  readonly #known = new Map<string, ActionState>();
  #seq = 0;
  /** Distinct actions that are steps of the work: warnings about the stream (a garbage line) are shown, not counted. */
  #steps = 0;

  constructor(engine: string) {
    this.engine = engine;
  }

  /** Distinct actions seen so far, warnings left out. */
  get actionCount(): number {
    return this.#steps;
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
    const previous = this.#known.get(action.id);
    if (previous === undefined && action.kind !== "warning") this.#steps += 1;
    const displayPhase: ActionPhase =
      phase === "updated" || (phase === "started" && previous !== undefined && previous.displayPhase !== "completed")
        ? "updated"
        : phase;
    const state: ActionState = { action, displayPhase, ok: event.ok ?? null, seq: previous?.seq ?? this.#seq++ };
    this.#known.set(action.id, state);
    const shown = previous === undefined ? this.#addRecent(state) : this.#replaceRecent(state);
    if (phase === "completed") {
      this.#open.delete(action.id);
    } else {
      // Re-inserted at the end: the oldest open action is the first to be forgotten.
      this.#open.delete(action.id);
      this.#open.set(action.id, state);
      this.#forgetOldOpen();
    }
    if (!shown && !this.#open.has(action.id)) this.#known.delete(action.id);
    return shown || previous === undefined;
  }

  /** A new action goes last; the oldest scrolls off. Always shown. */
  #addRecent(state: ActionState): true {
    this.#recent.push(state);
    if (this.#recent.length > KEPT_ACTIONS) {
      const [gone] = this.#recent.splice(0, this.#recent.length - KEPT_ACTIONS);
      if (gone !== undefined && !this.#open.has(gone.action.id)) this.#known.delete(gone.action.id);
    }
    return true;
  }

  /** Updates a known action in place; false when it has scrolled off (nothing shown changes). */
  #replaceRecent(state: ActionState): boolean {
    for (let i = this.#recent.length - 1; i >= 0; i--) {
      if (this.#recent[i]?.seq === state.seq) {
        this.#recent[i] = state;
        return true;
      }
    }
    return false;
  }

  #forgetOldOpen(): void {
    while (this.#open.size > MAX_OPEN_ACTIONS) {
      const oldest = this.#open.keys().next();
      if (oldest.done === true) return;
      this.#open.delete(oldest.value);
      if (!this.#recent.some((state) => state.action.id === oldest.value)) this.#known.delete(oldest.value);
    }
  }

  snapshot(options: SnapshotOptions = {}): ProgressSnapshot {
    const resume = this.#resume;
    return {
      engine: this.engine,
      actionCount: this.#steps,
      actions: [...this.#recent],
      resume,
      resumeLine: resume !== null && options.formatResume !== undefined ? options.formatResume(resume) : null,
      contextLine: options.contextLine ?? null,
    };
  }
}
