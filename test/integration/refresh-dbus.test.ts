/**
 * The `refresh` overlay plugin against a real dbus-daemon, with python-dbusmock
 * standing in for the host's systemd (test/support/dbusmock/systemd_restart.py
 * decides each unit's job result). The plugin is found and loaded the way
 * takopi finds the overlay — a package in the `node_modules` next to takopi —
 * and driven through the real command dispatch.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import dbus from "dbus-next";
import { execa, type ResultPromise } from "execa";
import { stringify } from "smol-toml";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BridgeHarness } from "../support/bridge-harness.js";
import { loadConfigText } from "../../src/config/load.js";
import { dispatchCommand } from "../../src/plugins/commands.js";
import { discoverPlugins } from "../../src/plugins/discover.js";
import { PluginRegistry } from "../../src/plugins/registry.js";
import type { BridgeRuntime, MessageRef } from "../../src/plugins/types.js";
import { silentLogger } from "../../src/util/log.js";
import { unitStates } from "../../overlay/refresh/src/unit-state.js";
import { processesWith } from "../support/processes.js";
import { scratchDir, waitFor, type ScratchDir } from "../support/scripts.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const POLKIT_RULE = fileURLToPath(new URL("../../overlay/refresh/examples/50-takopi-refresh.rules", import.meta.url));
const TEMPLATE = fileURLToPath(new URL("../support/dbusmock/systemd_restart.py", import.meta.url));
// On Debian CI machines `python3` on PATH may be a pyenv shim without the apt-installed dbusmock.
const PYTHON = "/usr/bin/python3";

/** What the mock's systemd does with a job for each unit it knows (see the template's docstring). */
const HOST_UNITS: Record<string, string> = {
  "ok.service": "done",
  "other.service": "done",
  "broken.service": "failed",
  "slow.service": "never",
  "early.service": "early",
  "decoy.service": "decoy",
  "dep.service": "dependency",
  "replaced.service": "canceled",
  "denied.service": "access-denied",
  "interactive.service": "interactive-auth",
};

async function missingTools(): Promise<string | null> {
  const daemon = await execa("dbus-daemon", ["--version"], { reject: false });
  if (daemon.failed) return "dbus-daemon is not installed";
  const mock = await execa(PYTHON, ["-c", "import dbusmock"], { reject: false });
  if (mock.failed) return `${PYTHON} cannot import dbusmock (python3-dbusmock is not installed)`;
  return null;
}

const missing = await missingTools();
const inCI = !["", "0", "false"].includes(process.env.CI ?? "");
// Skipping is for a developer's machine only; in CI a missing tool is a failure (beforeAll throws).
const skip = missing !== null && !inCI;
if (skip) console.warn(`skipping refresh-dbus tests: ${missing}; run .ci/setup-dbus.sh`);

/** alias → unit, as a symlink in /etc/systemd/system makes one. */
const HOST_ALIASES: Record<string, string> = { "app-alias.service": "ok.service", "denied-alias.service": "interactive.service" };
const SETUP = 'See "Host setup" in overlay/refresh/README.md.';

const MESSAGE: MessageRef = { chatId: 42, messageId: 7, threadId: null };

// /refresh needs nothing from the running bridge; touching it shows up as an `error:` reply.
const runtime = new Proxy({} as BridgeRuntime, {
  get: (_target, key) => {
    throw new Error(`the refresh plugin used runtime.${String(key)}`);
  },
});

let dir: ScratchDir;
/** Undoes what beforeAll set up, last first — also when it stopped halfway. */
const cleanups: (() => Promise<unknown>)[] = [];
/** The test's own connection: checks what the mock was asked and who is connected. */
let observer: dbus.MessageBus;
let address: string;
let plugins: PluginRegistry;
let replies: string[];

async function busCall(destination: string, path: string, iface: string, member: string, signature = "", body: unknown[] = []): Promise<unknown[]> {
  const call = observer.call(new dbus.Message({ destination, path, interface: iface, member, signature, body }));
  const timeout = new Promise<never>((_resolve, reject) => {
    setTimeout(() => {
      reject(new Error(`no reply to ${member} within 5 s`));
    }, 5_000).unref();
  });
  const reply = await Promise.race([call, timeout]);
  return (reply?.body ?? []) as unknown[];
}

function daemonCall(member: string, signature = "", body: unknown[] = []): Promise<unknown[]> {
  return busCall("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", member, signature, body);
}

function mockCall(member: string, signature = "", body: unknown[] = []): Promise<unknown[]> {
  return busCall("org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.DBus.Mock", member, signature, body);
}

