// @ts-check
/**
 * When a schedule runs next, and how times are shown. Calendar schedules
 * (`every day 09:00`, `every mon,thu 08:00`, `cron "…"`, `at 18:30`) are cron
 * patterns evaluated by croner in the schedule's IANA time zone, so daylight
 * saving is croner's business; intervals (`every 2h`) count from when the
 * schedule was made, whatever the wall clock says.
 */
import { Cron } from "croner";

/** The days `every <days> HH:MM` knows, in cron's numbering (0 = Sunday). */
export const DAYS = /** @type {const} */ (["sun", "mon", "tue", "wed", "thu", "fri", "sat"]);

/**
 * What a schedule says about time; stored as is in the state file.
 * @typedef {{ kind: "once", at: number, said: string }
 *   | { kind: "every", intervalMs: number, anchor: number }
 *   | { kind: "daily", time: string }
 *   | { kind: "weekly", days: string[], time: string }
 *   | { kind: "cron", pattern: string }} Timing
 */

/**
 * Whether `zone` is an IANA time zone this Node knows.
 * @param {string} zone
 */
export function isTimeZone(zone) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The cron pattern behind a calendar timing (five fields: minute hour day month weekday).
 * @param {Timing} timing
 * @returns {string | null}
 */
export function cronPattern(timing) {
  switch (timing.kind) {
    case "daily":
    case "weekly": {
      const [hour, minute] = timing.time.split(":").map(Number);
      const days = timing.kind === "daily" ? "*" : timing.days.map((day) => DAYS.indexOf(/** @type {typeof DAYS[number]} */ (day))).join(",");
      return `${String(minute)} ${String(hour)} * * ${days}`;
    }
    case "cron":
      return timing.pattern;
    default:
      return null;
  }
}

/**
 * A five-field cron pattern croner accepts, or why not (croner's words).
 * @param {string} pattern
 * @param {string} zone
 * @returns {Cron}
 */
export function cronOf(pattern, zone) {
  return new Cron(pattern, { timezone: zone, mode: "5-part" });
}

/**
 * The first run strictly after `after` (epoch ms), or null when there is none
 * (a one-shot whose time has come, a cron pattern that never matches again).
 * @param {Timing} timing
 * @param {string} zone
 * @param {number} after
 * @returns {number | null}
 */
export function nextRunAfter(timing, zone, after) {
  if (timing.kind === "once") return timing.at > after ? timing.at : null;
  if (timing.kind === "every") {
    if (timing.anchor > after) return timing.anchor;
    const steps = Math.floor((after - timing.anchor) / timing.intervalMs) + 1;
    return timing.anchor + steps * timing.intervalMs;
  }
  const pattern = cronPattern(timing);
  if (pattern === null) return null;
  const next = cronOf(pattern, zone).nextRun(new Date(after));
  return next === null ? null : next.getTime();
}

/**
 * The next `HH:MM` in `zone` after `now`: today's if it is still ahead, else tomorrow's.
 * @param {string} time `H:MM` or `HH:MM`, already checked
 * @param {string} zone
 * @param {number} now
 */
export function nextClockTime(time, zone, now) {
  const next = nextRunAfter({ kind: "daily", time }, zone, now);
  if (next === null) throw new Error(`no next ${time} in ${zone}`);
  return next;
}

/**
 * `Sat 2026-12-05 18:30:00` in `zone`.
 * @param {number} at epoch ms
 * @param {string} zone
 */
export function formatTime(at, zone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(at));
  /** @param {Intl.DateTimeFormatPartTypes} type */
  const part = (type) => parts.find((each) => each.type === type)?.value ?? "";
  return `${part("weekday")} ${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}:${part("second")}`;
}

/**
 * `2h`, `1h30m`, `45s`, `2d`.
 * @param {number} ms
 */
export function formatDuration(ms) {
  let rest = Math.round(ms / 1000);
  if (rest === 0) return "0s";
  let text = "";
  for (const [unit, size] of /** @type {const} */ ([["d", 86_400], ["h", 3600], ["m", 60], ["s", 1]])) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${String(count)}${unit}`;
    rest -= count * size;
  }
  return text;
}

/**
 * How a schedule reads in replies: `once`, `every 2h`, `every day 09:00`,
 * `every mon,thu 08:00`, `cron "*\/15 * * * *"`.
 * @param {Timing} timing
 */
export function describeTiming(timing) {
  switch (timing.kind) {
    case "once":
      return `once (${timing.said})`;
    case "every":
      return `every ${formatDuration(timing.intervalMs)}`;
    case "daily":
      return `every day ${timing.time}`;
    case "weekly":
      return `every ${timing.days.join(",")} ${timing.time}`;
    case "cron":
      return `cron "${timing.pattern}"`;
  }
}

/**
 * The latest run due at or before `time` and not before `from` (the first
 * run that was due), or null when none: which run a start-up would catch up.
 * @param {Timing} timing
 * @param {string} zone
 * @param {number} from
 * @param {number} time
 * @returns {number | null}
 */
export function latestRunBetween(timing, zone, from, time) {
  if (from > time) return null;
  if (timing.kind === "once") return timing.at <= time ? timing.at : null;
  if (timing.kind === "every") {
    if (timing.anchor > time) return null;
    const latest = timing.anchor + Math.floor((time - timing.anchor) / timing.intervalMs) * timing.intervalMs;
    return latest >= from ? latest : from;
  }
  const pattern = cronPattern(timing);
  if (pattern === null) return null;
  const [latest] = cronOf(pattern, zone).previousRuns(1, new Date(time + 1));
  if (latest === undefined || latest.getTime() > time) return from;
  return Math.max(latest.getTime(), from);
}
