/**
 * `/refresh` against a real systemd: a container with systemd 252 as PID 1,
 * dbus-daemon and polkitd (test/support/systemd-host) stands in for a Debian
 * 12 host, set up the way overlay/refresh/README.md's "Host setup" tells a
 * user to; the bridge runs in the takopi image with that host's bus directory
 * mounted at /run/dbus (as compose.yaml mounts the real one), and the commands
 * come as Telegram messages through the fake Bot API on the host's loopback.
 *
 * The cases run in order, as a person setting up a host meets them: no account
 * for the container's uid yet, then the shipped rule installed, then the ways
 * a host can refuse. test/integration/refresh-dbus.test.ts is the quick
 * check of the same plugin against python-dbusmock.
 *
 * Needs a Docker engine, the takopi image's layer cache (.ci/setup-docker.sh)
 * and the systemd host image (.ci/setup-systemd.sh). Without an engine the
 * file is skipped outside CI; a missing image is always a failure.
 */
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { stringify } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram/index.js";
import { STANDARD_WORLD, USER } from "../support/fake-telegram/standard-world.js";
import { buildTakopiImage, dockerStatus, REPO_ROOT, waitUntil } from "../support/docker.js";
import { SystemdHost, systemdHostImageProblem } from "../support/systemd-host/host.js";

const IN_CI = process.env.CI === "true";
const IMAGE = "takopi:refresh-systemd-test";
/** The takopi image's default uid (build arg UID), which the host's bus and polkit see. */
const UID = 1000;
const EXAMPLES = join(REPO_ROOT, "overlay", "refresh", "examples");
const HOST_FILES = join(REPO_ROOT, "test", "support", "systemd-host", "files");
const RULE = "/etc/polkit-1/rules.d/50-takopi-refresh.rules";
const SETUP = 'See "Host setup" in overlay/refresh/README.md.';

const docker = await dockerStatus();
if (!docker.ok && !IN_CI) console.warn(`skipping refresh-systemd tests: ${docker.reason}`);