/** The arguments of every call of a systemd Manager method since the last ClearCalls. */
async function managerCalls(method: string): Promise<unknown[][]> {
  const [calls] = (await mockCall("GetMethodCalls", "s", [method])) as [[bigint, dbus.Variant[]][]];
  return calls.map(([, args]) => args.map((arg) => arg.value as unknown));
}

/** Unique names on the bus: one per connected client. */
async function connections(): Promise<number> {
  const [names] = (await daemonCall("ListNames")) as [string[]];
  return names.filter((name) => name.startsWith(":")).length;
}

/** Sends `/refresh …` with this `[plugins.refresh]` table and returns the texts the chat received for it. */
async function refresh(text: string, table: Record<string, unknown>): Promise<string[]> {
  const first = replies.length;
  const config = loadConfigText(stringify({ transports: { telegram: { bot_token: "1:x", chat_id: 42 } }, plugins: { refresh: table } }), "/cfg/takopi.toml", { env: {} });
  const argsText = text.replace(/^\/refresh\s*/, "");
  const outcome = await dispatchCommand(
    { command: "refresh", text, argsText, message: MESSAGE, senderId: 1, replyTo: null, replyText: null },
    {
      plugins,
      config,
      runtime,
      log: silentLogger,
      reply: (reply) => {
        replies.push(reply);
        return Promise.resolve(null);
      },
    },
  );
  expect(outcome).toBe("handled");
  return replies.slice(first);
}

/** Runs `body` with $DBUS_SYSTEM_BUS_ADDRESS set to `value` (or unset), restoring it after. */
async function withSystemBusEnv<T>(value: string | undefined, body: () => Promise<T>): Promise<T> {
  const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  if (value === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
  else process.env.DBUS_SYSTEM_BUS_ADDRESS = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
    else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
  }
}

