// @ts-check
/**
 * Time for the scheduler: what time it is, and "call me at T". The system
 * clock is the real one; tests drive a clock file instead (below).
 *
 * Node's setTimeout fires at once for delays above 2^31-1 ms (~24.8 days), so
 * a far-off firing is reached in steps: each step re-checks the time and arms
 * the next one.
 */
import { readFileSync } from "node:fs";
import { clearInterval, setInterval } from "node:timers";

/**
 * @typedef {object} ScheduleClock
 * @property {() => number} now epoch ms
 * @property {(when: number, fire: () => void) => () => void} at calls `fire` once `now() >= when`; returns a cancel function
 */

/** The longest single setTimeout step (below Node's 2^31-1 ms cap). */
export const MAX_STEP_MS = 2 ** 30;

/**
 * For tests only: `TAKOPI_SCHEDULE_CLOCK_FILE` names a file holding the
 * current time as epoch milliseconds; the plugin's "now" is what it says,
 * re-read every `TICK_MS`. It is an environment variable of the takopi
 * process, so nobody in a chat can reach it.
 */
export const CLOCK_FILE_ENV = "TAKOPI_SCHEDULE_CLOCK_FILE";
const TICK_MS = 50;

/**
 * The system clock, or the clock file when the environment names one.
 * @param {NodeJS.ProcessEnv} env
 * @returns {ScheduleClock}
 */
export function clockFromEnv(env) {
  const file = env[CLOCK_FILE_ENV];
  return file === undefined || file === "" ? systemClock() : fileClock(file);
}

/**
 * @param {{ now: () => number, setTimeout: (fire: () => void, ms: number) => unknown, clearTimeout: (handle: any) => void }} timers
 * @returns {ScheduleClock}
 */
export function systemClock(timers = { now: Date.now, setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout }) {
  return {
    now: () => timers.now(),
    at(when, fire) {
      /** @type {unknown} */
      let handle = null;
      let cancelled = false;
      // Never fires from inside `at` itself, even when `when` has passed: the caller has not stored the cancel function yet.
      const arm = () => {
        handle = timers.setTimeout(step, Math.max(0, Math.min(when - timers.now(), MAX_STEP_MS)));
        // A pending schedule must not keep a stopping takopi alive.
        if (typeof handle === "object" && handle !== null && "unref" in handle && typeof handle.unref === "function") handle.unref();
      };
      const step = () => {
        if (cancelled) return;
        if (when - timers.now() <= 0) fire();
        else arm();
      };
      arm();
      return () => {
        cancelled = true;
        if (handle !== null) timers.clearTimeout(handle);
      };
    },
  };
}

/**
 * @param {string} path
 * @returns {ScheduleClock}
 */
function fileClock(path) {
  let last = Date.now();
  const now = () => {
    try {
      const value = Number(readFileSync(path, "utf8").trim());
      if (Number.isFinite(value) && value > 0) last = value;
    } catch {
      // Not written yet, or mid-write: keep the last time read.
    }
    return last;
  };
  /** @type {Set<{ when: number, fire: () => void }>} */
  const pending = new Set();
  /** @type {ReturnType<typeof setInterval> | null} */
  let ticker = null;
  const tick = () => {
    const time = now();
    const due = [...pending].filter((each) => each.when <= time).sort((a, b) => a.when - b.when);
    for (const each of due) {
      pending.delete(each);
      each.fire();
    }
    if (pending.size === 0 && ticker !== null) {
      clearInterval(ticker);
      ticker = null;
    }
  };
  return {
    now,
    at(when, fire) {
      const entry = { when, fire };
      pending.add(entry);
      if (ticker === null) {
        ticker = setInterval(tick, TICK_MS);
        ticker.unref();
      }
      return () => {
        pending.delete(entry);
      };
    },
  };
}
