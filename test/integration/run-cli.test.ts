/**
 * `takopi run` start-up as a user meets it, in real processes: the checks that
 * refuse to start with one clear line, and the single-instance lock between
 * two real `takopi run` processes. The transport is a plugin laid
 * out on disk that idles until stopped, so these tests need no chat service.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ResultPromise } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { takopi } from "../support/cli.js";
import { idleTransportModule, writePackage } from "../support/plugin-packages.js";
import { scratchDir, waitFor, type ScratchDir } from "../support/scripts.js";

let dir: ScratchDir;
let home: string;
let binDir: string;
let configPath: string;
let env: Record<string, string | undefined>;
const running: ResultPromise[] = [];

beforeEach(async () => {
  dir = await scratchDir("takopi-run-cli-");
  home = join(dir.path, "home");
  await mkdir(home, { recursive: true });
  binDir = join(dir.path, "bin");
  await mkdir(binDir);
  // A stand-in `codex` on PATH: start-up only checks that the default engine's CLI exists.
  await writeFile(join(binDir, "codex"), "#!/bin/sh\necho 'codex-cli 0.0.0-test'\n", { mode: 0o755 });
  const plugins = join(dir.path, "plugins");
  await writePackage(plugins, { name: "takopi-idle", manifest: { transports: { idle: "./idle.js" } }, files: { "idle.js": idleTransportModule("idle") } });
  configPath = join(dir.path, "state", "takopi.toml");
  await mkdir(join(dir.path, "state"));
  await writeConfig({ token: "token-one" });
  env = { PATH: `${binDir}:${process.env.PATH ?? ""}`, TAKOPI_PLUGIN_PATH: plugins, TAKOPI_CONFIG: configPath, TAKOPI_LOG_LEVEL: "warn" };
});

afterEach(async () => {
  for (const child of running.splice(0)) {
    child.kill("SIGKILL");
    await child;
  }
  await dir.dispose();
});

async function writeConfig(options: { token: string; transport?: string; extra?: string[] }): Promise<void> {
  await writeFile(
    configPath,
    [
      `transport = "${options.transport ?? "idle"}"`,
      'default_engine = "codex"',
      "[transports.idle]",
      `token = "${options.token}"`,
      ...(options.extra ?? []),
      "",
    ].join("\n"),
  );
}

function start(): ResultPromise {
  const child = takopi(["run"], { home, env });
  running.push(child);
  return child;
}

async function waitUntilRunning(child: ResultPromise): Promise<void> {
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  await waitFor(() => out.includes("transport idle running"), 20_000, "the transport to start");
}

const lockPath = (): string => configPath.replace(/\.toml$/, ".lock");

describe("takopi run: the single-instance lock", () => {
  it("refuses a second process with the same token, and releases the lock on a clean stop", async () => {
    const first = start();
    await waitUntilRunning(first);
    const lock = JSON.parse(await readFile(lockPath(), "utf8")) as { pid: number; token_fingerprint: string };
    expect(lock.pid).toBe(first.pid);
    expect(lock.token_fingerprint).toMatch(/^[0-9a-f]{10}$/);
    expect(await readFile(lockPath(), "utf8")).not.toContain("token-one");

    const second = await takopi(["run"], { home, env });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain(`already running`);
    expect(second.stderr).toContain(`pid ${first.pid}`);
    expect(second.stdout).not.toContain("transport idle running");

    first.kill("SIGTERM");
    const ended = await first;
    expect(ended.exitCode).toBe(0);
    expect(ended.stdout).toContain("transport idle stopped");
    expect(existsSync(lockPath())).toBe(false);
  });

  it("takes over the stale lock of a killed process", async () => {
    const first = start();
    await waitUntilRunning(first);
    first.kill("SIGKILL");
    await first;
    expect(existsSync(lockPath())).toBe(true);

    const second = start();
    await waitUntilRunning(second);
    const lock = JSON.parse(await readFile(lockPath(), "utf8")) as { pid: number };
    expect(lock.pid).toBe(second.pid);
  });
});

describe("takopi run: refusing to start, in one line", () => {
  it("with no config, says where it looked and how to create one", async () => {
    const result = await takopi(["run", "--config", join(dir.path, "nowhere.toml")], { home, env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(join(dir.path, "nowhere.toml"));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("with an unknown transport, lists the available ones", async () => {
    await writeConfig({ token: "x", transport: "matrix" });
    const result = await takopi(["run"], { home, env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe("takopi: unknown transport 'matrix'; available: idle, telegram");
  });

  it("when the default engine's CLI is not installed, says how to install it", async () => {
    const result = await takopi(["run"], { home, env: { ...env, PATH: "/usr/bin:/bin" } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe("takopi: default engine codex: codex not found on PATH");
    expect(result.stderr).toContain("@openai/codex");
  });

  it("with an unknown engine on the command line, lists the engines", async () => {
    const result = await takopi(["run", "--engine", "gpt"], { home, env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe("takopi: unknown default engine 'gpt'; available: claude, codex, opencode, pi");
  });

  it("refuses an engine table that would hand the bot token to the engine", async () => {
    await writeConfig({ token: "x", extra: ["[codex]", 'env_allow = ["TELEGRAM_BOT_TOKEN"]'] });
    const result = await takopi(["run"], { home, env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe(
      "takopi: default engine codex: `codex.env_allow` lists TELEGRAM_BOT_TOKEN; takopi never gives the bot token to an engine",
    );
  });

  it("a transport that fails quoting the token and a key is reported without them", async () => {
    const token = "7000000001:AAFakeTelegramTokenForTests-00000001";
    const key = "sk-proj-runCli0123456789abcdef";
    const plugins = join(dir.path, "failing-plugins");
    const failing = `export default {
  id: "failing",
  description: "test transport that fails at once",
  lockToken: () => null,
  async run() {
    throw new Error("POST https://api.telegram.org/bot" + process.env.TELEGRAM_BOT_TOKEN + "/getMe failed; key " + process.env.OPENAI_API_KEY);
  },
};
`;
    await writePackage(plugins, { name: "takopi-failing", manifest: { transports: { failing: "./failing.js" } }, files: { "failing.js": failing } });
    await writeConfig({ token: "x", transport: "failing" });
    const result = await takopi(["run"], { home, env: { ...env, TAKOPI_PLUGIN_PATH: plugins, TELEGRAM_BOT_TOKEN: token, OPENAI_API_KEY: key, TAKOPI_LOG_LEVEL: "debug" } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("takopi: POST https://api.telegram.org/bot[REDACTED:TELEGRAM_BOT_TOKEN]/getMe failed; key [REDACTED:OPENAI_API_KEY]");
    expect(result.stderr).not.toContain(token.split(":")[1] ?? token);
    expect(result.stderr).not.toContain(key);
  });

  it("`takopi <engine>` is run with that default engine", async () => {
    const result = await takopi(["claude"], { home, env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe("takopi: default engine claude: claude not found on PATH");
  });
});