/** A session-type bus on `socket`, admitting whom `policy` allows. */
function busConfig(socket: string, policy: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">${policy}</policy>
</busconfig>
`;
}

/** Waits for `ready`, failing with the child's stderr if it exits first. */
async function readyUnlessExited(child: ResultPromise, name: string, ready: Promise<void>): Promise<void> {
  const first = await Promise.race([ready.then(() => null), child]);
  if (first !== null) throw new Error(`${name} exited: ${String(first.stderr)}`);
}

async function stop(child: ResultPromise): Promise<void> {
  child.kill();
  await child;
}

async function startDaemon(name: string, policy: string): Promise<{ process: ResultPromise; address: string }> {
  const socket = join(dir.path, `${name}.sock`);
  const conf = await dir.file(`${name}.conf`, busConfig(socket, policy));
  const child = execa("dbus-daemon", ["--config-file", conf, "--nofork", "--nopidfile"], { reject: false });
  cleanups.push(() => stop(child));
  await readyUnlessExited(child, "dbus-daemon", waitFor(() => existsSync(socket), 10_000, `dbus-daemon socket ${socket}`));
  return { process: child, address: `unix:path=${socket}` };
}

describe.skipIf(skip)("/refresh over a real system bus (dbus-daemon + dbusmock systemd)", () => {
  beforeAll(async () => {
    if (missing !== null) throw new Error(`${missing}; CI must run .ci/setup-dbus.sh first`);
    dir = await scratchDir("takopi-refresh-dbus-");
    cleanups.push(async () => {
      // Both children carry the scratch path in their command line.
      await waitFor(async () => (await processesWith(dir.path)).length === 0, 10_000, "dbus-daemon and dbusmock to exit");
      await dir.dispose();
    });
    const bus = await startDaemon("bus", '<allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>');
    address = bus.address;

    // The template has SYSTEM_BUS = True: dbusmock connects to $DBUS_SYSTEM_BUS_ADDRESS.
    const mock = execa(PYTHON, ["-m", "dbusmock", "--template", TEMPLATE, "-p", JSON.stringify({ units: HOST_UNITS, aliases: HOST_ALIASES }), "-l", join(dir.path, "mock.log")], {
      env: { DBUS_SYSTEM_BUS_ADDRESS: address },
      reject: false,
    });
    cleanups.push(() => stop(mock));
    observer = dbus.sessionBus({ busAddress: address });
    observer.on("error", (error: unknown) => {
      console.error("observer connection failed", error);
    });
    cleanups.push(() => {
      observer.disconnect();
      return Promise.resolve();
    });
    // dbusmock owns its name before it loads the template: ready is when the template's units answer.
    const loaded = () =>
      busCall("org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "LoadUnit", "s", ["ok.service"]).then(
        () => true,
        () => false,
      );
    await readyUnlessExited(mock, "dbusmock", waitFor(loaded, 10_000, "dbusmock to load the systemd template"));

    // Exactly how takopi finds the overlay: takopi's own node_modules, where npm links the workspace.
    plugins = new PluginRegistry(await discoverPlugins({ takopiRoot: REPO, env: {} }));
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  beforeEach(async () => {
    replies = [];
    await mockCall("ClearCalls");
  });

  afterEach(async () => {
    // Every reply is something to show a user: no stack trace, no takopi `error:` for an expected failure.
    for (const reply of replies) {
      expect(reply).not.toMatch(/^error:|\n\s+at /);
    }
    // The plugin disconnects after each command: only the observer and the mock stay on the bus.
    await waitFor(async () => (await connections()) === 2, 5_000, "the plugin's bus connection to close");
  });

  it("is an installed plugin: found beside takopi with its manifest description, and loads", async () => {
    const entry = plugins.find("command", "refresh");
    expect(entry).toMatchObject({ packageName: "takopi-overlay-refresh", enabled: true, builtin: false, description: "restart an allowlisted systemd unit on the host" });
    expect(plugins.catalog.problems.filter((problem) => problem.packageName === "takopi-overlay-refresh")).toEqual([]);
    const loaded = await plugins.tryLoad("command", "refresh");
    expect(loaded.ok).toBe(true);
  });

  it("from Telegram: a real takopi run restarts an allowlisted unit and refuses any other", async () => {
    const bridge = await BridgeHarness.create({ config: { plugins: { refresh: { bus: address, units: ["ok.service"] } } } });
    try {
      await bridge.start();
      const ok = bridge.send("/refresh ok");
      await bridge.replyTo(ok.stored.messageId, (text) => text === "restarted `ok.service`");
      const other = bridge.send("/refresh other.service");
      await bridge.replyTo(other.stored.messageId, (text) => text.startsWith("`other.service` is not in the /refresh allowlist"));
      expect(await managerCalls("RestartUnit")).toEqual([["ok.service", "replace"]]);
      expect(await bridge.stop()).toBe(0);
    } finally {
      await bridge.dispose();
    }
  });

  it("restarts an allowlisted unit and reports the job's result", async () => {
    const texts = await refresh("/refresh ok.service", { bus: address, units: ["ok.service", "broken.service"] });
    expect(texts).toEqual(["restarting `ok.service`…", "restarted `ok.service`"]);
    expect(await managerCalls("RestartUnit")).toEqual([["ok.service", "replace"]]);
  });

  it("accepts the name without .service, and with no argument restarts the only allowlisted unit", async () => {
    expect(await refresh("/refresh ok", { bus: address, units: ["ok.service", "broken.service"] })).toEqual(["restarting `ok.service`…", "restarted `ok.service`"]);
    expect(await refresh("/refresh", { bus: address, units: ["other.service"] })).toEqual(["restarting `other.service`…", "restarted `other.service`"]);
    expect(await managerCalls("RestartUnit")).toEqual([
      ["ok.service", "replace"],
      ["other.service", "replace"],
    ]);
  });

  it("with no argument and several units, lists them instead of guessing", async () => {
    expect(await refresh("/refresh", { bus: address, units: ["ok.service", "broken.service"] })).toEqual(["usage: /refresh <unit>\nunits: ok.service, broken.service"]);
    expect(await managerCalls("RestartUnit")).toEqual([]);
  });

  it("never sends a unit outside the allowlist to systemd, even one that exists on the host", async () => {
    const texts = await refresh("/refresh other.service", { bus: address, units: ["ok.service", "broken.service"] });
    expect(texts).toEqual(["`other.service` is not in the /refresh allowlist; allowed: ok.service, broken.service (add units to [plugins.refresh] units)"]);
    expect(await managerCalls("RestartUnit")).toEqual([]);
    expect(await managerCalls("StartUnit")).toEqual([]);
  });

  it("explains how to configure an empty allowlist", async () => {
    const texts = await refresh("/refresh ok.service", { bus: address });
    expect(texts).toEqual(['/refresh has no units to restart. List the host units it may restart in /cfg/takopi.toml:\n[plugins.refresh]\nunits = ["app.service"]\n(see overlay/refresh/README.md)']);
    expect(await managerCalls("RestartUnit")).toEqual([]);
  });

  it("answers a config mistake with one line naming the key", async () => {
    expect(await refresh("/refresh", { bus: address, units: ["ok.service"], method: "stop" })).toEqual(['`plugins.refresh.method` must be "restart" or "start", found "stop" (in /cfg/takopi.toml)']);
    expect(await refresh("/refresh", { bus: address, units: ["ok"] })).toEqual(['`plugins.refresh.units[0]` is not a systemd unit name: "ok"; write the full name, "ok.service" (in /cfg/takopi.toml)']);
    expect(await refresh("/refresh", { bus: address, unit: ["ok.service"] })).toEqual(["unknown key `plugins.refresh.unit`; known keys: units, method, timeout_s, bus (in /cfg/takopi.toml)"]);
    expect(await managerCalls("RestartUnit")).toEqual([]);
  });

  it("reports a failed job with where to look", async () => {
    const texts = await refresh("/refresh broken.service", { bus: address, units: ["broken.service"] });
    expect(texts).toEqual(["restarting `broken.service`…", "`broken.service` failed to restart (job result: failed); see `journalctl -u broken.service` on the host"]);
  });

  it("reports the other job results systemd gives", async () => {
    const units = ["dep.service", "replaced.service"];
    expect((await refresh("/refresh dep.service", { bus: address, units })).at(-1)).toBe("`dep.service` was not restarted: a unit it depends on failed (job result: dependency)");
    expect((await refresh("/refresh replaced.service", { bus: address, units })).at(-1)).toBe(
      "the restart of `replaced.service` was canceled (job result: canceled): another job for it replaced this one",
    );
  });

  it("stops waiting at timeout_s and says the job goes on", async () => {
    const texts = await refresh("/refresh slow.service", { bus: address, units: ["slow.service"], timeout_s: 0.3 });
    expect(texts).toEqual(["restarting `slow.service`…", "`slow.service` is still restarting after 0.3 s; systemd keeps the job going — see `systemctl status slow.service` on the host"]);
  });

  it("catches a job that finishes before systemd's reply, and ignores other jobs' results", async () => {
    expect((await refresh("/refresh early.service", { bus: address, units: ["early.service", "decoy.service"] })).at(-1)).toBe("restarted `early.service`");
    // The mock first announces a *failed* job of the same unit with another path.
    expect((await refresh("/refresh decoy.service", { bus: address, units: ["early.service", "decoy.service"] })).at(-1)).toBe("restarted `decoy.service`");
  });

  it("calls StartUnit for units configured with method = \"start\", globally or per unit", async () => {
    const perUnit = await refresh("/refresh other.service", { bus: address, units: ["ok.service", { name: "other.service", method: "start" }] });
    expect(perUnit).toEqual(["starting `other.service`…", "started `other.service`"]);
    const global = await refresh("/refresh", { bus: address, method: "start", units: ["ok.service"] });
    expect(global).toEqual(["starting `ok.service`…", "started `ok.service`"]);
    expect(await managerCalls("StartUnit")).toEqual([
      ["other.service", "replace"],
      ["ok.service", "replace"],
    ]);
    expect(await managerCalls("RestartUnit")).toEqual([]);
  });

  it("turns polkit's usual refusal into the rule to install, naming the container's uid", async () => {
    const uid = process.getuid?.() ?? "unknown";
    expect((await refresh("/refresh interactive.service", { bus: address, units: ["interactive.service"] })).at(-1)).toBe(
      `not allowed to restart \`interactive.service\`: no polkit rule on the host lets uid ${uid} restart it (org.freedesktop.DBus.Error.InteractiveAuthorizationRequired: Interactive authentication required.).\n` +
        `On the host, install overlay/refresh/examples/50-takopi-refresh.rules in /etc/polkit-1/rules.d/ with USER = the account of uid ${uid} (\`getent passwd ${uid} | cut -d: -f1\`), "interactive.service" in UNITS and "restart" in VERBS. ${SETUP}`,
    );
  });

  it("tells an AccessDenied from a missing polkit apart from one a polkit rule gave", async () => {
    const uid = process.getuid?.() ?? "unknown";
    // Nothing owns polkit's name on this bus, nor could the bus start it: as on a host without polkitd.
    expect((await refresh("/refresh denied.service", { bus: address, units: ["denied.service"] })).at(-1)).toBe(
      `systemd on the host refused to restart \`denied.service\` for uid ${uid}: there is no polkit on the host's system bus to ask (org.freedesktop.DBus.Error.AccessDenied: Access denied).\n` +
        `Install polkitd on the host (\`sudo apt install polkitd\` on Debian/Ubuntu), then the rule. ${SETUP}`,
    );
    // With polkit's name owned (the observer stands in for polkitd), the same answer is a rule's "no".
    const [owned] = (await daemonCall("RequestName", "su", ["org.freedesktop.PolicyKit1", 4])) as [number];
    expect(owned).toBe(1);
    try {
      expect((await refresh("/refresh denied.service", { bus: address, units: ["denied.service"] })).at(-1)).toBe(
        `not allowed to restart \`denied.service\`: a polkit rule on the host says no to uid ${uid} (org.freedesktop.DBus.Error.AccessDenied: Access denied).\n` +
          `Look for a rule returning polkit.Result.NO in /etc/polkit-1/rules.d/ and /usr/share/polkit-1/rules.d/ on the host. ${SETUP}`,
      );
    } finally {
      await daemonCall("ReleaseName", "s", ["org.freedesktop.PolicyKit1"]);
    }
  });

  it("resolves an allowlisted alias to the unit's real name before asking, and names both", async () => {
    expect(await refresh("/refresh app-alias", { bus: address, units: ["app-alias.service"] })).toEqual([
      "restarting `app-alias.service`…",
      "restarted `ok.service` (`app-alias.service` in the allowlist is an alias of it)",
    ]);
    expect(await managerCalls("RestartUnit")).toEqual([["ok.service", "replace"]]);
    // A refusal says which name the polkit rule must list: the real one.
    const refused = (await refresh("/refresh denied-alias", { bus: address, units: ["denied-alias.service"] })).at(-1);
    expect(refused).toMatch(/^not allowed to restart `interactive\.service` \(`denied-alias\.service` in the allowlist is an alias of it\): no polkit rule/);
    expect(refused).toContain('"interactive.service" in UNITS and "restart" in VERBS (polkit sees the real name, never the alias).');
  });

  it("says when the host has no such unit", async () => {
    const texts = await refresh("/refresh ghost.service", { bus: address, units: ["ghost.service"] });
    expect(texts).toEqual([
      "restarting `ghost.service`…",
      "the host has no unit `ghost.service` (org.freedesktop.systemd1.NoSuchUnit: Unit ghost.service not found.); check the name with `systemctl list-units --all` on the host",
    ]);
    expect(await managerCalls("RestartUnit")).toEqual([["ghost.service", "replace"]]);
  });

  it("uses $DBUS_SYSTEM_BUS_ADDRESS when the config names no bus", async () => {
    const texts = await withSystemBusEnv(address, () => refresh("/refresh", { units: ["ok.service"] }));
    expect(texts).toEqual(["restarting `ok.service`…", "restarted `ok.service`"]);
    expect(await managerCalls("RestartUnit")).toEqual([["ok.service", "replace"]]);
  });

  it("says which socket is missing and that compose must mount the host's bus", async () => {
    const socket = join(dir.path, "not-mounted.sock");
    const texts = await refresh("/refresh", { bus: `unix:path=${socket}`, units: ["ok.service"] });
    expect(texts).toEqual([
      "restarting `ok.service`…",
      `cannot reach the host's system bus: ${socket} does not exist in the container.\ncompose.yaml must mount the host's bus, the directory holding /run/dbus/system_bus_socket: volumes: - /run/dbus:/run/dbus:ro`,
    ]);
  });

  // Only where no real system bus exists: elsewhere this would ask the real host to restart ok.service.
  it.skipIf(existsSync("/run/dbus/system_bus_socket"))("falls back to /run/dbus/system_bus_socket", async () => {
    const texts = await withSystemBusEnv(undefined, () => refresh("/refresh", { units: ["ok.service"] }));
    expect(texts.at(-1)).toMatch(/^cannot reach the host's system bus: \/run\/dbus\/system_bus_socket does not exist in the container\./);
  });

  it("says when the bus address is not one", async () => {
    const texts = await refresh("/refresh", { bus: "bogus", units: ["ok.service"] });
    expect(texts.at(-1)).toBe(
      "invalid system bus address `bogus` (from [plugins.refresh] bus or $DBUS_SYSTEM_BUS_ADDRESS); expected e.g. unix:path=/run/dbus/system_bus_socket",
    );
  });

  it("says when nothing listens on the socket", async () => {
    const stale = await dir.file("stale.sock", "");
    const texts = await refresh("/refresh", { bus: `unix:path=${stale}`, units: ["ok.service"] });
    expect(texts.at(-1)).toBe(
      `cannot reach the host's system bus: nothing listens on ${stale} (is dbus running on the host?)`,
    );
  });

  it("says when the bus hangs up on the container's uid, and that the host needs an account for it", async () => {
    const uid = process.getuid?.() ?? "unknown";
    // What a uid without a host account meets on the host's dbus-daemon: the handshake, then a hang-up.
    const strict = await startDaemon("strict", `<deny user="${userInfo().username}"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>`);
    const [first, second] = (await refresh("/refresh", { bus: strict.address, units: ["ok.service"] })).at(-1)?.split("\n") ?? [];
    expect(first).toMatch(new RegExp(`^the system bus at ${join(dir.path, "strict.sock")} closed the connection for uid ${uid} \\(.+\\): the host needs a user account for uid ${uid}\\.$`));
    expect(second).toBe(`Create one on the host, e.g. \`sudo useradd --system --uid ${uid} --no-create-home takopi\`, or run the container as the uid of an existing account (TAKOPI_UID in .env). ${SETUP}`);
  });

  it("reads the allowlisted units' states for /status without touching them", async () => {
    await refresh("/refresh ok.service", { bus: address, units: ["ok.service", "broken.service"] });
    await refresh("/refresh broken.service", { bus: address, units: ["ok.service", "broken.service"] });
    await mockCall("ClearCalls");
    expect(await unitStates(address, ["ok.service", "broken.service", "dep.service", "ghost.service"], 5_000)).toEqual({
      ok: true,
      units: [
        { name: "ok.service", state: "active (running)" },
        { name: "broken.service", state: "failed (failed)" },
        { name: "dep.service", state: "inactive (dead)" },
        { name: "ghost.service", state: "not-found" },
      ],
    });
    expect(await managerCalls("RestartUnit")).toEqual([]);
    expect(await managerCalls("StartUnit")).toEqual([]);
    const socket = join(dir.path, "not-mounted.sock");
    expect(await unitStates(`unix:path=${socket}`, ["ok.service"], 5_000)).toEqual({
      ok: false,
      reason: `cannot reach the host's system bus: ${socket} does not exist in the container.\ncompose.yaml must mount the host's bus, the directory holding /run/dbus/system_bus_socket: volumes: - /run/dbus:/run/dbus:ro`,
    });
  });
});

