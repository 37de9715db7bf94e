/**
 * `takopi doctor` as a user runs it: the built CLI against a fake Bot API
 * server on 127.0.0.1, with stand-in engine CLIs on PATH, real git projects
 * and deliberately broken pieces — each check one line, with the fix.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { takopi } from "../support/cli.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram/index.js";
import { startFakeTranscription } from "../support/fake-transcription.js";
import { scratchDir, type ScratchDir } from "../support/scripts.js";

let telegram: FakeTelegram;
let dir: ScratchDir;
let home: string;
let binDir: string;
let repo: string;
let configPath: string;
let env: Record<string, string | undefined>;

const USER = 4242;
const PROJECT_CHAT = -1001234;

beforeAll(async () => {
  telegram = await startFakeTelegram({
    users: [{ id: USER, first_name: "Ada", username: "ada" }],
    chats: [
      { id: USER, type: "private", username: "ada" },
      { id: PROJECT_CHAT, type: "supergroup", title: "App team", is_forum: true },
    ],
  });
  dir = await scratchDir("takopi-doctor-");
  home = join(dir.path, "home");
  await mkdir(home);
  binDir = join(dir.path, "bin");
  await mkdir(binDir);
  await writeFile(join(binDir, "codex"), "#!/bin/sh\necho 'codex-cli 0.169.0'\n", { mode: 0o755 });
  await writeFile(join(binDir, "claude"), "#!/bin/sh\necho 'claude: cannot find its install' >&2\nexit 3\n", { mode: 0o755 });
  repo = join(dir.path, "app");
  await mkdir(repo);
  await execa("git", ["init", "-q", "-b", "main"], { cwd: repo });
  await mkdir(join(dir.path, "notes"));
  configPath = join(dir.path, "takopi.toml");
  env = { PATH: `${binDir}:/usr/bin:/bin`, TAKOPI_CONFIG: configPath };
});

afterAll(async () => {
  await telegram.close();
  await dir.dispose();
});

/** A loopback port nothing listens on (bound once, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function writeConfig(options: { token?: string; apiRoot?: string; chatId?: number; telegram?: string[]; topics?: string[]; extra?: string[] } = {}): Promise<void> {
  await writeFile(
    configPath,
    [
      'default_engine = "codex"',
      "[transports.telegram]",
      `bot_token = "${options.token ?? telegram.token}"`,
      `chat_id = ${options.chatId ?? USER}`,
      `api_root = "${options.apiRoot ?? telegram.apiRoot}"`,
      `allowed_user_ids = [${USER}]`,
      ...(options.telegram ?? []),
      ...(options.topics === undefined ? [] : ["[transports.telegram.topics]", ...options.topics]),
      "[projects.app]",
      `path = "${repo}"`,
      `chat_id = ${PROJECT_CHAT}`,
      "[projects.notes]",
      `path = "${join(dir.path, "notes")}"`,
      "[projects.gone]",
      `path = "${join(dir.path, "gone")}"`,
      // pi has a table, so it counts as configured: missing is a failure, not a skip.
      "[pi]",
      'model = "gpt-5"',
      ...(options.extra ?? []),
      "",
    ].join("\n"),
  );
}

describe("takopi doctor", () => {
  beforeEach(async () => {
    await writeConfig();
  });

  it("checks everything, one line each, and fails for what must be fixed", async () => {
    const result = await takopi(["doctor"], { home, env });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(1);
    expect(result.stdout.split("\n")).toEqual([
      "takopi doctor",
      `[ok  ] config: ${configPath}`,
      "[ok  ] transport: telegram",
      "[ok  ] telegram token: @takopi_test_bot",
      `[ok  ] chat_id: private "@ada" (${USER})`,
      `[ok  ] projects.app.chat_id: supergroup "App team" (${PROJECT_CHAT})`,
      "[ok  ] topics: disabled",
      "[ok  ] file transfer: disabled",
      "[ok  ] voice transcription: disabled",
      "[ok  ] allowed users: 1 user id(s)",
      `[FAIL] engine claude: ${binDir}/claude --version failed: claude: cannot find its install`,
      expect.stringMatching(/^ {8}fix: reinstall it: .*claude/),
      `[ok  ] engine codex: codex-cli 0.169.0 (${binDir}/codex)`,
      "[skip] engine opencode: not installed (not used by the config)",
      "[FAIL] engine pi: pi not found on PATH",
      expect.stringMatching(/^ {8}fix: .*pi/),
      `[ok  ] project app: ${repo}`,
      `[FAIL] project gone: ${join(dir.path, "gone")} does not exist`,
      "        fix: create it, or fix projects.gone.path",
      `[warn] project notes: ${join(dir.path, "notes")} is not a git repository; @branch worktrees will not work`,
      `        fix: git init ${join(dir.path, "notes")}`,
      `[ok  ] state dir: ${dir.path} is writable`,
    ]);
    // The token is a secret: no check prints it.
    expect(result.stdout).not.toContain(telegram.token);
  });

  it("a token the Bot API rejects fails, and the chat checks are skipped", async () => {
    await writeConfig({ token: "123:not-a-real-token" });
    const result = await takopi(["doctor"], { home, env });
    expect(result.exitCode).toBe(1);
    const lines = result.stdout.split("\n");
    expect(lines).toContain("[FAIL] telegram token: rejected by the Bot API (Unauthorized)");
    expect(lines).toContain("        fix: check transports.telegram.bot_token; @BotFather shows your bot's token");
    expect(lines).toContain(`[skip] chat_id: ${USER} (token not usable)`);
    expect(result.stdout).not.toContain("not-a-real-token");
  });

  it("an unreachable Bot API server is named, with what to check", async () => {
    const closed = await closedPort();
    await writeConfig({ apiRoot: `http://127.0.0.1:${closed}` });
    const result = await takopi(["doctor"], { home, env });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(`[FAIL] telegram token: cannot reach http://127.0.0.1:${closed} (ECONNREFUSED)`);
    expect(result.stdout).toContain(`fix: check the network and transports.telegram.api_root (http://127.0.0.1:${closed})`);
  });

  it("a chat the bot cannot see fails with the fix", async () => {
    await writeConfig({ chatId: 999 });
    const result = await takopi(["doctor"], { home, env });
    expect(result.stdout).toMatch(/\[FAIL\] chat_id: unreachable \(999\): .*chat not found/);
  });

  it("with topics enabled, checks that each topic chat is a forum where the bot manages topics", async () => {
    await writeConfig({ topics: ["enabled = true"] });
    const good = await takopi(["doctor"], { home, env });
    expect(good.stdout.split("\n")).toContain(`[ok  ] topics (scope=auto (projects)): forum chats where the bot manages topics: ${PROJECT_CHAT}`);

    telegram.setMember(PROJECT_CHAT, telegram.botInfo.id, { status: "administrator", can_manage_topics: false });
    try {
      const bad = await takopi(["doctor"], { home, env });
      expect(bad.exitCode).toBe(1);
      const lines = bad.stdout.split("\n");
      const at = lines.indexOf(`[FAIL] topics (scope=auto (projects)): topics enabled but the bot may not manage topics in chat ${PROJECT_CHAT}`);
      expect(at).toBeGreaterThan(0);
      expect(lines[at + 1]).toBe('        fix: grant it the "manage topics" admin right.');
    } finally {
      telegram.setMember(PROJECT_CHAT, telegram.botInfo.id, "administrator");
    }

    await writeConfig({ topics: ["enabled = true", 'scope = "main"'] });
    const privateMain = await takopi(["doctor"], { home, env });
    expect(privateMain.stdout).toContain(`[FAIL] topics (scope=main): topics enabled but chat ${USER} is a private chat, not a supergroup`);
  });

  it("voice transcription: the endpoint is asked with the key, which no line prints", async () => {
    const key = "sk-doctor-voice-e2e-0123456789";
    const fake = await startFakeTranscription({ acceptKey: key });
    try {
      const voice = ["voice_transcription = true", `voice_transcription_base_url = "${fake.baseUrl}"`];
      await writeConfig({ telegram: [...voice, `voice_transcription_api_key = "${key}"`] });
      const working = await takopi(["doctor"], { home, env });
      expect(working.stdout.split("\n")).toEqual(
        expect.arrayContaining([
          "[ok  ] voice transcription: voice_transcription_api_key set, model gpt-4o-mini-transcribe",
          `[ok  ] transcription endpoint: ${fake.baseUrl} answers and takes the key`,
        ]),
      );
      expect(fake.requests).toMatchObject([{ method: "GET", path: "/models", authorization: `Bearer ${key}` }]);

      await writeConfig({ telegram: voice });
      const withoutKey = await takopi(["doctor"], { home, env: { ...env, OPENAI_API_KEY: "sk-wrong-doctor-key-0123456789" } });
      const lines = withoutKey.stdout.split("\n");
      expect(lines).toContain("[ok  ] voice transcription: OPENAI_API_KEY set, model gpt-4o-mini-transcribe");
      expect(lines).toContain(`[FAIL] transcription endpoint: the key was refused: ${fake.baseUrl} answered HTTP 401: Incorrect API key provided: [REDACTED:OPENAI_API_KEY]`);
      expect(lines).toContain("        fix: check OPENAI_API_KEY");
      expect(`${working.stdout}${withoutKey.stdout}`).not.toContain(key);
      expect(withoutKey.stdout).not.toContain("sk-wrong-doctor-key-0123456789");
    } finally {
      await fake.close();
    }
  });

  it("a project's engine settings are checked with the engine: a bad value or a key no project may set fails that engine, naming the key", async () => {
    await writeConfig({ extra: ["[projects.notes.codex]", 'approval_policy = "sometimes"'] });
    const badValue = await takopi(["doctor"], { home, env });
    expect(badValue.exitCode).toBe(1);
    const lines = badValue.stdout.split("\n");
    const codex = lines.findIndex((line) => line.includes("engine codex"));
    expect(lines[codex]).toBe('[FAIL] engine codex: `projects.notes.codex.approval_policy`: approval_policy must be one of: "never", "on-request", "untrusted"');
    expect(lines[codex + 1]).toBe(`        fix: fix the [projects.notes.codex] table in ${configPath}`);

    await writeConfig({ extra: ["[projects.notes.codex]", 'model = "o3"'] });
    const notSettable = await takopi(["doctor"], { home, env });
    expect(notSettable.stdout).toContain("[FAIL] engine codex: `projects.notes.codex.model` cannot be set per project (a project may set: approval_policy; the rest goes in [codex])");

    await writeConfig({ extra: ["[projects.notes.codex]", 'approval_policy = "untrusted"'] });
    const good = await takopi(["doctor"], { home, env });
    expect(good.stdout).toContain(`[ok  ] engine codex: codex-cli 0.169.0 (${binDir}/codex)`);
    expect(good.stdout).not.toContain("projects.notes.codex");
  });

  it("a broken config is the first and only failing line, and no stack trace", async () => {
    await writeFile(configPath, "[transports.telegram]\nchat_id = \"abc\"\n");
    const result = await takopi(["doctor"], { home, env });
    expect(result.exitCode).toBe(1);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe("takopi doctor");
    expect(lines[1]).toMatch(/^\[FAIL\] config: /);
    expect(result.stdout).toContain("chat_id");
    expect(result.stdout).not.toMatch(/\n\s+at /);
  });
});
