/**
 * End-to-end setup for the Telegram bridge: a fake Bot API server, a real
 * `takopi run` process talking to it over HTTP, the stand-in engine CLIs
 * (fake-engine/cli.mjs) first on PATH, and a real git repository as the
 * project. Tests act as the person on the phone (inject messages, press
 * buttons) and read what the bot posted and what the engines were asked.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { stringify } from "smol-toml";
import { afterEach } from "vitest";
import { CLI, cliEnv } from "./cli.js";
import { startFakeTelegram, type FakeTelegram, type FakeTelegramOptions, type StoredMessage } from "./fake-telegram/index.js";
import { STANDARD_WORLD, USER } from "./fake-telegram/standard-world.js";
import { gitRepo } from "./git-repo.js";
import { scratchDir, waitFor, type ScratchDir } from "./scripts.js";

const FAKE_ENGINE = fileURLToPath(new URL("./fake-engine/cli.mjs", import.meta.url));
export const FAKE_ENGINES = ["codex", "claude", "opencode", "pi"] as const;

/** One line of spawns.jsonl: what an engine run was started with. */
export interface EngineSpawn {
  engine: string;
  argv: string[];
  cwd: string;
  pid: number;
  prompt: string;
  resume: string | null;
  session: string;
  scenario: string;
  childPid: number | null;
  /** `app-server` when the stand-in served the run as a turn of its `codex app-server` (pid: that long-lived process). */
  backend?: "app-server";
}

export interface BridgeHarnessOptions {
  /** Extra `[transports.telegram]` keys. */
  telegram?: Record<string, unknown>;
  /** Extra top-level keys (default_engine, projects, …). */
  config?: Record<string, unknown>;
  world?: FakeTelegramOptions;
  /** Milliseconds between replayed lines (default 40). */
  engineDelayMs?: number;
}

export class BridgeHarness {
  readonly telegram: FakeTelegram;
  readonly dir: ScratchDir;
  readonly home: string;
  readonly configPath: string;
  readonly engineDir: string;
  readonly repo: string;
  #process: ResultPromise | null = null;
  #stderr = "";
  #stdout = "";
  #options: BridgeHarnessOptions;

  private constructor(telegram: FakeTelegram, dir: ScratchDir, repo: string, options: BridgeHarnessOptions) {
    this.telegram = telegram;
    this.dir = dir;
    this.home = join(dir.path, "home");
    this.configPath = join(this.home, ".takopi", "takopi.toml");
    this.engineDir = join(dir.path, "engine");
    this.repo = repo;
    this.#options = options;
  }

  static async create(options: BridgeHarnessOptions = {}): Promise<BridgeHarness> {
    const telegram = await startFakeTelegram(options.world ?? STANDARD_WORLD);
    const dir = await scratchDir("takopi-e2e-");
    const repo = join(dir.path, "repo");
    await gitRepo(repo);
    const harness = new BridgeHarness(telegram, dir, repo, options);
    await mkdir(join(harness.home, ".takopi"), { recursive: true });
    await mkdir(join(harness.engineDir, "gates"), { recursive: true });
    await mkdir(join(dir.path, "bin"));
    for (const engine of FAKE_ENGINES) await symlink(FAKE_ENGINE, join(dir.path, "bin", engine));
    await harness.writeConfig();
    return harness;
  }

