// @ts-check
/**
 * `[plugins.refresh]`: which host units `/refresh` may touch, how, and where
 * the system bus is. Read on every command, so a hot-reloaded config applies
 * to the next `/refresh` without a restart.
 *
 * ```toml
 * [plugins.refresh]
 * units = ["app.service", { name = "backup.service", method = "start" }]
 * method = "restart"       # default for plain names: "restart" | "start"
 * timeout_s = 60           # how long to wait for systemd's job to finish
 * bus = "unix:path=/run/dbus/system_bus_socket"   # else $DBUS_SYSTEM_BUS_ADDRESS, else this
 * ```
 */

/**
 * `restart` → `Manager.RestartUnit` (starts a stopped unit too), `start` →
 * `Manager.StartUnit` (a no-op for a running unit: for oneshot jobs, timers' services).
 * @typedef {"restart" | "start"} UnitMethod
 */

/**
 * @typedef {object} AllowedUnit
 * @property {string} name  full unit name, `app.service`
 * @property {UnitMethod} method
 */

/**
 * @typedef {object} RefreshSettings
 * @property {AllowedUnit[]} units  the allowlist, in config order; empty when unconfigured
 * @property {number} timeoutMs
 * @property {string} busAddress  a D-Bus address, `unix:path=…`
 */

export const DEFAULT_BUS_ADDRESS = "unix:path=/run/dbus/system_bus_socket";
export const DEFAULT_TIMEOUT_S = 60;

const METHODS = /** @type {const} */ (["restart", "start"]);
const KEYS = ["units", "method", "timeout_s", "bus"];
const UNIT_KEYS = ["name", "method"];
// The unit types systemd can start or restart; a name without one is refused by
// systemd with a vague InvalidArgs, so say it here instead.
const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+\.(service|socket|target|timer|path|mount|automount|swap)$/;

/** A mistake in `[plugins.refresh]`; the message is the whole reply. */
export class RefreshConfigError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "RefreshConfigError";
  }
}

/**
 * @param {Record<string, unknown>} table  the `[plugins.refresh]` table (`{}` when absent)
 * @param {NodeJS.ProcessEnv} env
 * @returns {RefreshSettings}
 * @throws {RefreshConfigError}
 */
export function readRefreshSettings(table, env) {
  for (const key of Object.keys(table)) {
    // A typo in `units` would otherwise read as "nothing allowed" with no hint why.
    if (!KEYS.includes(key)) fail(`unknown key \`plugins.refresh.${key}\`; known keys: ${KEYS.join(", ")}`);
  }
  const method = table.method === undefined ? "restart" : readMethod(table.method, "plugins.refresh.method");

  const units = table.units ?? [];
  if (!Array.isArray(units)) fail('`plugins.refresh.units` must be a list, e.g. units = ["app.service"]');
  /** @type {AllowedUnit[]} */
  const allowed = units.map((entry, index) => readUnit(entry, `plugins.refresh.units[${index}]`, method));

  const timeout = table.timeout_s ?? DEFAULT_TIMEOUT_S;
  if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout <= 0) {
    fail(`\`plugins.refresh.timeout_s\` must be a positive number of seconds, found ${show(timeout)}`);
  }

  let busAddress = env.DBUS_SYSTEM_BUS_ADDRESS?.trim() || DEFAULT_BUS_ADDRESS;
  if (table.bus !== undefined) {
    if (typeof table.bus !== "string" || table.bus.trim() === "") fail('`plugins.refresh.bus` must be a D-Bus address, e.g. "unix:path=/run/dbus/system_bus_socket"');
    busAddress = table.bus.trim();
  }
  return { units: allowed, timeoutMs: timeout * 1000, busAddress };
}

/**
 * @param {unknown} entry
 * @param {string} where
 * @param {UnitMethod} fallback
 * @returns {AllowedUnit}
 */
function readUnit(entry, where, fallback) {
  if (typeof entry === "string") return { name: readUnitName(entry, where), method: fallback };
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    fail(`\`${where}\` must be a unit name or a table { name = "app.service", method = "start" }, found ${show(entry)}`);
  }
  const record = /** @type {Record<string, unknown>} */ (entry);
  for (const key of Object.keys(record)) {
    if (!UNIT_KEYS.includes(key)) fail(`unknown key \`${key}\` in \`${where}\`; known keys: ${UNIT_KEYS.join(", ")}`);
  }
  if (typeof record.name !== "string") fail(`\`${where}.name\` must be a unit name like "app.service"`);
  return {
    name: readUnitName(record.name, `${where}.name`),
    method: record.method === undefined ? fallback : readMethod(record.method, `${where}.method`),
  };
}

/**
 * @param {string} name
 * @param {string} where
 */
function readUnitName(name, where) {
  const trimmed = name.trim();
  if (UNIT_NAME.test(trimmed)) return trimmed;
  const hint = /^[A-Za-z0-9:_.\\@-]+$/.test(trimmed) && !trimmed.includes(".") ? `; write the full name, "${trimmed}.service"` : "";
  return fail(`\`${where}\` is not a systemd unit name: ${show(name)}${hint}`);
}

/**
 * @param {unknown} value
 * @param {string} where
 * @returns {UnitMethod}
 */
function readMethod(value, where) {
  const found = METHODS.find((method) => method === value);
  return found ?? fail(`\`${where}\` must be "restart" or "start", found ${show(value)}`);
}

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  throw new RefreshConfigError(message);
}

/** @param {unknown} value */
function show(value) {
  return typeof value === "string" ? JSON.stringify(value) : Array.isArray(value) ? "a list" : typeof value === "object" && value !== null ? "a table" : String(value);
}
