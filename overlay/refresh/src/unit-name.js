// @ts-check
/**
 * The name systemd knows a unit by. An allowlist entry may be one of a unit's
 * aliases (`Alias=` in [Install], or a symlink in /etc/systemd/system); systemd
 * accepts it in RestartUnit, but polkit's rule is asked about the unit's real
 * name (its `Id`), so a rule that lists the alias never matches. Resolving it
 * first lets the replies name the unit polkit and `journalctl -u` know.
 */
import dbus from "dbus-next";
import { MANAGER, MANAGER_PATH, SYSTEMD } from "./systemd-bus.js";

const UNIT = "org.freedesktop.systemd1.Unit";
const PROPERTIES = "org.freedesktop.DBus.Properties";

/**
 * `name`'s real name, or `name` itself when systemd cannot say (the job call
 * that follows then reports why). Reading it needs no polkit rule.
 * @param {import("./systemd-bus.js").SystemdBus} bus
 * @param {string} name
 * @returns {Promise<string>}
 */
export async function canonicalUnitName(bus, name) {
  try {
    // LoadUnit, not GetUnit: an inactive unit may be unloaded, and GetUnit then says NoSuchUnit.
    const [path] = /** @type {[string]} */ (await bus.call(SYSTEMD, MANAGER_PATH, MANAGER, "LoadUnit", "s", [name]));
    const [id] = /** @type {[dbus.Variant]} */ (await bus.call(SYSTEMD, path, PROPERTIES, "Get", "ss", [UNIT, "Id"]));
    return typeof id?.value === "string" && id.value !== "" ? id.value : name;
  } catch (error) {
    if (error instanceof dbus.DBusError) return name;
    throw error;
  }
}
