// @ts-check
/**
 * Everything `/refresh` says in the chat. Each failure names what to change
 * and where — the person reading it is on a phone, away from the host.
 */
import process from "node:process";
import dbus from "dbus-next";
import { DEFAULT_BUS_ADDRESS } from "./settings.js";
import { BusTimeoutError, BusUnreachableError, INVALID_ADDRESS } from "./systemd-bus.js";
import { UnitJobError } from "./systemd-job.js";

/** @import { AllowedUnit, UnitMethod } from "./settings.js" */
/** @import { JobOutcome } from "./systemd-job.js" */

const POLKIT_EXAMPLE = "overlay/refresh/examples/50-takopi-refresh.rules";
const HOST_SETUP = 'See "Host setup" in overlay/refresh/README.md.';
const SYSTEM_BUS_SOCKET = "/run/dbus/system_bus_socket";

/** @type {Record<UnitMethod, { doing: string, done: string, verb: string }>} */
const WORDS = {
  restart: { doing: "restarting", done: "restarted", verb: "restart" },
  start: { doing: "starting", done: "started", verb: "start" },
};

/** @param {readonly AllowedUnit[]} units */
const listed = (units) => units.map((unit) => unit.name).join(", ");

/** @param {string} configPath */
export function notConfigured(configPath) {
  return [
    `/refresh has no units to restart. List the host units it may restart in ${configPath}:`,
    "[plugins.refresh]",
    'units = ["app.service"]',
    "(see overlay/refresh/README.md)",
  ].join("\n");
}

/** @param {readonly AllowedUnit[]} units */
export function usage(units) {
  return `usage: /refresh <unit>\nunits: ${listed(units)}`;
}

/**
 * @param {string} requested
 * @param {readonly AllowedUnit[]} units
 */
export function notAllowed(requested, units) {
  return `\`${requested}\` is not in the /refresh allowlist; allowed: ${listed(units)} (add units to [plugins.refresh] units)`;
}

/** @param {AllowedUnit} unit */
export function starting(unit) {
  return `${WORDS[unit.method].doing} \`${unit.name}\`…`;
}

/**
 * How a reply names the unit: by its real name, and for an allowlisted alias
 * by both (polkit and `journalctl -u` know only the real one).
 * @param {AllowedUnit} unit
 * @param {string} real
 */
function unitName(unit, real) {
  return real === unit.name ? `\`${real}\`` : `\`${real}\` (\`${unit.name}\` in the allowlist is an alias of it)`;
}

/**
 * @param {AllowedUnit} unit
 * @param {JobOutcome} outcome
 * @param {number} timeoutMs
 */
export function jobFinished(unit, outcome, timeoutMs) {
  const { doing, done, verb } = WORDS[unit.method];
  const name = unitName(unit, outcome.unit);
  const journal = `see \`journalctl -u ${outcome.unit}\` on the host`;
  switch (outcome.result) {
    case null:
      return `${name} is still ${doing} after ${timeoutMs / 1000} s; systemd keeps the job going — see \`systemctl status ${outcome.unit}\` on the host`;
    case "done":
      return `${done} ${name}`;
    case "failed":
      return `${name} failed to ${verb} (job result: failed); ${journal}`;
    case "timeout":
      return `${name} failed to ${verb}: systemd's own start/stop timeout expired (job result: timeout); ${journal}`;
    case "dependency":
      return `${name} was not ${done}: a unit it depends on failed (job result: dependency)`;
    case "canceled":
      return `the ${verb} of ${name} was canceled (job result: canceled): another job for it replaced this one`;
    case "skipped":
      return `systemd skipped the ${verb} of ${name} (job result: skipped): it did not apply to the unit's state`;
    default:
      return `the ${verb} of ${name} ended with job result \`${outcome.result}\`; ${journal}`;
  }
}

/**
 * The reply for a failure we understand, or null for one we don't (the caller
 * lets takopi report it).
 * @param {AllowedUnit} unit
 * @param {unknown} error
 * @returns {string | null}
 */
export function failed(unit, error) {
  const { verb } = WORDS[unit.method];
  if (error instanceof BusTimeoutError) return `could not ${verb} \`${unit.name}\`: ${error.message}`;
  if (error instanceof UnitJobError) return refused(unit, error);
  const bus = busProblem(error);
  if (bus !== null) return bus;
  // A refusal of a call other than the job's (AddMatch, say): still systemd's or the bus's answer.
  if (error instanceof dbus.DBusError) return `the host's system bus refused a call for \`${unit.name}\` (${error.type}: ${oneLine(error.text)})`;
  return null;
}

/**
 * systemd's refusal, with the cause on the host and what to do there.
 * @param {AllowedUnit} unit
 * @param {UnitJobError} error
 */