describe("the example polkit rule (overlay/refresh/examples)", () => {
  type Rule = (action: { id: string; lookup: (key: string) => string | undefined }, subject: { user: string }) => string | null;

  // polkit's own values (init.js): a rule returning NOT_HANDLED leaves the decision to the next rule or the default (deny).
  async function loadRule(): Promise<Rule> {
    const rules: Rule[] = [];
    // Installed as the README says (sed s/ACCOUNT-OF-UID-1000/…/, every line): USER is the name of the account with the container's uid.
    const source = (await readFile(POLKIT_RULE, "utf8")).replaceAll("ACCOUNT-OF-UID-1000", "alice");
    const polkit = { Result: { NO: "no", YES: "yes", AUTH_SELF: "auth_self", AUTH_ADMIN: "auth_admin", NOT_HANDLED: null }, addRule: (rule: Rule) => rules.push(rule) };
    runInNewContext(source, { polkit });
    expect(rules).toHaveLength(1);
    return rules[0] as Rule;
  }

  function decide(rule: Rule, user: string, id: string, unit: string, verb: string): string | null {
    const details: Record<string, string> = { unit, verb };
    return rule({ id, lookup: (key) => details[key] }, { user });
  }

  it("lets only the configured account restart or start only the listed unit", async () => {
    const rule = await loadRule();
    const manage = "org.freedesktop.systemd1.manage-units";
    expect(decide(rule, "alice", manage, "takopi-example.service", "restart")).toBe("yes");
    expect(decide(rule, "alice", manage, "takopi-example.service", "start")).toBe("yes");
    expect(decide(rule, "alice", manage, "takopi-example.service", "stop")).toBeNull();
    expect(decide(rule, "alice", manage, "sshd.service", "restart")).toBeNull();
    expect(decide(rule, "bob", manage, "takopi-example.service", "restart")).toBeNull();
    // polkit names a uid with an account by the account: the number never matches.
    expect(decide(rule, "1000", manage, "takopi-example.service", "restart")).toBeNull();
    expect(decide(rule, "alice", "org.freedesktop.systemd1.manage-unit-files", "takopi-example.service", "restart")).toBeNull();
  });
});
