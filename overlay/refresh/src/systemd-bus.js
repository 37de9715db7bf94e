// @ts-check
/**
 * A short conversation with the host's systemd over the system bus: one
 * connection, a deadline for all of it, and failures that say what went wrong.
 *
 * Plain method calls rather than dbus-next's proxy objects: a proxy
 * introspects first (real systemd's Manager XML is large) and listens only for
 * signals the introspection declares.
 */
import { Buffer } from "node:buffer";
import { clearTimeout, setTimeout } from "node:timers";
import dbus from "dbus-next";

export const SYSTEMD = "org.freedesktop.systemd1";
export const MANAGER_PATH = "/org/freedesktop/systemd1";
export const MANAGER = "org.freedesktop.systemd1.Manager";

/** What `SystemdBus.within` resolves to when the deadline passed first. */
export const TIMED_OUT = Symbol("timed out");

/** `BusUnreachableError.code` for an address dbus-next cannot parse. */
export const INVALID_ADDRESS = "INVALID_ADDRESS";

/**
 * The bus could not be reached or refused us. `code` is the socket error
 * (`ENOENT`, `ECONNREFUSED`, `EACCES`, `EPIPE`…), INVALID_ADDRESS, or null for
 * a refused handshake.
 */
export class BusUnreachableError extends Error {
  /**
   * @param {string} address
   * @param {string | null} code
   * @param {string} detail
   */
  constructor(address, code, detail) {
    super(`cannot reach the system bus at ${address}: ${detail}`);
    this.name = "BusUnreachableError";
    this.address = address;
    this.code = code;
    this.detail = detail;
    /** The socket path of a `unix:path=` address, else null. */
    this.socketPath = /^unix:(?:.*,)?path=([^,;]+)/.exec(address)?.[1] ?? null;
  }
}

/** A method call got no answer before the deadline. */
export class BusTimeoutError extends Error {
  /**
   * @param {string} address
   * @param {number} timeoutMs
   */
  constructor(address, timeoutMs) {
    super(`no answer from systemd on ${address} within ${timeoutMs / 1000} s`);
    this.name = "BusTimeoutError";
    this.address = address;
  }
}

export class SystemdBus {
  /** @type {dbus.MessageBus} */
  #bus;
  /** @type {Promise<never>} rejects with a BusUnreachableError when the connection fails */
  #broken;
  /** @type {Promise<typeof TIMED_OUT>} */
  #deadline;
  /** @type {NodeJS.Timeout | undefined} */
  #timer;

  /**
   * Connects (lazily: the first call waits for the handshake). Everything
   * done through this connection must be over within `timeoutMs`.
   * @param {string} address  a D-Bus address, `unix:path=…`
   * @param {number} timeoutMs
   */
  constructor(address, timeoutMs) {
    this.address = address;
    this.timeoutMs = timeoutMs;
    try {
      // `sessionBus` is dbus-next's "connect to this address"; `systemBus()` takes no address.
      this.#bus = dbus.sessionBus({ busAddress: address });
    } catch (error) {
      // dbus-next parses the address synchronously and throws on nonsense.
      throw new BusUnreachableError(address, INVALID_ADDRESS, error instanceof Error ? error.message : String(error));
    }
    // dbus-next reports socket and handshake failures only as 'error' events,
    // and a call on a dead connection stays pending forever: every wait races them.
    const bus = this.#bus;
    let connected = false;
    bus.on("connect", () => {
      connected = true;
    });
    this.#broken = new Promise((_resolve, reject) => {
      // Stays attached after close(): a late socket error must not become an uncaught 'error' event.
      bus.on("error", (/** @type {unknown} */ error) => {
        reject(unreachable(address, error));
      });
      // A bus that refuses our uid just hangs up. Whether we see EPIPE (an
      // 'error') or only the end of the stream depends on timing, and dbus-next
      // 0.10 does not pass the end on: listen on its (internal) connection.
      connectionOf(bus)?.on("end", () => {
        reject(connected ? new BusUnreachableError(address, "CLOSED", "the bus closed the connection") : new BusUnreachableError(address, null, "closed the connection during authentication"));
      });
    });
    this.#broken.catch(() => undefined);
    this.#deadline = new Promise((resolve) => {
      this.#timer = setTimeout(resolve, timeoutMs, TIMED_OUT);
    });
  }

  /**
   * Calls a method and returns the reply's body. systemd's refusals come as
   * dbus-next `DBusError`s, with the D-Bus error name in `.type`.
   * @param {string} destination
   * @param {string} path
   * @param {string} iface
   * @param {string} member
   * @param {string} [signature]
   * @param {unknown[]} [body]
   * @returns {Promise<unknown[]>}
   * @throws {BusTimeoutError | BusUnreachableError | dbus.DBusError}
   */
  async call(destination, path, iface, member, signature = "", body = []) {
    const reply = await this.within(this.#bus.call(new dbus.Message({ destination, path, interface: iface, member, signature, body })));
    if (reply === TIMED_OUT) throw new BusTimeoutError(this.address, this.timeoutMs);
    return reply?.body ?? [];
  }

  /**
   * Asks the bus to deliver these signals to us; `listener` gets each one's body.
   * @param {string} sender  a well-known name; the bus resolves it to its owner
   * @param {string} path
   * @param {string} iface
   * @param {string} member
   * @param {(body: unknown[]) => void} listener
   */
  async subscribe(sender, path, iface, member, listener) {
    this.#bus.on("message", (message) => {
      if (message.type === dbus.MessageType.SIGNAL && message.path === path && message.interface === iface && message.member === member) {
        listener(message.body);
      }
    });
    const rule = `type='signal',sender='${sender}',path='${path}',interface='${iface}',member='${member}'`;
    await this.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch", "s", [rule]);
  }

  /**
   * `promise`'s value, or TIMED_OUT once the deadline has passed.
   * @template T
   * @param {Promise<T>} promise
   * @returns {Promise<T | typeof TIMED_OUT>}
   */
  within(promise) {
    return Promise.race([promise, this.#broken, this.#deadline]);
  }

  close() {
    clearTimeout(this.#timer);
    this.#bus.disconnect();
  }
}

/**
 * Runs `body` on a fresh connection and always disconnects: a long-running
 * bridge must not collect bus connections.
 * @template T
 * @param {string} address
 * @param {number} timeoutMs
 * @param {(bus: SystemdBus) => Promise<T>} body
 * @returns {Promise<T>}
 */
export async function withSystemdBus(address, timeoutMs, body) {
  const bus = new SystemdBus(address, timeoutMs);
  try {
    return await body(bus);
  } finally {
    bus.close();
  }
}

/**
 * @param {dbus.MessageBus} bus
 * @returns {import("node:events").EventEmitter | undefined}
 */
function connectionOf(bus) {
  return /** @type {{ _connection?: import("node:events").EventEmitter }} */ (/** @type {unknown} */ (bus))._connection;
}

/**
 * @param {string} address
 * @param {unknown} error
 */
function unreachable(address, error) {
  const code = typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : null;
  // A refused handshake arrives as the server's raw reply line.
  const detail = error instanceof Error ? error.message : Buffer.isBuffer(error) ? `handshake failed: ${error.toString("ascii").trim()}` : String(error);
  return new BusUnreachableError(address, code, detail);
}
