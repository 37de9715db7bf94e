// @ts-check
/**
 * The schedules of one takopi process: kept in the state file, armed on the
 * clock, fired through the executor in the chat or topic each was made in.
 *
 * - A firing whose previous run (running or queued) has not ended is skipped
 *   with a note in the chat, never stacked.
 * - One-shots are removed once they fired (or were reported missed).
 * - At start, a schedule whose time passed while takopi was down runs once
 *   if its latest missed run is at most `catchUpMs` old; otherwise the chat
 *   is told it was missed. Either way it then goes on with its next run.
 */
import { describeTiming, formatTime, latestRunBetween, nextRunAfter } from "./timing.js";
import { loadState, saveState } from "./store.js";

/** @import { BridgeRuntime, ExecutorResult } from "takopi" */
/** @import { ScheduleClock } from "./clock.js" */
/** @import { Schedule, State } from "./store.js" */
/** @import { Timing } from "./timing.js" */

/** Longest prompt text shown in a list or a note. */
const SHOWN_PROMPT = 80;

/**
 * @typedef {object} SchedulerOptions
 * @property {BridgeRuntime} runtime
 * @property {ScheduleClock} clock
 * @property {string} path the state file
 * @property {number} catchUpMs
 * @property {{ info: (obj: object, msg: string) => void, warn: (obj: object, msg: string) => void }} log
 */

export class Scheduler {
  /** @type {SchedulerOptions} */
  #options;
  /** @type {State} */
  #state = { version: 1, nextId: 1, schedules: [] };
  /** @type {Map<string, () => void>} */
  #timers = new Map();
  /** Schedules whose run has not ended yet. @type {Set<string>} */
  #running = new Set();
  /** The last write: null once on disk, else why it failed. @type {Promise<string | null>} */
  #saving = Promise.resolve(/** @type {string | null} */ (null));

  /** @param {SchedulerOptions} options */
  constructor(options) {
    this.#options = options;
  }

  get clock() {
    return this.#options.clock;
  }

  /** Loads the saved schedules, settles the ones missed while takopi was down, and arms the rest. */
  async start() {
    this.#state = await loadState(this.#options.path);
    const now = this.clock.now();
    let changed = false;
    for (const schedule of [...this.#state.schedules]) {
      if (schedule.paused || schedule.nextRunAt === null || schedule.nextRunAt > now) continue;
      changed = true;
      const latest = latestRunBetween(schedule.timing, schedule.zone, schedule.nextRunAt, now) ?? schedule.nextRunAt;
      if (now - latest <= this.#options.catchUpMs) {
        this.#launch(schedule, `catching up the run due ${formatTime(latest, schedule.zone)} (${schedule.zone})`);
      } else {
        const span = latest === schedule.nextRunAt ? `the run due ${formatTime(latest, schedule.zone)}` : `the runs due ${formatTime(schedule.nextRunAt, schedule.zone)} to ${formatTime(latest, schedule.zone)}`;
        this.#note(schedule, `⏰ missed ${schedule.id} (${describe(schedule)}): takopi was not running at ${span} (${schedule.zone}), older than catch_up_s.`);
        this.#options.log.info({ event: "schedule.missed", id: schedule.id, due: latest }, "scheduled run missed while takopi was down");
      }
      this.#advance(schedule, now);
    }
    for (const schedule of this.#state.schedules) this.#arm(schedule);
    if (changed) this.#save();
    this.#options.log.info({ event: "schedule.started", schedules: this.#state.schedules.length }, "schedules armed");
  }

  /**
   * This chat's schedules; with a thread, only that topic's.
   * @param {number} chatId
   * @param {number | null} threadId
   */
  list(chatId, threadId) {
    return this.#state.schedules.filter((each) => each.chatId === chatId && each.threadId === threadId);
  }

  /** @param {number} chatId */
  countIn(chatId) {
    return this.#state.schedules.filter((each) => each.chatId === chatId).length;
  }

  /**
   * @param {{ chatId: number, threadId: number | null, timing: Timing, zone: string, prompt: string, createdBy: number | null }} fields
   * @returns {Schedule}
   */
  add(fields) {
    const now = this.clock.now();
    /** @type {Schedule} */
    const schedule = {
      id: String(this.#state.nextId),
      ...fields,
      createdAt: now,
      paused: false,
      nextRunAt: nextRunAfter(fields.timing, fields.zone, now),
      lastRunAt: null,
    };
    this.#state.nextId += 1;
    this.#state.schedules.push(schedule);
    this.#arm(schedule);
    this.#save();
    this.#options.log.info({ event: "schedule.added", id: schedule.id, chat_id: schedule.chatId, kind: schedule.timing.kind }, "schedule added");
    return schedule;
  }

  /**
   * A schedule of this chat, by id.
   * @param {number} chatId
   * @param {string} id
   */
  find(chatId, id) {
    return this.#state.schedules.find((each) => each.id === id && each.chatId === chatId) ?? null;
  }

  /**
   * @param {number} chatId
   * @param {string} id
   * @returns {Schedule | null} the removed schedule
   */
  cancel(chatId, id) {
    const schedule = this.find(chatId, id);
    if (schedule === null) return null;
    this.#remove(schedule);
    this.#save();
    this.#options.log.info({ event: "schedule.cancelled", id }, "schedule cancelled");
    return schedule;
  }

  /** @param {Schedule} schedule */
  pause(schedule) {
    schedule.paused = true;
    schedule.nextRunAt = null;
    this.#disarm(schedule.id);
    this.#save();
  }

  /**
   * Resumes from now on. A one-shot whose time passed while it was paused runs right away.
   * @param {Schedule} schedule
   * @returns {boolean} whether it runs right away
   */
  resume(schedule) {
    const now = this.clock.now();
    schedule.paused = false;
    const overdue = schedule.timing.kind === "once" && schedule.timing.at <= now;
    schedule.nextRunAt = overdue ? now : nextRunAfter(schedule.timing, schedule.zone, now);
    this.#arm(schedule);
    this.#save();
    return overdue;
  }

  /** @param {Schedule} schedule */
  #arm(schedule) {
    this.#disarm(schedule.id);
    const at = schedule.nextRunAt;
    if (schedule.paused || at === null) return;
    this.#timers.set(
      schedule.id,
      this.clock.at(at, () => {
        this.#timers.delete(schedule.id);
        this.#fire(schedule.id);
      }),
    );
  }

  /** @param {string} id */
  #disarm(id) {
    this.#timers.get(id)?.();
    this.#timers.delete(id);
  }

