/**
 * `takopi config …` as a user runs it: the built CLI in a real process, on a
 * real file, with a HOME of its own.
 */
import { existsSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { parse } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scratchDir, type ScratchDir } from "../support/scripts.js";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

let dir: ScratchDir;
let path: string;
beforeEach(async () => {
  dir = await scratchDir("takopi-config-cli-");
  path = join(dir.path, "takopi.toml");
});
afterEach(async () => {
  await dir.dispose();
});

async function config(args: string[], env: Record<string, string> = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const result = await execa(process.execPath, [CLI, "config", ...args], {
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? "", HOME: dir.path, ...env },
    stdin: "ignore",
  });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

const withConfig = (...args: string[]) => config([...args, "--config", path]);

describe("config path", () => {
  it("prints the default location with ~/, or TAKOPI_CONFIG, or --config", async () => {
    expect(await config(["path"])).toEqual({ code: 0, stdout: "~/.takopi/takopi.toml", stderr: "" });
    expect((await config(["path"], { TAKOPI_CONFIG: "/etc/takopi.toml" })).stdout).toBe("/etc/takopi.toml");
    expect((await config(["path", "--config", "~/alt.toml"])).stdout).toBe("~/alt.toml");
  });
});

describe("building a config from nothing", () => {
  it("set creates the file, notes what is still missing, and ends with a valid config", async () => {
    const first = await withConfig("set", "transports.telegram.bot_token", "123456:ABC-def");
    expect(first).toEqual({
      code: 0,
      stdout: 'updated transports.telegram.bot_token = "123456:********"',
      stderr: `note: still to set: ${path}: \`transports.telegram.chat_id\` is missing (expected an integer)`,
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const second = await withConfig("set", "transports.telegram.chat_id", '"-1001234567890"');
    expect(second).toEqual({ code: 0, stdout: "updated transports.telegram.chat_id = -1001234567890", stderr: "" });

    expect(await withConfig("set", "projects.happy-gadgets.path", "~/dev/happy-gadgets")).toMatchObject({
      code: 0,
      stdout: 'updated projects.happy-gadgets.path = "~/dev/happy-gadgets"',
    });
    expect(await withConfig("set", "default_project", "Happy-Gadgets")).toMatchObject({ code: 0, stdout: 'updated default_project = "happy-gadgets"' });
    expect(await withConfig("set", "claude.allowed_tools", '["Bash", "Read"]')).toMatchObject({ code: 0, stdout: 'updated claude.allowed_tools = [ "Bash", "Read" ]' });
    expect(await withConfig("set", "watch_config", "true")).toMatchObject({ code: 0, stdout: "updated watch_config = true" });

    expect(parse(await readFile(path, "utf8"))).toEqual({
      watch_config: true,
      default_project: "happy-gadgets",
      transports: { telegram: { bot_token: "123456:ABC-def", chat_id: -1001234567890 } },
      projects: { "happy-gadgets": { path: "~/dev/happy-gadgets" } },
      claude: { allowed_tools: ["Bash", "Read"] },
    });

    const list = await withConfig("list");
    expect(list.code).toBe(0);
    expect(list.stdout.split("\n")).toEqual([
      'claude.allowed_tools = [ "Bash", "Read" ]',
      'default_project = "happy-gadgets"',
      'projects.happy-gadgets.path = "~/dev/happy-gadgets"',
      'transports.telegram.bot_token = "123456:********"',
      "transports.telegram.chat_id = -1001234567890",
      "watch_config = true",
    ]);
  });
});

describe("get", () => {
  beforeEach(async () => {
    await writeFile(path, '[transports.telegram]\nbot_token = "123:abc"\nchat_id = 5\n[codex]\nextra_args = ["-c", "notify=[]"]\n');
  });

  it("prints a leaf as a TOML literal", async () => {
    expect(await withConfig("get", "transports.telegram.chat_id")).toEqual({ code: 0, stdout: "5", stderr: "" });
    expect(await withConfig("get", "transports.telegram.bot_token", "--show-secrets")).toEqual({ code: 0, stdout: '"123:abc"', stderr: "" });
    expect(await withConfig("get", "codex.extra_args")).toEqual({ code: 0, stdout: '[ "-c", "notify=[]" ]', stderr: "" });
  });

  it("exits 1 with no output for a key that is not set", async () => {
    expect(await withConfig("get", "default_engine")).toEqual({ code: 1, stdout: "", stderr: "" });
  });

  it("refuses a table and an invalid key", async () => {
    expect(await withConfig("get", "transports.telegram")).toEqual({ code: 2, stdout: "", stderr: "error: 'transports.telegram' is a table; pick a leaf node." });
    expect(await withConfig("get", "projects.my app.path")).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: Invalid key segment 'my app' in 'projects.my app.path'; use only letters, digits, '_' or '-'.",
    });
  });

  it("shows a legacy config in its migrated form without rewriting it", async () => {
    const legacy = 'bot_token = "123:abc"\nchat_id = 5\n';
    await writeFile(path, legacy);
    expect(await withConfig("get", "transports.telegram.chat_id")).toEqual({ code: 0, stdout: "5", stderr: "" });
    expect(await readFile(path, "utf8")).toBe(legacy);
  });
});

