// @ts-check
/**
 * One systemd job: ask the Manager to restart (or start) a unit and wait for
 * the job to finish, the way `systemctl restart` does.
 */
import dbus from "dbus-next";
import { polkitPresence } from "./polkit-presence.js";
import { MANAGER, MANAGER_PATH, SYSTEMD, TIMED_OUT, withSystemdBus } from "./systemd-bus.js";
import { canonicalUnitName } from "./unit-name.js";

/** @import { UnitMethod } from "./settings.js" */
/** @import { PolkitPresence } from "./polkit-presence.js" */

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
 * @property {string} unit  the unit's real name (differs from the request's for an alias)
 * @property {string} job  the job's object path
 * @property {string | null} result
 */

/**
 * systemd refused the job: `refusal` is its D-Bus error. `unit` is the real name
 * it was asked about; `polkit` is set for AccessDenied, whose cause it tells.
 */
export class UnitJobError extends Error {
  /**
   * @param {string} unit
   * @param {dbus.DBusError} cause
   * @param {PolkitPresence | null} polkit
   */
  constructor(unit, cause, polkit) {
    super(`${cause.type}: ${cause.text}`, { cause });
    this.name = "UnitJobError";
    this.unit = unit;
    this.refusal = cause;
    this.polkit = polkit;
  }
}

const ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied";

/**
 * Runs the job and waits for it. A refusal is thrown as a UnitJobError, an
 * unreachable bus as `SystemdBus.call` throws it.
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

    // The real name: polkit's rule and the JobRemoved signal both see that one.
    const name = await canonicalUnitName(bus, unit);
    /** @type {string} */
    let job;
    try {
      [job] = /** @type {[string]} */ (await bus.call(SYSTEMD, MANAGER_PATH, MANAGER, MANAGER_METHOD[method], "ss", [name, "replace"]));
    } catch (error) {
      if (!(error instanceof dbus.DBusError)) throw error;
      throw new UnitJobError(name, error, error.type === ACCESS_DENIED ? await polkitPresence(bus) : null);
    }
    const early = finished.get(job);
    if (early !== undefined) return { unit: name, job, result: early };
    /** @type {Promise<string>} */
    const removed = new Promise((resolve) => {
      waiting = { job, resolve };
    });
    const result = await bus.within(removed);
    return { unit: name, job, result: result === TIMED_OUT ? null : result };
  });
}