function refused(unit, error) {
  const { done, verb } = WORDS[unit.method];
  const real = error.unit;
  const name = unitName(unit, real);
  const { type, text } = error.refusal;
  const reason = `${type}: ${oneLine(text)}`;
  const who = `uid ${uid()}`;
  switch (type) {
    case "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired":
      // polkit's default for a caller without a login session: no rule said yes.
      return [
        `not allowed to ${verb} ${name}: no polkit rule on the host lets ${who} ${verb} it (${reason}).`,
        `On the host, install ${POLKIT_EXAMPLE} in /etc/polkit-1/rules.d/ with USER = the account of ${who} (\`getent passwd ${uid()} | cut -d: -f1\`), ` +
          `"${real}" in UNITS and "${verb}" in VERBS${real === unit.name ? "" : " (polkit sees the real name, never the alias)"}. ${HOST_SETUP}`,
      ].join("\n");
    case "org.freedesktop.DBus.Error.AccessDenied":
      if (error.polkit === "absent") {
        return [
          `systemd on the host refused to ${verb} ${name} for ${who}: there is no polkit on the host's system bus to ask (${reason}).`,
          `Install polkitd on the host (\`sudo apt install polkitd\` on Debian/Ubuntu), then the rule. ${HOST_SETUP}`,
        ].join("\n");
      }
      return [
        `not allowed to ${verb} ${name}: a polkit rule on the host says no to ${who} (${reason}).`,
        `Look for a rule returning polkit.Result.NO in /etc/polkit-1/rules.d/ and /usr/share/polkit-1/rules.d/ on the host. ${HOST_SETUP}`,
      ].join("\n");
    case "org.freedesktop.systemd1.NoSuchUnit":
      return `the host has no unit ${name} (${reason}); check the name with \`systemctl list-units --all\` on the host`;
    case "org.freedesktop.systemd1.LoadFailed":
      return `systemd could not load ${name} (${reason}); check \`systemctl status ${real}\` on the host`;
    case "org.freedesktop.systemd1.UnitMasked": {
      const masked = /Unit (\S+) is masked/.exec(text)?.[1] ?? real;
      if (masked === "polkit.service") {
        return [
          `systemd on the host cannot ask polkit whether ${who} may ${verb} ${name}: polkit.service is masked there (${reason}).`,
          "Unmask it on the host: `sudo systemctl unmask polkit.service`.",
        ].join("\n");
      }
      if (masked !== real) return `${name} was not ${done}: \`${masked}\` is masked on the host (${reason}); \`systemctl unmask ${masked}\` there if it should run`;
      return `${name} is masked on the host (${reason}); \`systemctl unmask ${real}\` first`;
    }
    default:
      return `systemd refused to ${verb} ${name} (${reason})`;
  }
}

/**
 * Why the host's systemd could not be asked, or null when `error` is not about the bus.
 * @param {unknown} error
 * @returns {string | null}
 */
export function busProblem(error) {
  if (error instanceof BusTimeoutError) return error.message;
  if (!(error instanceof BusUnreachableError)) return null;
  const where = error.socketPath ?? error.address;
  switch (error.code) {
    case INVALID_ADDRESS:
      // dbus-next's parser fails with TypeErrors that say nothing useful; show the expected form instead.
      return `invalid system bus address \`${error.address}\` (from [plugins.refresh] bus or $DBUS_SYSTEM_BUS_ADDRESS); expected e.g. ${DEFAULT_BUS_ADDRESS}`;
    case "ENOENT":
      return [
        `cannot reach the host's system bus: ${where} does not exist in the container.`,
        `compose.yaml must mount the host's bus, the directory holding ${SYSTEM_BUS_SOCKET}: volumes: - /run/dbus:/run/dbus:ro`,
      ].join("\n");
    case "ECONNREFUSED":
      return `cannot reach the host's system bus: nothing listens on ${where} (is dbus running on the host?)`;
    case "EACCES":
      return `cannot reach the host's system bus: uid ${uid()} may not open ${where} (permission denied)`;
    case "EPIPE":
    case "ECONNRESET":
    case null:
      // dbus-daemon accepts the handshake, then hangs up on a uid it cannot
      // look up (it needs the account's groups for its policy): polkit is never asked.
      return [
        `the system bus at ${where} closed the connection for uid ${uid()} (${oneLine(error.detail)}): the host needs a user account for uid ${uid()}.`,
        `Create one on the host, e.g. \`sudo useradd --system --uid ${uid()} --no-create-home takopi\`, or run the container as the uid of an existing account (TAKOPI_UID in .env). ${HOST_SETUP}`,
      ].join("\n");
    default:
      return oneLine(error.message);
  }
}

/** The container's uid, which is what the host's bus and polkit see. */
function uid() {
  return process.getuid?.() ?? "unknown";
}

/**
 * D-Bus error texts are usually one line, but services written in Python send
 * their whole traceback, whose last line is the one that says what happened.
 * @param {string} text
 */
function oneLine(text) {
  const lines = text.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const line = (lines[0]?.startsWith("Traceback") ? lines.at(-1) : lines[0]) ?? "";
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
