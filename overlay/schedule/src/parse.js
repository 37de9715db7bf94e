// @ts-check
/**
 * `/schedule …` as typed, into what to do. Every refusal is one line that
 * says what to write instead. The prompt after the timing is kept exactly as
 * typed (directives included: `/app @main run the tests`), since the executor
 * reads it like a typed message.
 */
import { DAYS, cronOf, formatDuration, nextClockTime } from "./timing.js";

/** @import { Timing } from "./timing.js" */

/**
 * @typedef {{ action: "list" }
 *   | { action: "help" }
 *   | { action: "cancel" | "pause" | "resume", id: string }
 *   | { action: "create", timing: Timing, prompt: string }
 *   | { action: "error", error: string }} Parsed
 */

/**
 * @typedef {object} ParseOptions
 * @property {number} now epoch ms
 * @property {string} zone IANA time zone of `at`/`every day` times
 * @property {number} minIntervalMs the shortest `every` interval
 */

export const USAGE =
  'usage: /schedule in 20m <prompt> · at 18:30 <prompt> · every 2h <prompt> · every day 09:00 <prompt> · every mon,thu 08:00 <prompt> · cron "*/15 * * * *" <prompt> · list · cancel|pause|resume <id>';

const UNITS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+[smhd])+$/;
const CLOCK = /^(\d{1,2}):(\d{2})$/;
const DAY_NAMES = new Map([
  ...DAYS.map((day) => /** @type {const} */ ([day, day])),
  ["sunday", "sun"], ["monday", "mon"], ["tuesday", "tue"], ["wednesday", "wed"], ["thursday", "thu"], ["friday", "fri"], ["saturday", "sat"],
]);

/**
 * @param {string} argsText the text after `/schedule`
 * @param {ParseOptions} options
 * @returns {Parsed}
 */
