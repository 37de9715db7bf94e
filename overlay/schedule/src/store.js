// @ts-check
/**
 * The schedules on disk: `takopi_schedules.json` beside the config, so they
 * survive `/reload`, restarts and a recreated container (the config
 * directory is the mounted volume). Versioned, and written to a temporary
 * file first and renamed over the old one, so a crash mid-write leaves the
 * previous state, never half a file.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import process from "node:process";

/** @import { Timing } from "./timing.js" */

export const STATE_FILE = "takopi_schedules.json";
export const STATE_VERSION = 1;

/**
 * One schedule.
 * @typedef {object} Schedule
 * @property {string} id short, unique in this state file
 * @property {number} chatId where it was made, and where it runs
 * @property {number | null} threadId the forum topic, if any
 * @property {Timing} timing
 * @property {string} zone the IANA time zone its clock times are in
 * @property {string} prompt as typed after the timing
 * @property {number | null} createdBy the Telegram user who made it
 * @property {number} createdAt epoch ms
 * @property {boolean} paused
 * @property {number | null} nextRunAt epoch ms; null while paused
 * @property {number | null} lastRunAt epoch ms of the last firing
 */

/**
 * @typedef {object} State
 * @property {number} version
 * @property {number} nextId
 * @property {Schedule[]} schedules
 */

/** @param {string} configPath */
export function statePath(configPath) {
  return join(dirname(configPath), STATE_FILE);
}

/** @returns {State} */
export function emptyState() {
  return { version: STATE_VERSION, nextId: 1, schedules: [] };
}

/**
 * The saved state; an empty one when there is no file yet. A file that
 * cannot be read as schedules throws (with the path), so a damaged file is
 * reported rather than silently replaced by an empty list.
 * @param {string} path
 * @returns {Promise<State>}
 */
export async function loadState(path) {
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch (/** @type {unknown} */ error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return emptyState();
    throw error;
  }
  /** @type {unknown} */
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not JSON`);
  }
  if (typeof value !== "object" || value === null || !("version" in value) || !("schedules" in value) || !Array.isArray(value.schedules)) {
    throw new Error(`${path} does not hold schedules`);
  }
  if (value.version !== STATE_VERSION) throw new Error(`${path} has version ${String(value.version)}; this takopi reads version ${String(STATE_VERSION)}`);
  const schedules = value.schedules.filter(isSchedule);
  const nextId = "nextId" in value && typeof value.nextId === "number" ? value.nextId : 1;
  return { version: STATE_VERSION, nextId: Math.max(nextId, ...schedules.map((each) => Number(each.id) + 1).filter(Number.isFinite)), schedules };
}

/**
 * @param {string} path
 * @param {State} state
 */
export async function saveState(path, state) {
  const temporary = `${path}.${String(process.pid)}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temporary, path);
}

/**
 * @param {unknown} value
 * @returns {value is Schedule}
 */
function isSchedule(value) {
  if (typeof value !== "object" || value === null) return false;
  const each = /** @type {Record<string, unknown>} */ (value);
  const timing = /** @type {Record<string, unknown> | null} */ (typeof each.timing === "object" ? each.timing : null);
  return (
    typeof each.id === "string" &&
    typeof each.chatId === "number" &&
    (each.threadId === null || typeof each.threadId === "number") &&
    typeof each.prompt === "string" &&
    typeof each.zone === "string" &&
    typeof each.paused === "boolean" &&
    (each.nextRunAt === null || typeof each.nextRunAt === "number") &&
    timing !== null &&
    ["once", "every", "daily", "weekly", "cron"].includes(String(timing.kind))
  );
}
