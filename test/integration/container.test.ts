// The container deployment against the real Docker engine: the image built
// from this checkout (Dockerfile + entrypoint.sh) run the way a home server
// runs it, and compose.yaml brought up with the compose CLI the machine has,
// talking to the fake Bot API on the host's loopback (host networking).
//
// Needs a Docker engine and the local Node base image (.ci/setup-docker.sh).
// Without them the file is skipped with the reason, except in CI, where that
// is a failure.
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";
import { parse } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram/index.js";
import { STANDARD_WORLD, USER } from "../support/fake-telegram/standard-world.js";
import {
  buildTakopiImage,
  ComposeStack,
  composeCli,
  dockerStatus,
  ENGINE_COMMANDS,
  imageConfig,
  NODE_IMAGE,
  npmPrefixEngineMounts,
  runOnce,
  testEnginesInstalled,
  waitUntil,
  REPO_ROOT,
  type BuiltImage,
} from "../support/docker.js";

const IN_CI = process.env.CI === "true";
const IMAGE = "takopi:container-test";
/** Root here makes the bridge's uid a stranger's, which is what the ownership checks need; otherwise it is ours. */
const HOST_UID = process.getuid?.() ?? 0;
const UID = HOST_UID === 0 ? 4242 : HOST_UID;
const GID = HOST_UID === 0 ? 4343 : (process.getgid?.() ?? 0);
/** What `entrypoint.sh` exits with for a deployment mistake (EX_CONFIG). */
const EX_CONFIG = 78;
/**
 * Running is enough: testcontainers would otherwise wait for the image's
 * HEALTHCHECK, which only a polling bridge passes.
 */
const STARTED = Wait.forSuccessfulCommand("true");

const docker = await dockerStatus();
const compose = docker.ok ? await composeCli() : null;

function unavailable(what: string, reason: string): void {
  if (IN_CI) {
    describe(what, () => {
      it("has what it needs in CI", () => {
        throw new Error(`${what}: ${reason}`);
      });
    });
  } else {
    console.warn(`skipping ${what}: ${reason}`);
  }
}
if (!docker.ok) unavailable("container tests", docker.reason);
else if (compose === null) unavailable("compose tests", "neither `docker compose` nor `docker-compose` is installed; run .ci/setup-docker.sh");

let image: BuiltImage | undefined;
let scratch = "";

beforeAll(async () => {
  if (!docker.ok) return;
  scratch = await mkdtemp(join(tmpdir(), "takopi-container-"));
  image = await buildTakopiImage(IMAGE, { UID: String(UID), GID: String(GID) });
  console.info(`${IMAGE} (FROM ${NODE_IMAGE}, uid ${UID}:${GID}): built in ${image.seconds.toFixed(1)} s, ${(image.size / 1e6).toFixed(0)} MB`);
});

afterAll(async () => {
  if (scratch !== "") await rm(scratch, { recursive: true, force: true });
});

/** A fake Bot API for one test, on the host's 127.0.0.1 (the containers share the host's network). */
async function fakeTelegram(): Promise<FakeTelegram> {
  const tg = await startFakeTelegram(STANDARD_WORLD);
  onTestFinished(() => tg.close());
  return tg;
}

let dirCount = 0;
/** A host projects directory with these project subdirectories, owned by the bridge's uid/gid. */
async function projectsDir(names: readonly string[]): Promise<string> {
  const dir = join(scratch, `projects-${++dirCount}`);
  for (const name of ["", ...names]) {
    await mkdir(join(dir, name), { recursive: true });
    if (HOST_UID === 0) await chown(join(dir, name), UID, GID);
  }
  return dir;
}

/** The environment a filled-in .env gives the container. */
function telegramEnv(tg: FakeTelegram): Record<string, string> {
  return { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_CHAT_ID: String(USER), TELEGRAM_API_ROOT: tg.apiRoot, TAKOPI_ALLOWED_USER_IDS: String(USER) };
}

