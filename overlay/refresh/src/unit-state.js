// @ts-check
/**
 * What state host units are in, as `systemctl is-active` would say, for
 * `/status` (overlay/status) to show next to the `/refresh` allowlist. Reading
 * unit properties needs no polkit rule.
 */
import dbus from "dbus-next";
import { busProblem } from "./replies.js";
import { MANAGER, MANAGER_PATH, SYSTEMD, withSystemdBus } from "./systemd-bus.js";

const UNIT = "org.freedesktop.systemd1.Unit";
const PROPERTIES = "org.freedesktop.DBus.Properties";

/**
 * `state` is `active (running)`, `inactive (dead)`, `failed (failed)`… or,
 * for a unit systemd could not load, its load state (`not-found`, `masked`).
 * @typedef {object} UnitState
 * @property {string} name
 * @property {string} state
 */

/**
 * `reason` is one line for the chat when the bus could not be asked at all.
 * @typedef {{ ok: true, units: UnitState[] } | { ok: false, reason: string }} UnitStates
 */

/**
 * @param {string} busAddress
 * @param {readonly string[]} names
 * @param {number} timeoutMs  for all the units together
 * @returns {Promise<UnitStates>}
 */
export async function unitStates(busAddress, names, timeoutMs) {
  try {
    const units = await withSystemdBus(busAddress, timeoutMs, async (bus) => {
      /** @type {UnitState[]} */
      const states = [];
      for (const name of names) states.push({ name, state: await unitState(bus, name) });
      return states;
    });
    return { ok: true, units };
  } catch (error) {
    const reason = busProblem(error);
    if (reason === null) throw error;
    return { ok: false, reason };
  }
}

/**
 * @param {import("./systemd-bus.js").SystemdBus} bus
 * @param {string} name
 */
async function unitState(bus, name) {
  try {
    return await readUnitState(bus, name);
  } catch (error) {
    // One unit systemd will not describe should not hide the others.
    if (!(error instanceof dbus.DBusError)) throw error;
    return error.type === "org.freedesktop.systemd1.NoSuchUnit" ? "not-found" : `unknown (${error.type})`;
  }
}

/**
 * @param {import("./systemd-bus.js").SystemdBus} bus
 * @param {string} name
 */
async function readUnitState(bus, name) {
  // LoadUnit, not GetUnit: systemd unloads inactive units, and GetUnit then says NoSuchUnit.
  const [path] = /** @type {[string]} */ (await bus.call(SYSTEMD, MANAGER_PATH, MANAGER, "LoadUnit", "s", [name]));
  const [properties] = /** @type {[Record<string, dbus.Variant>]} */ (await bus.call(SYSTEMD, path, PROPERTIES, "GetAll", "s", [UNIT]));
  /** @param {string} key */
  const text = (key) => {
    const value = properties[key]?.value;
    return typeof value === "string" ? value : null;
  };
  const load = text("LoadState");
  if (load !== null && load !== "loaded") return load;
  const active = text("ActiveState") ?? "unknown";
  const sub = text("SubState");
  return sub === null ? active : `${active} (${sub})`;
}
