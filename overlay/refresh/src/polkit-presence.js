// @ts-check
/**
 * Whether polkit is on the host's system bus. systemd answers a non-root
 * request with AccessDenied both when a polkit rule says no and when there is
 * no polkit to ask (polkitd not installed): the bus tells the two apart.
 */
import dbus from "dbus-next";

const POLKIT = "org.freedesktop.PolicyKit1";
const DBUS = "org.freedesktop.DBus";
const DBUS_PATH = "/org/freedesktop/DBus";

/**
 * `running`: polkitd owns its name; `activatable`: the bus starts it on the
 * first request; `absent`: neither, so systemd has nobody to ask; null when
 * the bus would not say.
 * @typedef {"running" | "activatable" | "absent"} PolkitPresence
 */

/**
 * @param {import("./systemd-bus.js").SystemdBus} bus
 * @returns {Promise<PolkitPresence | null>}
 */
export async function polkitPresence(bus) {
  try {
    const [owned] = /** @type {[boolean]} */ (await bus.call(DBUS, DBUS_PATH, DBUS, "NameHasOwner", "s", [POLKIT]));
    if (owned) return "running";
    const [activatable] = /** @type {[string[]]} */ (await bus.call(DBUS, DBUS_PATH, DBUS, "ListActivatableNames"));
    return activatable.includes(POLKIT) ? "activatable" : "absent";
  } catch (error) {
    if (error instanceof dbus.DBusError) return null;
    throw error;
  }
}