  /** takopi.toml for this harness: the fake server, USER's private chat, the repo as project `app`. */
  async writeConfig(extra: BridgeHarnessOptions = {}): Promise<void> {
    const options = { ...this.#options, ...extra };
    const config = {
      default_engine: "codex",
      transport: "telegram",
      transports: {
        telegram: {
          bot_token: this.telegram.token,
          chat_id: USER,
          api_root: this.telegram.apiRoot,
          ...options.telegram,
        },
      },
      projects: { app: { path: this.repo } },
      ...options.config,
    };
    await writeFile(this.configPath, stringify(config));
  }

  /**
   * Starts `takopi run` (extra CLI args allowed) and waits until it polls.
   * `env` adds to (and may override) the process environment; `pathFirst`
   * puts directories before the stand-in engines on PATH.
   */
  async start(args: string[] = [], options: { env?: Record<string, string>; pathFirst?: string[] } = {}): Promise<void> {
    if (this.#process !== null) throw new Error("takopi is already running");
    this.#stderr = "";
    this.#stdout = "";
    const path = [...(options.pathFirst ?? []), join(this.dir.path, "bin"), process.env.PATH ?? ""].join(":");
    const env = cliEnv(this.home, {
      TAKOPI_LOG_LEVEL: "debug",
      // JSON lines, which logs() parses; a test of the readable format overrides it.
      TAKOPI_LOG_FORMAT: "json",
      FAKE_ENGINE_DIR: this.engineDir,
      FAKE_ENGINE_DELAY_MS: String(this.#options.engineDelayMs ?? 40),
      // Nothing may leave the machine: any proxied request hits a closed port (unless `env` names a recording proxy).
      HTTP_PROXY: "http://127.0.0.1:9",
      HTTPS_PROXY: "http://127.0.0.1:9",
      NO_PROXY: "127.0.0.1,localhost",
      ...options.env,
      PATH: path,
      TAKOPI_CONFIG: this.configPath,
    });
    const child = execa(process.execPath, [CLI, "run", ...args], { reject: false, extendEnv: false, env, cwd: this.dir.path, input: "" });
    child.stderr.on("data", (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    child.stdout.on("data", (chunk: Buffer) => {
      this.#stdout += chunk.toString();
    });
    this.#process = child;
    // An object, not a `let`: the callback sets it, which flow analysis does not see.
    const exit = { done: false, code: undefined as number | undefined };
    void child.then((result) => {
      exit.done = true;
      exit.code = result.exitCode;
    });
    await waitFor(() => this.telegram.isPolling() || exit.done, 20_000, "takopi to poll");
    if (exit.done) throw new Error(`takopi exited with ${String(exit.code)}:\n${this.#stderr}`);
  }

  /** SIGTERM and wait: resolves with the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | undefined> {
    const child = this.#process;
    if (child === null) return undefined;
    this.#process = null;
    child.kill(signal);
    const result = await child;
    return result.exitCode;
  }

  /** Resolves with the exit code once takopi exits on its own. */
  async exited(timeoutMs = 30_000): Promise<number | undefined> {
    const child = this.#process;
    if (child === null) return undefined;
    const result = await Promise.race([child, new Promise<null>((resolve) => {
        setTimeout(() => {
          resolve(null);
        }, timeoutMs);
      }),]);
    if (result === null) throw new Error(`takopi did not exit within ${timeoutMs} ms`);
    this.#process = null;
    return result.exitCode;
  }

  /** The running `takopi run` process id (null when not started). */
  get pid(): number | null {
    return this.#process?.pid ?? null;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** What takopi printed on stdout (normally nothing: logs go to stderr). */
  get stdout(): string {
    return this.#stdout;
  }

  /** Structured log lines takopi wrote (pino JSON on stderr). */
  logs(): Record<string, unknown>[] {
    return this.#stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** The person writes `text` in `chat` (USER's private chat by default). */
  send(text: string, options: { chat?: number; from?: number; replyTo?: number; date?: number } = {}) {
    return this.telegram.injectMessage({
      chat: options.chat ?? USER,
      from: options.from ?? USER,
      text,
      ...(options.replyTo === undefined ? {} : { reply_to_message_id: options.replyTo }),
      ...(options.date === undefined ? {} : { date: options.date }),
    });
  }

  /** What the bot posted in `chat`, deleted ones included. */
  botMessages(chat: number = USER): StoredMessage[] {
    return this.telegram.messages(chat);
  }

  /** The bot's reply to message `messageId` that satisfies `predicate` (its current text). */
  async replyTo(messageId: number, predicate: (text: string) => boolean, options: { chat?: number; timeoutMs?: number } = {}): Promise<StoredMessage> {
    const chat = options.chat ?? USER;
    let found: StoredMessage | undefined;
    await waitFor(
      () => {
        found = this.botMessages(chat).find((message) => message.replyToMessageId === messageId && !message.deleted && predicate(message.text ?? ""));
        return found !== undefined;
      },
      options.timeoutMs ?? 20_000,
      () => `a reply to ${messageId} matching ${predicate.toString()}\n--- bot messages:\n${this.dump(chat)}\n--- stderr tail:\n${this.#stderr.slice(-3000)}`,
    );
    return found as StoredMessage;
  }

  /** The engine runs started so far. */
  async spawns(): Promise<EngineSpawn[]> {
    return readJsonLines<EngineSpawn>(join(this.engineDir, "spawns.jsonl"));
  }

  async waitForSpawns(count: number, timeoutMs = 20_000): Promise<EngineSpawn[]> {
    await waitFor(async () => (await this.spawns()).length >= count, timeoutMs, `${count} engine spawns`);
    return this.spawns();
  }

  /** Lets runs waiting on `[gate:name]` go on. */
  async openGate(name: string): Promise<void> {
    await writeFile(join(this.engineDir, "gates", name), "");
  }

  /** Readable summary of the bot's messages, for failure messages. */
  dump(chat: number = USER): string {
    return this.botMessages(chat)
      .map((message) => `#${message.messageId}${message.deleted ? " (deleted)" : ""} ↩${message.replyToMessageId ?? "-"}: ${(message.text ?? "").replaceAll("\n", " ⏎ ")}`)
      .join("\n");
  }

  async dispose(): Promise<void> {
    await this.stop("SIGKILL");
    await this.telegram.close();
    await this.dir.dispose();
  }
}

/** The JSON lines of a log the stand-in engines append to; none when it does not exist yet. */
export async function readJsonLines<T>(path: string): Promise<T[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

/** Whether a process is alive (signal 0). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until a cancelled run left nothing behind: no command of the run.
 * codex over app-server (the default) interrupts the turn and cleans its
 * background terminals, and the app-server goes on serving; any other run's
 * process group is killed.
 */
export async function cancelledCleanly(spawn: EngineSpawn | undefined): Promise<void> {
  await waitFor(() => !isAlive(spawn?.childPid ?? 0), 10_000, "the run's command gone");
  if (spawn?.backend === "app-server") {
    if (!isAlive(spawn.pid)) throw new Error("the app-server died with a cancelled run");
  } else {
    await waitFor(() => !isAlive(spawn?.pid ?? 0), 10_000, "engine gone");
  }
}

/** A codex resume line in a bot message; the session id is the first group. */
export const CODEX_RESUME = /codex resume ([0-9a-f-]{36})/;

/** The bot's message that is (or was) the progress message of the run answering `prompt`. */
export function progressOf(harness: BridgeHarness, prompt: number, chat: number = USER): StoredMessage | undefined {
  return harness.botMessages(chat).find((message) => message.replyToMessageId === prompt && (message.edits[0]?.text ?? message.text ?? "").startsWith("starting"));
}

/**
 * One bridge per test, disposed after it (call at the top of a test file):
 * `started()` creates and starts it, `created()` only creates it.
 */
export function bridgePerTest(): {
  started: (options?: BridgeHarnessOptions, args?: string[]) => Promise<BridgeHarness>;
  created: (options?: BridgeHarnessOptions) => Promise<BridgeHarness>;
} {
  let current: BridgeHarness | null = null;
  afterEach(async () => {
    await current?.dispose();
    current = null;
  });
  const created = async (options: BridgeHarnessOptions = {}): Promise<BridgeHarness> => {
    current = await BridgeHarness.create(options);
    return current;
  };
  const started = async (options: BridgeHarnessOptions = {}, args: string[] = []): Promise<BridgeHarness> => {
    const harness = await created(options);
    await harness.start(args);
    return harness;
  };
  return { started, created };
}