describe.skipIf(!docker.ok && !IN_CI)("/refresh against a real systemd + polkit host, from Telegram", () => {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const bridgeName = `takopi-refresh-bridge-${run}`;
  let scratch = "";
  let host: SystemdHost | undefined;
  let tg: FakeTelegram | undefined;
  let bridgeStarted = false;

  const theHost = (): SystemdHost => {
    if (host === undefined) throw new Error("the systemd host did not boot");
    return host;
  };

  /** Sends a message from the allowed user; `answer` waits for the bridge's reply that `matches`. */
  function send(text: string): { replies: () => string[]; answer: (matches: (text: string) => boolean) => Promise<string> } {
    if (tg === undefined) throw new Error("no fake Telegram");
    const telegram = tg;
    const sent = telegram.injectMessage({ chat: USER, from: USER, text });
    const id = sent.stored.messageId;
    const replies = () => telegram.messages(USER).filter((message) => message.replyToMessageId === id).map((message) => message.text ?? "");
    const answer = async (matches: (text: string) => boolean) => {
      const message = await telegram.waitForMessage((m) => m.replyToMessageId === id && !m.deleted && matches(m.text ?? ""), 30_000).catch(async (error: unknown) => {
        throw new Error(`${String(error)}\nreplies so far: ${JSON.stringify(replies())}\nbridge log:\n${await bridgeLogs()}`);
      });
      return message.text ?? "";
    };
    return { replies, answer };
  }

  /** `/refresh …`'s final reply (the one after "restarting …"). */
  async function refresh(args: string): Promise<string> {
    const message = send(`/refresh ${args}`);
    return message.answer((text) => !/^(restarting|starting) `[^`]+`…$/.test(text));
  }

  async function bridgeLogs(): Promise<string> {
    const logs = await execa("docker", ["logs", "--tail", "40", bridgeName], { reject: false, all: true });
    return logs.all;
  }

  /**
   * Runs `script` on the host, which adds or removes rule files, and waits for
   * polkit to load them: a running polkitd rereads its rules on an inotify
   * event, a little later (a stopped one reads them when the bus starts it).
   */
  async function changeRules(script: string): Promise<void> {
    const running = (await theHost().exec(["systemctl", "is-active", "--quiet", "polkit.service"])).exitCode === 0;
    const loads = async () => (await theHost().sh("journalctl -u polkit.service -o cat --no-pager | grep -c '^Finished loading' || true")).trim();
    const before = running ? await loads() : "";
    await theHost().sh(script);
    if (running) await waitUntil(async () => (await loads()) !== before, 10_000, () => "polkit to reload its rules (`journalctl -u polkit`)");
  }

  /** What changes when systemd really (re)starts a service: a new invocation and main process. */
  async function invocation(unit: string): Promise<string> {
    return `${await theHost().unitProperty(unit, "InvocationID")}/${await theHost().unitProperty(unit, "ExecMainPID")}`;
  }

  beforeAll(async () => {
    if (!docker.ok) throw new Error(`${docker.reason}; CI must run .ci/setup-docker.sh`);
    const problem = await systemdHostImageProblem();
    if (problem !== null) throw new Error(problem);
    // The image .ci/setup-docker.sh built as takopi:ci (default uid 1000), rebuilt from its cache.
    await buildTakopiImage(IMAGE, {});

    scratch = await mkdtemp(join(tmpdir(), "takopi-refresh-systemd-"));
    // mkdtemp's 0700 would keep the container's uid from reaching the socket inside (EACCES).
    const bus = join(scratch, "dbus");
    await mkdir(bus);
    await chmod(bus, 0o755);
    host = await SystemdHost.boot({ name: `takopi-refresh-host-${run}`, busDir: bus, mounts: { [EXAMPLES]: "/examples:ro", [HOST_FILES]: "/test-files:ro" } });

    // README "Host setup", step 1: the unit (takopi-example.service's own install lines) ...
    await theHost().sh(
      "cp /examples/takopi-example.service /etc/systemd/system/ && mkdir -p /srv/takopi-example && echo hello > /srv/takopi-example/index.html " +
        "&& systemctl daemon-reload && systemctl enable --now takopi-example.service",
    );
    // ... and the test's own: a failing oneshot and a restart-only unit (allowed by a second rule, installed
    // below with the shipped one), an alias of the example unit, and a unit polkit knows nothing about (dbus).
    await theHost().sh(
      "cp /test-files/takopi-failing.service /test-files/takopi-restart-only.service /etc/systemd/system/ " +
        "&& ln -s /etc/systemd/system/takopi-example.service /etc/systemd/system/takopi-app.service && systemctl daemon-reload",
    );

    // The bridge: the image's entrypoint and `takopi run`, the hand-written config merged in, the host's bus.
    tg = await startFakeTelegram(STANDARD_WORLD);
    const projects = join(scratch, "projects");
    await mkdir(join(projects, "alpha"), { recursive: true });
    await chmod(projects, 0o777);
    await chmod(join(projects, "alpha"), 0o777);
    const config = join(scratch, "takopi.toml");
    const units = ["takopi-example.service", "takopi-app.service", "takopi-failing.service", "dbus.service", { name: "takopi-restart-only.service", method: "start" }];
    await writeFile(config, stringify({ plugins: { refresh: { units, timeout_s: 20 } } }));
    await chmod(scratch, 0o755);
    const env = { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_CHAT_ID: String(USER), TELEGRAM_API_ROOT: tg.apiRoot, TAKOPI_ALLOWED_USER_IDS: String(USER) };
    const args = ["run", "-d", "--name", bridgeName, "--network", "host", "--init"];
    for (const [name, value] of Object.entries(env)) args.push("-e", `${name}=${value}`);
    // takopi starts only with its default engine on PATH: the suite's stand-in (replays recordings), never run here.
    const engines = join(scratch, "engines");
    await mkdir(engines);
    await symlink("/opt/takopi-test/support/fake-engine/cli.mjs", join(engines, "codex"));
    args.push("-v", `${engines}:/opt/engines/bin:ro`, "-v", `${join(REPO_ROOT, "test")}:/opt/takopi-test:ro`);
    args.push("-v", `${projects}:/projects`, "-v", `${config}:/config/takopi.toml:ro`, "-v", `${bus}:/run/dbus:ro`, IMAGE);
    // Set first: a `docker run` that fails halfway may still leave a container behind.
    bridgeStarted = true;
    const started = await execa("docker", args, { reject: false, all: true });
    if (started.failed) throw new Error(`docker run ${IMAGE} failed:\n${started.all}`);
    await waitUntil(
      async () => {
        if (tg?.calls("getUpdates").length) return true;
        const state = await execa("docker", ["inspect", "-f", "{{.State.Running}}", bridgeName], { reject: false });
        if (state.stdout.trim() !== "true") throw new Error(`the bridge container exited before polling Telegram:\n${await bridgeLogs()}`);
        return false;
      },
      60_000,
      () => "the bridge to poll Telegram",
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\nbridge log:\n${await bridgeLogs()}`);
    });
  });

  afterAll(async () => {
    try {
      if (bridgeStarted) await execa("docker", ["rm", "-f", bridgeName], { reject: false });
      await host?.remove();
      await tg?.close();
    } finally {
      // The bus directory holds a subdirectory dbus-daemon created as its own user: root removes it, as do we.
      if (scratch !== "") await rm(scratch, { recursive: true, force: true });
    }
  });

  it("without a host account for the container's uid, the bus hangs up; the reply says to create one, and that fixes it", async () => {
    expect((await theHost().exec(["getent", "passwd", String(UID)])).exitCode).toBe(2);
    const reply = await refresh("takopi-example");
    // In parentheses what the client saw: `write EPIPE` or the closed stream, whichever came first.
    const [first, second] = reply.split("\n");
    expect(first).toMatch(new RegExp(`^the system bus at /run/dbus/system_bus_socket closed the connection for uid ${UID} \\((write EPIPE|closed the connection during authentication)\\): the host needs a user account for uid ${UID}\\.$`));
    expect(second).toBe(`Create one on the host, e.g. \`sudo useradd --system --uid ${UID} --no-create-home takopi\`, or run the container as the uid of an existing account (TAKOPI_UID in .env). ${SETUP}`);
    // What the reply says to run, run on the host (as root, so without sudo).
    const command = /`sudo (useradd [^`]+)`/.exec(reply)?.[1];
    if (command === undefined) throw new Error(`no useradd command in ${reply}`);
    await theHost().sh(command);
    expect((await theHost().exec(["getent", "passwd", String(UID)])).stdout).toMatch(/^takopi:x:1000:/);
    // The bus now admits the uid and polkit answers: no rule yet, so no.
    expect(await refresh("takopi-example")).toMatch(/^not allowed to restart `takopi-example\.service`: no polkit rule on the host lets uid 1000 restart it \(org\.freedesktop\.DBus\.Error\.InteractiveAuthorizationRequired: /);
  });

  it("with the shipped rule installed as the README says, restarts the allowlisted unit for real and reports the job's result", async () => {
    // README "Host setup": the rule, USER set to the name of the account with the container's uid.
    await changeRules(`sed "s/ACCOUNT-OF-UID-1000/$(getent passwd ${UID} | cut -d: -f1)/" /examples/50-takopi-refresh.rules > ${RULE}`);
    expect(await theHost().sh(`grep 'var USER' ${RULE}`)).toContain('var USER = "takopi";');
    await changeRules("cp /test-files/60-takopi-test.rules /etc/polkit-1/rules.d/");
    const before = await invocation("takopi-example.service");

    const message = send("/refresh takopi-example");
    expect(await message.answer((text) => text.startsWith("restarted"))).toBe("restarted `takopi-example.service`");
    expect(message.replies()).toEqual(["restarting `takopi-example.service`…", "restarted `takopi-example.service`"]);
    const after = await invocation("takopi-example.service");
    expect(after).not.toBe(before);
    expect(await theHost().unitProperty("takopi-example.service", "ActiveState")).toBe("active");
    // The example unit serves its page again (python's http.server on the host's 127.0.0.1:8088).
    await waitUntil(async () => (await theHost().exec(["python3", "-c", "import urllib.request as u; print(u.urlopen('http://127.0.0.1:8088/').read().decode())"])).stdout.trim() === "hello", 10_000, () => "the example unit's page");
  });

  it("restarts an allowlisted alias under the unit's real name, which is what polkit's rule sees", async () => {
    const before = await invocation("takopi-example.service");
    expect(await refresh("takopi-app")).toBe("restarted `takopi-example.service` (`takopi-app.service` in the allowlist is an alias of it)");
    expect(await invocation("takopi-example.service")).not.toBe(before);
  });

  it("reports a failed job, with where to look", async () => {
    expect(await refresh("takopi-failing")).toBe("`takopi-failing.service` failed to restart (job result: failed); see `journalctl -u takopi-failing.service` on the host");
    expect(await theHost().unitProperty("takopi-failing.service", "Result")).toBe("exit-code");
  });

  it("refuses a unit outside the allowlist, a unit no rule allows, and a verb no rule allows", async () => {
    const dbusBefore = await invocation("dbus.service");
    expect(await send("/refresh ssh").answer(() => true)).toBe(
      "`ssh` is not in the /refresh allowlist; allowed: takopi-example.service, takopi-app.service, takopi-failing.service, dbus.service, takopi-restart-only.service (add units to [plugins.refresh] units)",
    );
    expect(await refresh("dbus")).toBe(
      "not allowed to restart `dbus.service`: no polkit rule on the host lets uid 1000 restart it (org.freedesktop.DBus.Error.InteractiveAuthorizationRequired: Interactive authentication required.).\n" +
        `On the host, install overlay/refresh/examples/50-takopi-refresh.rules in /etc/polkit-1/rules.d/ with USER = the account of uid 1000 (\`getent passwd 1000 | cut -d: -f1\`), "dbus.service" in UNITS and "restart" in VERBS. ${SETUP}`,
    );
    expect(await invocation("dbus.service")).toBe(dbusBefore);
    // The test rule lets takopi restart this unit, not start it.
    expect(await refresh("takopi-restart-only")).toMatch(/^not allowed to start `takopi-restart-only\.service`: no polkit rule on the host lets uid 1000 start it \(org\.freedesktop\.DBus\.Error\.InteractiveAuthorizationRequired: /);
    expect(await theHost().unitProperty("takopi-restart-only.service", "ActiveState")).toBe("inactive");
  });

  it("with the shipped debug drop-in, polkit.log() lines show in the journal, and name an alias's real unit", async () => {
    await theHost().sh("mkdir -p /etc/systemd/system/polkit.service.d && cp /examples/polkit-debug.conf /etc/systemd/system/polkit.service.d/ && systemctl daemon-reload && systemctl restart polkit");
    await changeRules("cp /test-files/10-takopi-test-log.rules /etc/polkit-1/rules.d/");
    expect(await refresh("takopi-app")).toBe("restarted `takopi-example.service` (`takopi-app.service` in the allowlist is an alias of it)");
    await waitUntil(
      async () => (await theHost().sh("journalctl -u polkit --no-pager -o cat")).includes("takopi-test: unit=takopi-example.service verb=restart user=takopi"),
      10_000,
      () => "the rule's polkit.log line in `journalctl -u polkit`",
    );
    // Back to Debian's polkitd --no-debug; the restart rereads the rules.
    await theHost().sh("rm /etc/polkit-1/rules.d/10-takopi-test-log.rules /etc/systemd/system/polkit.service.d/polkit-debug.conf && systemctl daemon-reload && systemctl restart polkit");
  });

  it("names the cause when polkit says no, is masked, or is not on the bus at all", async () => {
    await changeRules("cp /test-files/40-takopi-test-no.rules /etc/polkit-1/rules.d/");
    expect(await refresh("takopi-example")).toBe(
      "not allowed to restart `takopi-example.service`: a polkit rule on the host says no to uid 1000 (org.freedesktop.DBus.Error.AccessDenied: Permission denied).\n" +
        `Look for a rule returning polkit.Result.NO in /etc/polkit-1/rules.d/ and /usr/share/polkit-1/rules.d/ on the host. ${SETUP}`,
    );
    await changeRules("rm /etc/polkit-1/rules.d/40-takopi-test-no.rules");

    await theHost().sh("systemctl mask --now polkit.service");
    expect(await refresh("takopi-example")).toBe(
      "systemd on the host cannot ask polkit whether uid 1000 may restart `takopi-example.service`: polkit.service is masked there (org.freedesktop.systemd1.UnitMasked: Unit polkit.service is masked.).\n" +
        "Unmask it on the host: `sudo systemctl unmask polkit.service`.",
    );
    await theHost().sh("systemctl unmask polkit.service");

    // As if polkitd were not installed: nothing owns its bus name and the bus cannot start it.
    const activation = "/usr/share/dbus-1/system-services/org.freedesktop.PolicyKit1.service";
    await theHost().sh(`systemctl stop polkit.service && mv ${activation} /root/ && systemctl reload dbus.service`);
    expect(await refresh("takopi-example")).toBe(
      "systemd on the host refused to restart `takopi-example.service` for uid 1000: there is no polkit on the host's system bus to ask (org.freedesktop.DBus.Error.AccessDenied: Permission denied).\n" +
        `Install polkitd on the host (\`sudo apt install polkitd\` on Debian/Ubuntu), then the rule. ${SETUP}`,
    );
    await theHost().sh(`mv /root/org.freedesktop.PolicyKit1.service ${activation} && systemctl reload dbus.service`);
    expect(await refresh("takopi-example")).toBe("restarted `takopi-example.service`");
  });

  it("says so when the host's bus is gone", async () => {
    await theHost().remove();
    expect(await refresh("takopi-example")).toBe("cannot reach the host's system bus: nothing listens on /run/dbus/system_bus_socket (is dbus running on the host?)");
  });
});
