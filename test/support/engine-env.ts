// Helpers to run a real engine CLI (codex, claude, opencode, pi) in isolation
// against the fake LLM: pinned binaries from test/engines, a throwaway HOME
// with the engine's config written from TS objects, a throwaway git repo as
// cwd, and an env that blackholes every other host through the fake server's
// proxy.
//
// Where things live:
// - HOMEs go under `<checkout>/.cache/engine-homes/` (gitignored), not under
//   /tmp: Codex prints a PATH-alias warning on stderr when CODEX_HOME is under
//   the temp dir. Pass `root` to put them elsewhere.
// - Git repos go under os.tmpdir(): outside the takopi checkout, so that
//   engines that walk up from cwd for AGENTS.md / CLAUDE.md (Claude, Pi) never
//   see the checkout's own files.
//
// Cleanup: every object has `dispose()`; everything not yet disposed is also
// in a registry that `disposeAll()` empties (call it from afterAll).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { execFile } from "node:child_process";
import { tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { FakeLlm } from "./fake-llm.js";
import { codexConfig, opencodeConfig, piModels, piSettings, toToml, type PiProvider, type PiRetry } from "./engine-configs.js";

export type { PiProvider, PiRetry } from "./engine-configs.js";

export type Engine = "codex" | "claude" | "opencode" | "pi";
export const ENGINES: readonly Engine[] = ["codex", "claude", "opencode", "pi"];

/** npm package that ships each engine's binary (pinned in test/engines/package.json). */
export const ENGINE_PACKAGES: Readonly<Record<Engine, string>> = {
  codex: "@openai/codex",
  claude: "@anthropic-ai/claude-code",
  opencode: "opencode-ai",
  pi: "@mariozechner/pi-coding-agent",
};

/** The takopi checkout. */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
export const ENGINES_DIR = join(REPO_ROOT, "test", "engines");
export const ENGINES_BIN_DIR = join(ENGINES_DIR, "node_modules", ".bin");
export const DEFAULT_HOME_ROOT = join(REPO_ROOT, ".cache", "engine-homes");

const NO_PROXY = "127.0.0.1,localhost";
const execFileAsync = promisify(execFile);

// --- registry -----------------------------------------------------------------

export interface Disposable {
  dispose(): Promise<void>;
}

const registry = new Set<Disposable>();

function track<T extends Disposable>(make: (untrack: () => void) => T): T {
  const value: T = make(() => {
    registry.delete(value);
  });
  registry.add(value);
  return value;
}

/** Disposes everything created here and not yet disposed, newest first. */
export async function disposeAll(): Promise<void> {
  const items = [...registry].reverse();
  registry.clear();
  for (const item of items) await item.dispose();
}

async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

// --- binaries -------------------------------------------------------------------

/** Absolute path of the engine's binary in test/engines, or null when not installed. */
export function engineBinary(engine: Engine): string | null {
  const bin = join(ENGINES_BIN_DIR, engine);
  return existsSync(bin) ? bin : null;
}

/** Installed package version (from its package.json), or null when not installed. */
export function engineVersion(engine: Engine): string | null {
  const pkgJson = join(ENGINES_DIR, "node_modules", ...ENGINE_PACKAGES[engine].split("/"), "package.json");
  try {
    const parsed: unknown = JSON.parse(readFileSync(pkgJson, "utf8"));
    const version = typeof parsed === "object" && parsed !== null ? (parsed as { version?: unknown }).version : undefined;
    return typeof version === "string" ? version : null;
  } catch {
    return null;
  }
}

// --- git repo -------------------------------------------------------------------

export interface GitRepo extends Disposable {
  dir: string;
}

const GIT_ENV = { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_TERMINAL_PROMPT: "0" };

/** A temp dir (under os.tmpdir()) with `git init`, local user config and one commit. */
export async function makeGitRepo(opts: { files?: Record<string, string>; prefix?: string } = {}): Promise<GitRepo> {
  const dir = await mkdtemp(join(tmpdir(), opts.prefix ?? "takopi-repo-"));
  const files = opts.files ?? { "README.md": "# scratch repo for takopi engine tests\n" };
  const git = async (...args: string[]): Promise<void> => {
    await execFileAsync("git", args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
  };
  try {
    await git("init", "-q", "-b", "main");
    await git("config", "user.name", "Takopi Test");
    await git("config", "user.email", "takopi-test@example.invalid");
    await git("config", "commit.gpgsign", "false");
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    await git("add", "-A");
    await git("commit", "-q", "-m", "initial commit");
  } catch (err) {
    await removeDir(dir);
    throw err;
  }
  return track((untrack) => ({
    dir,
    async dispose() {
      untrack();
      await removeDir(dir);
    },
  }));
}

// --- isolated home ------------------------------------------------------------

export interface IsolatedHomeOptions {
  /** Parent dir for the home (default `<checkout>/.cache/engine-homes`). */
  root?: string;
}

export interface IsolatedHome extends Disposable {
  engine: Engine;
  llm: FakeLlm;
  /** The HOME dir. */
  home: string;
  /** Engine config dir: CODEX_HOME, CLAUDE_CONFIG_DIR, `$XDG_CONFIG_HOME/opencode` or PI_CODING_AGENT_DIR. */
  configDir: string;
  /** Env for the scenario the home was made with (see `engineRunSetup` to switch). */
  env: Record<string, string>;
  /** The scenario the config files were written with. */
  scenario: string;
}

function baseEnv(home: string, llm: FakeLlm): Record<string, string> {
  const user = userInfo().username;
  return {
    HOME: home,
    USER: user,
    LOGNAME: user,
    SHELL: "/bin/bash",
    LANG: "C.UTF-8",
    // The running node first (Pi and the `sleep` scenario's tool need `node`).
    PATH: [dirname(process.execPath), ENGINES_BIN_DIR, "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_STATE_HOME: join(home, ".local", "state"),
    // Engine temp files (Claude's sockets and cwd files, …) stay in the home.
    TMPDIR: join(home, "tmp"),
    GIT_CONFIG_NOSYSTEM: "1",
    // Blackhole: anything that honours proxy env lands in fake-llm's proxy log.
    HTTPS_PROXY: llm.url,
    HTTP_PROXY: llm.url,
    ALL_PROXY: llm.url,
    https_proxy: llm.url,
    http_proxy: llm.url,
    all_proxy: llm.url,
    NO_PROXY,
    no_proxy: NO_PROXY,
  };
}

function configDirFor(engine: Engine, home: string): string {
  switch (engine) {
    case "codex":
      return join(home, ".codex");
    case "claude":
      return join(home, ".claude");
    case "opencode":
      return join(home, ".config", "opencode");
    case "pi":
      return join(home, ".pi", "agent");
  }
}

function engineEnv(engine: Engine, configDir: string, llm: FakeLlm, scenario: string): Record<string, string> {
  switch (engine) {
    case "codex":
      return { CODEX_HOME: configDir, FAKE_API_KEY: "sk-fake" };
    case "claude":
      return {
        CLAUDE_CONFIG_DIR: configDir,
        // No /v1: Claude appends /v1/messages itself.
        ANTHROPIC_BASE_URL: llm.scenarioUrl(scenario, ""),
        ANTHROPIC_API_KEY: "sk-ant-fake",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_TELEMETRY: "1",
        DISABLE_ERROR_REPORTING: "1",
        DISABLE_AUTOUPDATER: "1",
        // Default is 10 retries with exponential backoff.
        CLAUDE_CODE_MAX_RETRIES: "0",
      };
    case "opencode":
      return {
        FAKE_BASE_URL: llm.scenarioUrl(scenario),
        OPENCODE_DISABLE_AUTOUPDATE: "1",
        OPENCODE_DISABLE_MODELS_FETCH: "1",
        OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
        OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
        OPENCODE_DISABLE_SHARE: "1",
        OPENCODE_DISABLE_CLAUDE_CODE: "1",
        OPENCODE_DISABLE_EXTERNAL_SKILLS: "1",
      };
    case "pi":
      return { PI_CODING_AGENT_DIR: configDir, PI_OFFLINE: "1", PI_TELEMETRY: "0", PI_SKIP_VERSION_CHECK: "1" };
  }
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function writeEngineConfig(engine: Engine, configDir: string, llm: FakeLlm, scenario: string, pi: PiSetupOptions = {}): void {
  mkdirSync(configDir, { recursive: true });
  switch (engine) {
    case "codex":
      writeFileSync(join(configDir, "config.toml"), toToml(codexConfig(llm.scenarioUrl(scenario))));
      return;
    case "claude":
      return; // env only
    case "opencode":
      writeJson(join(configDir, "opencode.json"), opencodeConfig());
      return;
    case "pi":
      writeJson(join(configDir, "models.json"), piModels(llm, scenario));
      writeJson(join(configDir, "settings.json"), piSettings(pi.retry));
      return;
  }
}

/** A fresh HOME (plus XDG dirs) with the engine's config written for `scenario`. */
export async function makeIsolatedHome(
  engine: Engine,
  llm: FakeLlm,
  scenario: string,
  opts: IsolatedHomeOptions = {},
): Promise<IsolatedHome> {
  const root = opts.root ?? DEFAULT_HOME_ROOT;
  mkdirSync(root, { recursive: true });
  const home = await mkdtemp(join(root, `${engine}-`));
  const env = baseEnv(home, llm);
  for (const key of ["XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "TMPDIR"] as const) {
    mkdirSync(env[key] ?? join(home, key), { recursive: true });
  }
  const configDir = configDirFor(engine, home);
  writeEngineConfig(engine, configDir, llm, scenario);
  return track((untrack) => ({
    engine,
    llm,
    home,
    configDir,
    scenario,
    env: { ...env, ...engineEnv(engine, configDir, llm, scenario) },
    async dispose() {
      untrack();
      await removeDir(home);
    },
  }));
}

// --- per-run setup ------------------------------------------------------------

export interface PiSetupOptions {
  /** Which models.json provider to run (default `fake`, the chat-completions one). */
  provider?: PiProvider;
  /** Agent-level retries (default: disabled). */
  retry?: PiRetry;
}

export interface EngineRunSetup {
  env: Record<string, string>;
  /** Arguments that select the scenario/provider; `engineArgv` places them. */
  extraArgs: string[];
  cwd: string;
}

/**
 * Env, extra args and cwd that point an engine at `scenario`:
 * codex via `-c model_providers.fake.base_url="…"`, claude via
 * ANTHROPIC_BASE_URL, opencode via FAKE_BASE_URL, pi by rewriting every
 * provider's baseUrl in models.json (and settings.json for `pi.retry`) in place:
 * for pi this has a side effect on the home, so don't run two pi scenarios in
 * one home concurrently.
 */
export function engineRunSetup(home: IsolatedHome, scenario: string, cwd: string, pi: PiSetupOptions = {}): EngineRunSetup {
  const env = { ...home.env, ...engineEnv(home.engine, home.configDir, home.llm, scenario) };
  switch (home.engine) {
    case "codex":
      return { env, cwd, extraArgs: ["-c", `model_providers.fake.base_url="${home.llm.scenarioUrl(scenario)}"`] };
    case "claude":
    case "opencode":
      return { env, cwd, extraArgs: [] };
    case "pi": {
      writeEngineConfig("pi", home.configDir, home.llm, scenario, pi);
      const provider = pi.provider ?? "fake";
      const model = provider === "fake-anth" ? "claude-fake" : "fake-model";
      return { env, cwd, extraArgs: ["--provider", provider, "--model", model] };
    }
  }
}

export interface EngineInvocation {
  prompt: string;
  /** Session/thread id to resume. */
  resume?: string;
  /** Claude only: `--allowedTools …`. */
  allowedTools?: string[];
  /** Claude only: `--permission-mode …`. */
  permissionMode?: string;
  /** More CLI flags, placed before the prompt (e.g. opencode `--thinking`). */
  flags?: string[];
}

/** The argv (without the binary) for one non-interactive JSON run. */
export function engineArgv(engine: Engine, setup: EngineRunSetup, inv: EngineInvocation): string[] {
  const resume = inv.resume;
  const flags = inv.flags ?? [];
  switch (engine) {
    case "codex":
      return [
        "exec",
        "--json",
        "--skip-git-repo-check",
        "-s",
        "danger-full-access",
        ...setup.extraArgs,
        ...flags,
        ...(resume === undefined ? [] : ["resume", resume]),
        inv.prompt,
      ];
    case "claude":
      return [
        "-p",
        "--output-format",
        "stream-json",
        "--verbose",
        ...setup.extraArgs,
        ...(resume === undefined ? [] : ["--resume", resume]),
        ...(inv.permissionMode === undefined ? [] : ["--permission-mode", inv.permissionMode]),
        ...flags,
        ...(inv.allowedTools === undefined ? [] : ["--allowedTools", ...inv.allowedTools]),
        // --allowedTools is variadic: `--` keeps it from eating the prompt.
        "--",
        inv.prompt,
      ];
    case "opencode":
      return [
        "run",
        "--format",
        "json",
        ...setup.extraArgs,
        ...flags,
        ...(resume === undefined ? [] : ["--session", resume]),
        inv.prompt,
      ];
    case "pi":
      return [
        "--mode",
        "json",
        "-p",
        ...setup.extraArgs,
        ...flags,
        ...(resume === undefined ? [] : ["--session", resume]),
        inv.prompt,
      ];
  }
}

/** Resume token from an engine's first JSONL line (codex thread_id, claude session_id, opencode sessionID, pi id). */
export function sessionIdFromFirstLine(engine: Engine, stdout: string): string | null {
  const first = stdout.split("\n").find((line) => line.trim() !== "");
  if (first === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(first);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const key = { codex: "thread_id", claude: "session_id", opencode: "sessionID", pi: "id" }[engine];
  const value = (parsed as Record<string, unknown>)[key];
  return typeof value === "string" ? value : null;
}