export function parseSchedule(argsText, options) {
  const [first, rest] = takeWord(argsText);
  switch (first.toLowerCase()) {
    case "":
    case "list":
      return rest === "" ? { action: "list" } : error("usage: /schedule list (no more words)");
    case "help":
      return { action: "help" };
    case "cancel":
    case "pause":
    case "resume": {
      const [id, extra] = takeWord(rest);
      if (id === "" || extra !== "") return error(`usage: /schedule ${first.toLowerCase()} <id> (the ids are in /schedule list)`);
      return { action: /** @type {"cancel" | "pause" | "resume"} */ (first.toLowerCase()), id: id.replace(/^#/, "") };
    }
    case "in":
      return parseIn(rest, options);
    case "at":
      return parseAt(rest, options);
    case "every":
      return parseEvery(rest, options);
    case "cron":
      return parseCron(rest, options);
    default:
      return error(`"${first}" is not a /schedule form; ${USAGE}`);
  }
}

/**
 * @param {string} text
 * @param {ParseOptions} options
 * @returns {Parsed}
 */
function parseIn(text, options) {
  const [word, prompt] = takeWord(text);
  const ms = duration(word);
  if (ms === null) return error(`"${word}" is not a delay; write /schedule in 45s|20m|2h|1h30m <prompt>`);
  if (ms === 0) return error("a delay of 0 runs nothing later; write e.g. /schedule in 20m <prompt>");
  return create({ kind: "once", at: options.now + ms, said: `in ${formatDuration(ms)}` }, prompt, "in 20m");
}

/**
 * @param {string} text
 * @param {ParseOptions} options
 * @returns {Parsed}
 */
function parseAt(text, options) {
  const [word, prompt] = takeWord(text);
  const time = clock(word);
  if (time === null) return error(`"${word}" is not a time of day; write /schedule at 18:30 <prompt> (24-hour clock, ${options.zone})`);
  return create({ kind: "once", at: nextClockTime(time, options.zone, options.now), said: `at ${time}` }, prompt, "at 18:30");
}

/**
 * @param {string} text
 * @param {ParseOptions} options
 * @returns {Parsed}
 */
function parseEvery(text, options) {
  const [word, rest] = takeWord(text);
  const ms = duration(word);
  if (ms !== null) {
    if (ms < options.minIntervalMs) {
      return error(`every ${word} is too often: the shortest interval is ${formatDuration(options.minIntervalMs)}; write e.g. /schedule every 2h <prompt>`);
    }
    return create({ kind: "every", intervalMs: ms, anchor: options.now }, rest, "every 2h");
  }
  if (word === "") return error(`write /schedule every 2h <prompt>, every day 09:00 <prompt> or every mon,thu 08:00 <prompt>`);
  const [timeWord, prompt] = takeWord(rest);
  const time = clock(timeWord);
  const lower = word.toLowerCase();
  if (lower === "day" || lower === "daily") {
    if (time === null) return error(`"${timeWord}" is not a time of day; write /schedule every day 09:00 <prompt> (24-hour clock, ${options.zone})`);
    return create({ kind: "daily", time }, prompt, "every day 09:00");
  }
  if (/^\d/.test(word)) return error(`"${word}" is not an interval; write a number and s, m, h or d, e.g. /schedule every 2h <prompt>`);
  /** @type {string[]} */
  const days = [];
  for (const name of lower.split(",")) {
    const day = DAY_NAMES.get(name);
    if (day === undefined) return error(`"${name}" is not a day; the days are ${DAYS.slice(1).join(", ")}, sun (or "day" for every day), e.g. /schedule every mon,thu 08:00 <prompt>`);
    if (!days.includes(day)) days.push(day);
  }
  if (time === null) return error(`"${timeWord}" is not a time of day; write /schedule every ${days.join(",")} 08:00 <prompt> (24-hour clock, ${options.zone})`);
  days.sort((a, b) => weekdayOrder(a) - weekdayOrder(b));
  return create({ kind: "weekly", days, time }, prompt, `every ${days.join(",")} ${time}`);
}

/**
 * @param {string} text
 * @param {ParseOptions} options
 * @returns {Parsed}
 */
function parseCron(text, options) {
  const example = 'e.g. /schedule cron "*/15 * * * *" <prompt> (minute hour day month weekday)';
  const quote = text[0];
  const end = quote === '"' || quote === "'" ? text.indexOf(quote, 1) : -1;
  if (end < 0) return error(`put the cron expression in quotes, ${example}`);
  const pattern = text.slice(1, end).trim().replace(/\s+/g, " ");
  const fields = pattern === "" ? 0 : pattern.split(" ").length;
  if (fields !== 5) return error(`"${pattern}" has ${String(fields)} fields; a cron expression has 5, ${example}`);
  try {
    cronOf(pattern, options.zone);
  } catch (/** @type {unknown} */ cause) {
    const why = cause instanceof Error ? cause.message.replace(/^CronPattern: /, "").replace(/\.$/, "") : String(cause);
    return error(`"${pattern}" is not a cron expression (${why}); ${example}`);
  }
  return create({ kind: "cron", pattern }, text.slice(end + 1), `cron "${pattern}"`);
}

/**
 * @param {Timing} timing
 * @param {string} promptText
 * @param {string} form how the command began, for the error without a prompt
 * @returns {Parsed}
 */
function create(timing, promptText, form) {
  const prompt = promptText.trim();
  if (prompt === "") return error(`what should run? write /schedule ${form} <prompt>, e.g. /schedule ${form} /app run the tests`);
  return { action: "create", timing, prompt };
}

/**
 * `1h30m` → 5 400 000; null when not a duration.
 * @param {string} word
 * @returns {number | null}
 */
export function duration(word) {
  const lower = word.toLowerCase();
  if (!DURATION.test(lower)) return null;
  let ms = 0;
  for (const [, count, unit] of lower.matchAll(/(\d+)([smhd])/g)) ms += Number(count) * UNITS[/** @type {keyof typeof UNITS} */ (unit)];
  return ms;
}

/**
 * `9:05` → `09:05`; null when not a 24-hour time.
 * @param {string} word
 * @returns {string | null}
 */
export function clock(word) {
  const match = CLOCK.exec(word);
  if (match === null) return null;
  const hour = Number(match[1]);
  const minute = Number(match[2]);
  if (hour > 23 || minute > 59) return null;
  return `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
}

/**
 * The first word and the rest, trimmed.
 * @param {string} text
 * @returns {[string, string]}
 */
function takeWord(text) {
  const trimmed = text.trimStart();
  const match = /^\S*/.exec(trimmed);
  const word = match?.[0] ?? "";
  return [word, trimmed.slice(word.length).trim()];
}

/** Monday first, as people list days. @param {string} day */
function weekdayOrder(day) {
  return (DAYS.indexOf(/** @type {typeof DAYS[number]} */ (day)) + 6) % 7;
}

/**
 * @param {string} text
 * @returns {Parsed}
 */
function error(text) {
  return { action: "error", error: text };
}