  /** @param {string} id */
  #fire(id) {
    const schedule = this.#state.schedules.find((each) => each.id === id);
    if (schedule === undefined || schedule.paused) return;
    const now = this.clock.now();
    if (this.#running.has(id)) {
      this.#note(schedule, `⏰ skipped ${schedule.id} (${describe(schedule)}): its previous run has not finished.`);
      this.#options.log.info({ event: "schedule.skipped", id }, "scheduled run skipped: the previous one is still going");
    } else {
      this.#launch(schedule, null);
    }
    this.#advance(schedule, Math.max(now, schedule.nextRunAt ?? now));
    this.#arm(schedule);
    this.#save();
  }

  /**
   * Moves a schedule past `time` (a one-shot, or one with no further run, goes away).
   * @param {Schedule} schedule
   * @param {number} time
   */
  #advance(schedule, time) {
    const next = schedule.timing.kind === "once" ? null : nextRunAfter(schedule.timing, schedule.zone, time);
    if (next === null) {
      this.#remove(schedule);
      return;
    }
    schedule.nextRunAt = next;
  }

  /** @param {Schedule} schedule */
  #remove(schedule) {
    this.#disarm(schedule.id);
    this.#state.schedules = this.#state.schedules.filter((each) => each !== schedule);
  }

  /**
   * Starts the run; `why` is said in its label (a catch-up).
   * @param {Schedule} schedule
   * @param {string | null} why
   */
  #launch(schedule, why) {
    const { runtime, log } = this.#options;
    schedule.lastRunAt = this.clock.now();
    this.#running.add(schedule.id);
    const label = `⏰ scheduled: ${schedule.id} · ${describeTiming(schedule.timing)}${why === null ? "" : ` · ${why}`}`;
    log.info({ event: "schedule.fired", id: schedule.id, chat_id: schedule.chatId }, "scheduled run starting");
    runtime.executor
      .run({ prompt: schedule.prompt, chatId: schedule.chatId, threadId: schedule.threadId, label }, { mode: "emit" })
      .then(
        (/** @type {ExecutorResult} */ result) => {
          // The executor shows an emit run's failure itself; say something only when it could not post anything.
          if (!result.ok && result.message === null) this.#note(schedule, `⏰ scheduled ${schedule.id} could not run: ${result.error ?? result.status}`);
        },
        (/** @type {unknown} */ error) => {
          log.warn({ event: "schedule.run_failed", id: schedule.id, err: error }, "scheduled run failed");
          this.#note(schedule, `⏰ scheduled ${schedule.id} could not run.`);
        },
      )
      .finally(() => {
        this.#running.delete(schedule.id);
      });
  }

  /**
   * A line in the schedule's chat and topic.
   * @param {Schedule} schedule
   * @param {string} text
   */
  #note(schedule, text) {
    this.#options.runtime.send(schedule.chatId, text, { threadId: schedule.threadId, notify: false }).catch((/** @type {unknown} */ error) => {
      this.#options.log.warn({ event: "schedule.note_failed", id: schedule.id, err: error }, "could not post a schedule note");
    });
  }

  /** Writes the state after the previous write, so writes never overlap. */
  #save() {
    const snapshot = /** @type {State} */ (JSON.parse(JSON.stringify(this.#state)));
    this.#saving = this.#saving.then(() =>
      saveState(this.#options.path, snapshot).then(
        () => null,
        (/** @type {unknown} */ error) => {
          this.#options.log.warn({ event: "schedule.save_failed", err: error }, "could not save the schedules");
          return error instanceof Error ? error.message : String(error);
        },
      ),
    );
  }

  /** Resolves once the writes asked for so far are done: null when on disk, else why the last one failed. */
  saved() {
    return this.#saving;
  }
}

/**
 * `every day 09:00: run the tests` (the prompt shortened).
 * @param {Schedule} schedule
 */
export function describe(schedule) {
  return `${describeTiming(schedule.timing)}: ${shorten(schedule.prompt)}`;
}

/** @param {string} text */
export function shorten(text) {
  const line = text.replace(/\s+/g, " ");
  return line.length <= SHOWN_PROMPT ? line : `${line.slice(0, SHOWN_PROMPT - 1)}…`;
}
