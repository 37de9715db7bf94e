// @ts-check
/**
 * One systemd job: ask the Manager to restart (or start) a unit and wait for
 * the job to finish, the way `systemctl restart` does.
 */
import { MANAGER, MANAGER_PATH, SYSTEMD, TIMED_OUT, withSystemdBus } from "./systemd-bus.js";

/** @import { UnitMethod } from "./settings.js" */

/** @type {Record<UnitMethod, string>} */
const MANAGER_METHOD = { restart: "RestartUnit", start: "StartUnit" };

/**
 * @typedef {object} JobRequest
 * @property {string} busAddress
 * @property {string} unit
 * @property {UnitMethod} method
 * @property {number} timeoutMs  for all of it: connecting, systemd's answer and the job
 */

/**
 * `result` is systemd's JobRemoved result (`done`, `failed`, `canceled`,
 * `dependency`, `skipped`, `timeout` — systemd's own job timeout — …), or
 * null when the job was still running at our deadline.
 * @typedef {object} JobOutcome
 * @property {string} job  the job's object path
 * @property {string | null} result
 */

/**
 * Runs the job and waits for it. Refusals and an unreachable bus are thrown
 * (see `SystemdBus.call`).
 * @param {JobRequest} request
 * @returns {Promise<JobOutcome>}
 */
export function runUnitJob({ busAddress, unit, method, timeoutMs }) {
  return withSystemdBus(busAddress, timeoutMs, async (bus) => {
    /** @type {Map<string, string>} job path → result, for every JobRemoved seen */
    const finished = new Map();
    /** @type {{ job: string, resolve: (result: string) => void } | null} */
    let waiting = null;
    // Listen before asking: the job can finish before RestartUnit's reply arrives.
    await bus.subscribe(SYSTEMD, MANAGER_PATH, MANAGER, "JobRemoved", (body) => {
      const [, job, , result] = /** @type {[number, string, string, string]} */ (body);
      finished.set(job, result);
      if (waiting?.job === job) waiting.resolve(result);
    });
    // Subscribe makes sure systemd sends this connection its Job* signals, as
    // systemctl does. Restarting does not depend on it, so a refusal is ignored.
    await bus.call(SYSTEMD, MANAGER_PATH, MANAGER, "Subscribe").catch(() => null);

    const [job] = /** @type {[string]} */ (await bus.call(SYSTEMD, MANAGER_PATH, MANAGER, MANAGER_METHOD[method], "ss", [unit, "replace"]));
    const early = finished.get(job);
    if (early !== undefined) return { job, result: early };
    /** @type {Promise<string>} */
    const removed = new Promise((resolve) => {
      waiting = { job, resolve };
    });
    const result = await bus.within(removed);
    return { job, result: result === TIMED_OUT ? null : result };
  });
}