describe("secrets", () => {
  const TOKEN = "7000000001:AAFakeTelegramTokenForTests-00000001";
  const VOICE = "sk-voice-transcription-0123456789";
  const CODEX_KEY = "sk-proj-codex-0123456789abcdef";
  const SECRETS = [TOKEN.split(":")[1] ?? "", VOICE, CODEX_KEY, "hunter2hunter2"];
  beforeEach(async () => {
    await writeFile(
      path,
      `[transports.telegram]
bot_token = "${TOKEN}"
chat_id = 5
voice_transcription_api_key = "${VOICE}"
[codex]
env = { OPENAI_API_KEY = "${CODEX_KEY}", OPENAI_BASE_URL = "http://proxy:8080" }
[plugins.mail]
password = "hunter2hunter2"
`,
    );
  });
  const leaks = (result: { stdout: string; stderr: string }) => SECRETS.filter((secret) => `${result.stdout}\n${result.stderr}`.includes(secret));

  it("list masks them (keeping the bot id) and says how to show them", async () => {
    const list = await withConfig("list");
    expect(list).toEqual({
      code: 0,
      stdout: [
        'codex.env.OPENAI_API_KEY = "********"',
        'codex.env.OPENAI_BASE_URL = "http://proxy:8080"',
        'plugins.mail.password = "********"',
        'transports.telegram.bot_token = "7000000001:********"',
        "transports.telegram.chat_id = 5",
        'transports.telegram.voice_transcription_api_key = "********"',
      ].join("\n"),
      stderr:
        "note: 4 secrets are masked (codex.env.OPENAI_API_KEY, plugins.mail.password, transports.telegram.bot_token, " +
        "transports.telegram.voice_transcription_api_key); `takopi config list --show-secrets` prints them",
    });
    expect(leaks(list)).toEqual([]);
    const shown = await withConfig("list", "--show-secrets");
    expect(shown.stdout).toContain(`transports.telegram.bot_token = "${TOKEN}"`);
    expect(shown.stderr).toBe("");
    expect(leaks(shown)).toEqual(SECRETS);
  });

  it("get masks a secret unless --show-secrets, and leaves other keys alone", async () => {
    const get = await withConfig("get", "codex.env.OPENAI_API_KEY");
    expect(get).toEqual({
      code: 0,
      stdout: '"********"',
      stderr: "note: codex.env.OPENAI_API_KEY is a secret and is masked; `takopi config get codex.env.OPENAI_API_KEY --show-secrets` prints it",
    });
    expect(await withConfig("get", "codex.env.OPENAI_API_KEY", "--show-secrets")).toEqual({ code: 0, stdout: `"${CODEX_KEY}"`, stderr: "" });
    expect(await withConfig("get", "codex.env.OPENAI_BASE_URL")).toEqual({ code: 0, stdout: '"http://proxy:8080"', stderr: "" });
  });

  it("set does not echo the secret it wrote, and a token pasted into chat_id is refused without being printed", async () => {
    const set = await withConfig("set", "plugins.mail.password", "n3w-passw0rd-value");
    expect(set).toEqual({ code: 0, stdout: 'updated plugins.mail.password = "********"', stderr: "" });
    expect(parse(await readFile(path, "utf8"))).toMatchObject({ plugins: { mail: { password: "n3w-passw0rd-value" } } });
    const pasted = await withConfig("set", "transports.telegram.chat_id", TOKEN);
    expect(pasted).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: ${path}: \`transports.telegram.chat_id\` must be an integer, found a string that looks like a bot token (not shown)\nnote: nothing was written to ${path}`,
    });
  });
});