interface GeneratedConfig {
  transports: { telegram: { bot_token: string; chat_id: number; api_root?: string } };
  projects: Record<string, { path: string }>;
}

describe.skipIf(!docker.ok)("the takopi image", () => {
  it("refuses to start without a bot token and says how to set one", async () => {
    const run = await runOnce(IMAGE);
    expect(run.exitCode).toBe(EX_CONFIG);
    expect(run.stderr).toContain("TELEGRAM_BOT_TOKEN is not set");
    expect(run.stderr).toContain("Copy .env.example to .env");
  });

  it("refuses to start without a projects directory and says how to mount one", async () => {
    const run = await runOnce(IMAGE, { env: { TELEGRAM_BOT_TOKEN: "123:abc", TELEGRAM_CHAT_ID: "1" } });
    expect(run.exitCode).toBe(EX_CONFIG);
    expect(run.stderr).toContain("the projects directory /projects is not mounted");
    expect(run.stderr).toContain("Set TAKOPI_PROJECTS in .env");
  });

  it("refuses a projects directory its uid cannot write and names the uid to build with", async () => {
    const projects = await projectsDir(["alpha"]);
    await chmod(projects, 0o555);
    const run = await runOnce(IMAGE, { env: { TELEGRAM_BOT_TOKEN: "123:abc", TELEGRAM_CHAT_ID: "1" }, mounts: { [projects]: "/projects" } });
    expect(run.exitCode).toBe(EX_CONFIG);
    expect(run.stderr).toContain(`not writable by the container's user ${UID}:${GID}`);
    expect(run.stderr).toContain("TAKOPI_UID");
  });

  it.skipIf(HOST_UID !== 0)("explains a root-owned projects directory (what Docker creates for a missing host path)", async () => {
    const projects = join(scratch, "created-by-docker");
    await mkdir(projects);
    const run = await runOnce(IMAGE, { env: { TELEGRAM_BOT_TOKEN: "123:abc", TELEGRAM_CHAT_ID: "1" }, mounts: { [projects]: "/projects" } });
    expect(run.exitCode).toBe(EX_CONFIG);
    expect(run.stderr).toContain("belongs to root");
    expect(run.stderr).toContain(`sudo chown ${UID}:${GID}`);
  });

  it("refuses a state directory its uid cannot write and says how to hand it over", async () => {
    const state = join(scratch, "foreign-state");
    await mkdir(state);
    // Root's directory as root; our own but read-only otherwise (the container then runs as us).
    await chmod(state, HOST_UID === 0 ? 0o755 : 0o555);
    const run = await runOnce(IMAGE, {
      env: { TELEGRAM_BOT_TOKEN: "123:abc", TELEGRAM_CHAT_ID: "1" },
      mounts: { [await projectsDir([])]: "/projects", [state]: "/state" },
    });
    expect(run.exitCode).toBe(EX_CONFIG);
    expect(run.stderr).toContain(`the state directory /state is not writable by the container's user ${UID}:${GID}`);
    expect(run.stderr).toContain(`--entrypoint chown takopi -R ${UID}:${GID} /state`);
  });

  it("writes the config from the projects directory before running the command", async () => {
    const tg = await fakeTelegram();
    const projects = await projectsDir(["alpha", "my app", ".hidden"]);
    await writeFile(join(projects, "notes.txt"), "not a project\n");
    const run = await runOnce(IMAGE, { env: telegramEnv(tg), mounts: { [projects]: "/projects" }, command: ["cat", "/state/takopi.toml"] });
    expect(run.exitCode, run.stderr).toBe(0);
    // stdout is the command's alone (discovery reports on stderr), so it parses as TOML.
    const config = parse(run.stdout) as unknown as GeneratedConfig;
    expect(Object.values(config.projects).map((project) => project.path).sort()).toEqual(["/projects/alpha", "/projects/my app"]);
    expect(config.transports.telegram).toMatchObject({ bot_token: tg.token, chat_id: USER, api_root: tg.apiRoot });
  });

  it("is small: no dev dependencies, no sources", async () => {
    if (image === undefined) throw new Error("the image was not built");
    console.info(`image size: ${(image.size / 1e6).toFixed(0)} MB`);
    expect(image.size).toBeLessThan(600e6);
    const listing = await runOnce(IMAGE, {
      env: { TELEGRAM_BOT_TOKEN: "123:abc", TELEGRAM_CHAT_ID: "1" },
      mounts: { [await projectsDir([])]: "/projects" },
      command: ["sh", "-c", "ls /app /app/node_modules; ls /app/node_modules/.bin 2>/dev/null || true"],
    });
    expect(listing.exitCode, listing.stderr).toBe(0);
    const names = listing.stdout.split(/\s+/);
    expect(names).toEqual(expect.arrayContaining(["dist", "node_modules", "grammy", "takopi-overlay-refresh"]));
    for (const absent of ["src", "test", "typescript", "vitest", "testcontainers", "eslint"]) expect(names).not.toContain(absent);
  });

  describe("running", () => {
    let container: StartedTestContainer;
    let projects = "";

    beforeAll(async () => {
      projects = await projectsDir(["alpha"]);
      container = await new GenericContainer(IMAGE)
        .withNetworkMode("host")
        .withEnvironment({ TELEGRAM_BOT_TOKEN: "123:abc", TELEGRAM_CHAT_ID: "1" })
        .withBindMounts([{ source: projects, target: "/projects", mode: "rw" }])
        .withCommand(["sleep", "infinity"])
        .withWaitStrategy(STARTED)
        .start();
      // The entrypoint's discovery has run (and removed any old health file) once the config exists.
      await waitUntil(async () => (await container.exec(["test", "-f", "/state/takopi.toml"])).exitCode === 0, 30_000, () => "the generated config");
    });

    afterAll(async () => {
      await container.stop();
    });

    it("runs as the build's uid and gid, not as root", async () => {
      expect((await imageConfig(IMAGE)).User).toBe("takopi");
      const id = await container.exec(["sh", "-c", "id -u; id -g"]);
      expect(id.output.trim().split(/\s+/)).toEqual([String(UID), String(GID)]);
    });

    it("creates files in the projects directory that belong to that uid and gid on the host", async () => {
      const made = await container.exec(["sh", "-c", "echo hi > /projects/alpha/note.txt && git init -q /projects/alpha && mkdir /projects/beta"]);
      expect(made.exitCode, made.output).toBe(0);
      for (const path of ["alpha/note.txt", "alpha/.git", "beta"]) {
        const info = await stat(join(projects, path));
        expect({ path, uid: info.uid, gid: info.gid }).toEqual({ path, uid: UID, gid: GID });
      }
    });

    it("reports healthy only while the health file is younger than 90 s", async () => {
      const test = (await imageConfig(IMAGE)).Healthcheck?.Test ?? [];
      expect(test[0]).toBe("CMD");
      const check = async () => (await container.exec(test.slice(1))).exitCode;
      expect(await check()).toBe(1);
      await container.exec(["touch", "/state/healthy"]);
      expect(await check()).toBe(0);
      await container.exec(["touch", "-d", "@" + String(Math.floor(Date.now() / 1000) - 120), "/state/healthy"]);
      expect(await check()).toBe(1);
    });
  });

  it("without TELEGRAM_CHAT_ID answers a private message with the chat id instead of starting the bridge", async () => {
    const tg = await fakeTelegram();
    const { TELEGRAM_CHAT_ID: _chatId, ...env } = telegramEnv(tg);
    const container = await new GenericContainer(IMAGE)
      .withNetworkMode("host")
      .withEnvironment(env)
      .withBindMounts([{ source: await projectsDir(["alpha"]), target: "/projects", mode: "rw" }])
      .withWaitStrategy(STARTED)
      .start();
    onTestFinished(async () => {
      await container.stop();
    });
    tg.injectMessage({ chat: USER, from: USER, text: "hello?" });
    const answer = await tg.waitForMessage((message) => message.chatId === USER && (message.text ?? "").includes(`TELEGRAM_CHAT_ID=${USER}`), 30_000);
    expect(answer.text).toContain(".env");
  });

  // The pinned engines come with `npm cit` (pretest); only a developer who skipped them (TAKOPI_SKIP_ENGINES) goes without.
  it.skipIf(!testEnginesInstalled() && !IN_CI)("runs engines mounted the way a host's npm global prefix is", async () => {
    if (!testEnginesInstalled()) throw new Error("the pinned engines are not installed in test/engines: run npm run engines:install");
    const mounts = await npmPrefixEngineMounts(join(scratch, "npm-prefix"));
    const run = await runOnce(IMAGE, {
      env: { TELEGRAM_BOT_TOKEN: "123:abc", TELEGRAM_CHAT_ID: "1" },
      mounts: { ...mounts, [await projectsDir([])]: "/projects" },
      command: ["sh", "-c", `for e in ${ENGINE_COMMANDS.join(" ")}; do printf '%s ' "$e"; "$e" --version 2>&1 | tail -n 1; done`],
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const lines = run.stdout.trim().split("\n");
    for (const engine of ENGINE_COMMANDS) expect(lines.find((line) => line.startsWith(`${engine} `)), run.stdout).toMatch(/\d+\.\d+\.\d+/);
  });
});

describe.skipIf(!docker.ok || compose === null)("compose.yaml", () => {
  let stack: ComposeStack | undefined;
  let tg: FakeTelegram;
  let dir = "";
  let projects = "";
  /** Where the stand-in engines log their runs (mounted at /fake-engine). */
  let engineLog = "";
  const running = (): ComposeStack => {
    if (stack === undefined) throw new Error("the compose stack was not created");
    return stack;
  };

  /**
   * Brings the stack up from a scratch project directory with a filled-in .env
   * and the test suite's stand-in engines (test/support/fake-engine, replaying
   * recorded streams) mounted as the host's engine binaries.
   */
  beforeAll(async () => {
    tg = await startFakeTelegram(STANDARD_WORLD);
    dir = join(scratch, "compose");
    await mkdir(dir, { recursive: true });
    projects = await projectsDir(["alpha", "my app"]);
    const engines = join(dir, "engines");
    await mkdir(engines);
    for (const name of ENGINE_COMMANDS) await symlink("/opt/takopi-test/support/fake-engine/cli.mjs", join(engines, name));
    engineLog = join(dir, "engine-log");
    await mkdir(engineLog);
    if (HOST_UID === 0) await chown(engineLog, UID, GID);
    await mkdir(join(dir, "dbus"));
    stack = new ComposeStack({
      cli: compose ?? [],
      dir,
      project: `takopitest${process.pid}`,
      env: {
        ...telegramEnv(tg),
        TAKOPI_PROJECTS: projects,
        TAKOPI_UID: String(UID),
        TAKOPI_GID: String(GID),
        NODE_IMAGE,
        // Not the CI machine's /run/dbus: nothing of the host's is needed here.
        TAKOPI_DBUS_DIR: join(dir, "dbus"),
        FAKE_ENGINE_DIR: "/fake-engine",
      },
      override: {
        // The image this file built (same build args), so compose builds nothing.
        image: IMAGE,
        // The fake Bot API listens on the host's 127.0.0.1.
        network_mode: "host",
        volumes: [`${engines}:/opt/engines/bin:ro`, `${join(REPO_ROOT, "test")}:/opt/takopi-test:ro`, `${engineLog}:/fake-engine`],
      },
    });
    await stack.up();
  });

  afterAll(async () => {
    try {
      if (stack !== undefined) {
        await stack.down();
      }
    } finally {
      await tg.close();
    }
  });

  it("passes .env's uid and gid to the build", async () => {
    const config = await running().run(["config"]);
    // Build args are their own lines (`UID: '4242'`); .env's TAKOPI_UID shows up under environment too.
    expect(config).toMatch(new RegExp(`^\\s+UID: ['"]?${UID}['"]?$`, "m"));
    expect(config).toMatch(new RegExp(`^\\s+GID: ['"]?${GID}['"]?$`, "m"));
  });

  it("starts the bridge, which polls Telegram with a config generated from the projects directory", async () => {
    await tg.waitForCall((call) => call.method === "getUpdates", 60_000).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\ncontainer logs:\n${await running().logs()}`);
    });
    const cat = await running().exec(["cat", "/state/takopi.toml"]);
    expect(cat.exitCode, cat.stderr).toBe(0);
    const config = parse(cat.stdout) as unknown as GeneratedConfig;
    expect(Object.values(config.projects).map((project) => project.path).sort()).toEqual(["/projects/alpha", "/projects/my app"]);
    expect(config.transports.telegram).toMatchObject({ chat_id: USER, api_root: tg.apiRoot });
    // Every overlay plugin is active in the image with no [plugins] table: its command is in the menu.
    await tg.waitForCall((call) => call.method === "setMyCommands", 30_000);
    expect(tg.commands()?.map((command) => command.command)).toEqual(expect.arrayContaining(["reload", "projects", "status", "refresh", "schedule"]));
    expect(await running().restartCount()).toBe(0);
  });

  it("answers a message, and /reload restarts it with a new project, answering what came meanwhile once", async () => {
    const sent = (text: string) => tg.injectMessage({ chat: USER, from: USER, text });
    const answerTo = (messageId: number, matches: (text: string) => boolean, timeoutMs = 60_000) =>
      tg.waitForMessage((message) => message.replyToMessageId === messageId && !message.deleted && matches(message.text ?? ""), timeoutMs).catch(async (error: unknown) => {
        throw new Error(`${String(error)}\ncontainer logs:\n${(await running().logs()).slice(-4000)}`);
      });
    // Two projects and no default: a plain prompt is asked about, never run in /app.
    const first = sent("hello from the phone");
    const question = await answerTo(first.stored.messageId, (text) => text.startsWith("which project"));
    const keyboard = (question.replyMarkup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard.flat();
    expect(keyboard.map((button) => button.text)).toEqual(["alpha", "my_app"]);
    tg.injectCallbackQuery({ chat: USER, message_id: question.messageId, from: USER, data: keyboard[0]?.callback_data ?? "" });
    await answerTo(first.stored.messageId, (text) => text.startsWith("done"));

    await mkdir(join(projects, "newthing"));
    if (HOST_UID === 0) await chown(join(projects, "newthing"), UID, GID);
    const restarts = await running().restartCount();
    const reload = sent("/reload");
    await answerTo(reload.stored.messageId, (text) => text === "reloading…");
    const meanwhile = sent("/alpha sent while takopi restarts");
    await running().waitForRestartCount(restarts + 1);

    const changed = await answerTo(reload.stored.messageId, (text) => text.startsWith("reloaded in"));
    expect(changed.text).toContain("projects added: /newthing");
    await answerTo(meanwhile.stored.messageId, (text) => text.startsWith("done"));
    const viaNew = sent("/newthing hi");
    await answerTo(viaNew.stored.messageId, (text) => text.startsWith("done"));

    const replies = (messageId: number) => tg.messages(USER).filter((message) => message.replyToMessageId === messageId);
    expect(replies(reload.stored.messageId).filter((message) => message.text === "reloading…")).toHaveLength(1);
    expect(replies(meanwhile.stored.messageId).filter((message) => (message.text ?? "").startsWith("done"))).toHaveLength(1);
    const spawnsFile = join(engineLog, "spawns.jsonl");
    const spawns = existsSync(spawnsFile) ? (await readFile(spawnsFile, "utf8")).trim().split("\n").map((line) => JSON.parse(line) as { prompt: string; cwd: string }) : [];
    expect(spawns.map((spawn) => spawn.prompt.trim())).toEqual(["hello from the phone", "sent while takopi restarts", "hi"]);
    expect(spawns.map((spawn) => spawn.cwd)).toEqual(["/projects/alpha", "/projects/alpha", "/projects/newthing"]);
  });
});