describe("errors", () => {
  it("list and get on a missing config say how to create one", async () => {
    const list = await withConfig("list");
    expect(list.code).toBe(1);
    expect(list.stdout).toBe("");
    expect(list.stderr.split("\n")[0]).toBe(`error: Missing config file ${path}. Create it with your bot's token (from @BotFather) and your chat id:`);
    expect((await withConfig("get", "default_engine")).code).toBe(2);
    expect((await withConfig("unset", "default_engine")).code).toBe(2);
    expect(existsSync(path)).toBe(false);
  });

  it("broken TOML is an error naming the line and column, and is never overwritten", async () => {
    const broken = '[transports.telegram]\nbot_token = "123:abc"\nchat_id = 5\ndefault_engine = claude\n';
    await writeFile(path, broken);
    const expected = `error: ${path}:4:18: invalid TOML: invalid value (text values need quotes, e.g. default_engine = "claude")`;
    expect(await withConfig("list")).toEqual({ code: 2, stdout: "", stderr: expected });
    expect(await withConfig("set", "watch_config", "true")).toEqual({ code: 2, stdout: "", stderr: expected });
    expect(await readFile(path, "utf8")).toBe(broken);
  });

  it("list on a file takopi run would refuse shows it and says it is invalid, and why", async () => {
    await writeFile(path, '[transports.telegram]\nbot_token = "123:abc"\nchat_id = "abc"\n');
    const list = await withConfig("list");
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('transports.telegram.chat_id = "abc"');
    expect(list.stderr.split("\n")).toContain(`warning: ${path} is not valid; takopi run refuses it until this is fixed:`);
    expect(list.stderr.split("\n")).toContain(`warning: ${path}: \`transports.telegram.chat_id\` must be an integer, found the string "abc"`);
    // A legacy layout is valid: run migrates it in memory, and so does list.
    await writeFile(path, 'bot_token = "123:abc"\nchat_id = 5\n');
    expect((await withConfig("list")).stderr).not.toContain("not valid");
  });

  it("a value of the wrong type is refused and nothing is written", async () => {
    const good = '[transports.telegram]\nbot_token = "123:abc"\nchat_id = 5\n';
    await writeFile(path, good);
    expect(await withConfig("set", "transports.telegram.chat_id", "abc")).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: ${path}: \`transports.telegram.chat_id\` must be an integer, found the string "abc"\nnote: nothing was written to ${path}`,
    });
    expect(await withConfig("set", "transports.telegram.topics.enabled", "yes")).toMatchObject({ code: 2 });
    expect(await withConfig("set", "default_project", "nope")).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: ${path}: \`default_project\` is "nope" but there is no [projects.nope]; no projects are configured\nnote: nothing was written to ${path}`,
    });
    expect(await readFile(path, "utf8")).toBe(good);
  });

  it("a misspelt key in a known table is refused with a suggestion", async () => {
    const good = '[transports.telegram]\nbot_token = "123:abc"\nchat_id = 5\n';
    await writeFile(path, good);
    expect(await withConfig("set", "transports.telegram.chat_idd", "6")).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: unknown key \`transports.telegram.chat_idd\` in ${path} (not written); did you mean \`chat_id\`?`,
    });
    expect(await withConfig("set", "transports.telegram.chat_id.x", "6")).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: Cannot set `transports.telegram.chat_id.x`: `transports.telegram.chat_id` is the integer 5, not a table.",
    });
    expect(await readFile(path, "utf8")).toBe(good);
  });

  it("a file with two mistakes can be repaired one key at a time", async () => {
    await writeFile(path, '[transports.telegram]\nbot_token = "123:abc"\nchat_id = 5\nshow_resume_line = "no"\nsession_mode = "chats"\n');
    const first = await withConfig("set", "transports.telegram.show_resume_line", "false");
    expect(first).toEqual({
      code: 0,
      stdout: "updated transports.telegram.show_resume_line = false",
      stderr: `warning: still invalid: ${path}: \`transports.telegram.session_mode\` must be one of "stateless", "chat", found the string "chats"`,
    });
    expect(await withConfig("unset", "transports.telegram.session_mode")).toEqual({ code: 0, stdout: "removed transports.telegram.session_mode", stderr: "" });
  });
});

describe("set and unset on an existing config", () => {
  it("set rewrites a legacy config in the current layout", async () => {
    await writeFile(path, 'bot_token = "123:abc"\nchat_id = 5\n');
    const result = await withConfig("set", "default_engine", "claude");
    expect(result).toEqual({
      code: 0,
      stdout: 'updated default_engine = "claude"',
      stderr: `note: rewrote ${path} in the current layout (migration legacy-telegram)`,
    });
    expect(parse(await readFile(path, "utf8"))).toEqual({
      default_engine: "claude",
      transport: "telegram",
      transports: { telegram: { bot_token: "123:abc", chat_id: 5 } },
    });
  });

  it("unset removes a key and the tables it leaves empty; a missing key exits 1", async () => {
    await writeFile(path, '[transports.telegram]\nbot_token = "123:abc"\nchat_id = 5\n[codex]\nprofile = "work"\n');
    expect(await withConfig("unset", "codex.profile")).toEqual({ code: 0, stdout: "removed codex.profile", stderr: "" });
    expect(parse(await readFile(path, "utf8"))).toEqual({ transports: { telegram: { bot_token: "123:abc", chat_id: 5 } } });
    expect(await withConfig("unset", "codex.profile")).toEqual({ code: 1, stdout: "", stderr: "" });
  });
});
