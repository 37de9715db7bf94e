/** What a person sees when takopi.toml is wrong: the exact texts, one line per problem. */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/errors.js";
import { engineConfig, loadConfig, pluginConfig, resolveConfigPath, transportConfig, type LoadOptions } from "../../../src/config/load.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

let dir: ScratchDir;
let path: string;
beforeEach(async () => {
  dir = await scratchDir("takopi-config-load-");
  path = join(dir.path, "takopi.toml");
});
afterEach(async () => {
  await dir.dispose();
});

const TELEGRAM = '[transports.telegram]\nbot_token = "123:abc"\nchat_id = 100\n';
const ENGINES = ["codex", "claude", "opencode", "pi"];

async function load(text: string, options: LoadOptions = {}) {
  await dir.file("takopi.toml", text);
  return loadConfig(path, { env: { HOME: dir.path }, ...options });
}

/** The ConfigError a load throws, or a failed test. */
async function loadError(text: string, options: LoadOptions = {}): Promise<ConfigError> {
  try {
    await load(text, options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("finding the file", () => {
  it("prefers --config, then TAKOPI_CONFIG, then ~/.takopi/takopi.toml", () => {
    const env = { HOME: "/home/me", TAKOPI_CONFIG: "~/alt/takopi.toml" };
    expect(resolveConfigPath("~/x.toml", env)).toBe("/home/me/x.toml");
    expect(resolveConfigPath("/etc/takopi.toml", env)).toBe("/etc/takopi.toml");
    expect(resolveConfigPath(undefined, env)).toBe("/home/me/alt/takopi.toml");
    expect(resolveConfigPath(undefined, { HOME: "/home/me" })).toBe("/home/me/.takopi/takopi.toml");
    expect(resolveConfigPath("", { HOME: "/home/me", TAKOPI_CONFIG: "" })).toBe("/home/me/.takopi/takopi.toml");
    expect(resolveConfigPath("rel/takopi.toml", {})).toBe(join(process.cwd(), "rel/takopi.toml"));
  });

  it("a missing file says how to create one", async () => {
    await expect(loadConfig(path, { env: {} })).rejects.toThrow(
      `Missing config file ${path}. Create it with your bot's token (from @BotFather) and your chat id:\n\n` +
        '  [transports.telegram]\n  bot_token = "123456789:ABC-your-bot-token"\n  chat_id = 123456789\n\n' +
        "or run `takopi config set transports.telegram.bot_token <token>` and `takopi config set transports.telegram.chat_id <id>`.",
    );
  });

  it("a directory is not a config", async () => {
    await mkdir(path);
    await expect(loadConfig(path, { env: {} })).rejects.toThrow(`Config path ${path} exists but is not a file.`);
  });
});

describe("error texts", () => {
  it("broken TOML names the file, line and column", async () => {
    const error = await loadError(`${TELEGRAM}default_engine = claude\n`);
    expect(error.message).toBe(`${path}:4:18: invalid TOML: invalid value (text values need quotes, e.g. default_engine = "claude")`);
    expect((await loadError(`${TELEGRAM}[codex]\nprofile = "work\n`)).message).toBe(
      `${path}:5:16: invalid TOML: control characters are not allowed in strings (is a closing quote missing?)`,
    );
    expect((await loadError("[transports.telegram]\nchat_id = 1\n[transports.telegram]\n")).message).toBe(
      `${path}:3:2: invalid TOML: trying to redefine an already defined table or value`,
    );
  });

  it("a wrong type names the key, the expectation and what was found", async () => {
    const error = await loadError('[transports.telegram]\nbot_token = "123:abc"\nchat_id = "abc"\n');
    expect(error.message).toBe(`${path}: \`transports.telegram.chat_id\` must be an integer, found the string "abc"`);
    expect(error.incomplete).toBe(false);
  });

  it("never echoes a value that may be a secret: a token in the wrong key, a key-like or long string, a secret-named key", async () => {
    const token = "7000000001:AAFakeTelegramTokenForTests-00000001";
    const error = await loadError(`[transports.telegram]
bot_token = "${token}"
chat_id = "${token}"
allowed_user_ids = ["sk-proj-Abc123Def456Ghi789"]
session_mode = "a very long value that someone pasted here by mistake"
voice_transcription_api_key = 12345678
[projects.app]
path = "app"
chat_id = "-100abc"
`);
    expect(error.problems).toEqual([
      `${path}: \`transports.telegram.chat_id\` must be an integer, found a string that looks like a bot token (not shown)`,
      `${path}: \`transports.telegram.allowed_user_ids[0]\` must be an integer, found a string of 26 characters that looks like a key (not shown)`,
      `${path}: \`transports.telegram.voice_transcription_api_key\` must be a string, found a number`,
      `${path}: \`transports.telegram.session_mode\` must be one of "stateless", "chat", found a string of 53 characters (not shown)`,
      `${path}: \`projects.app.chat_id\` must be an integer, found the string "-100abc"`,
    ]);
    expect(error.message).not.toContain("AAFake");
    expect(error.message).not.toContain("12345678");
  });

  it("several problems give one line each", async () => {
    const error = await loadError(`watch_config = "yes"
default_engine = ""
[transports.telegram]
bot_token = 5
chat_id = true
allowed_user_ids = [1, 2.5]
message_overflow = "wrap"
forward_coalesce_s = -1
api_root = "ftp://example.org"
[transports.telegram.topics]
enabled = 1
[transports.telegram.files]
uploads_dir = "../outside"
[projects.app]
worktrees_dir = "wt"
[projects.web]
path = "web"
chat_id = 1.5
`);
    expect(error.problems).toEqual([
      `${path}: \`watch_config\` must be true or false, found the string "yes"`,
      `${path}: \`default_engine\` must be a non-empty string, found the string ""`,
      `${path}: \`transports.telegram.bot_token\` must be a string, found a number`,
      `${path}: \`transports.telegram.chat_id\` must be an integer, found the boolean true`,
      `${path}: \`transports.telegram.allowed_user_ids[1]\` must be an integer, found the number 2.5`,
      `${path}: \`transports.telegram.message_overflow\` must be one of "trim", "split", found the string "wrap"`,
      `${path}: \`transports.telegram.forward_coalesce_s\` must be a number >= 0, found the integer -1`,
      `${path}: \`transports.telegram.api_root\` must be an http(s) URL such as "http://127.0.0.1:8081", found the string "ftp://example.org"`,
      `${path}: \`transports.telegram.topics.enabled\` must be true or false, found the integer 1`,
      `${path}: \`transports.telegram.files.uploads_dir\` must be a relative path inside the project, such as "incoming", found the string "../outside"`,
      `${path}: \`projects.app.path\` is missing (expected a string)`,
      `${path}: \`projects.web.chat_id\` must be an integer, found the number 1.5`,
    ]);
  });

  it("a table where a value belongs, and a value where a table belongs", async () => {
    const error = await loadError(`transport = "telegram"\nprojects = 5\n${TELEGRAM}[transports.telegram.topics.scope]\nx = 1\n[transports.other]\n`);
    expect(error.problems).toEqual([
      `${path}: \`transports.telegram.topics.scope\` must be one of "auto", "main", "projects", "all", found a table`,
      `${path}: \`projects\` must be a table, found the integer 5`,
    ]);
    const other = await loadError(`${TELEGRAM}[transports]\nslack = "x"\n`);
    expect(other.message).toBe(`${path}: \`transports.slack\` must be a table, found the string "x"`);
  });

  it("a missing [transports.telegram] is reported as something to add, not as a wrong value", async () => {
    const error = await loadError('default_engine = "claude"\n');
    expect(error.message).toBe(`${path}: missing [transports.telegram] (transport is "telegram"); add that table with your bot_token and chat_id`);
    expect(error.incomplete).toBe(true);
    const partial = await loadError('[transports.telegram]\nbot_token = "t"\n');
    expect(partial.message).toBe(`${path}: \`transports.telegram.chat_id\` is missing (expected an integer)`);
    expect(partial.incomplete).toBe(true);
  });

  it("legacy keys that survive to validation (through the environment) get upstream's instruction", async () => {
    const error = await loadError(TELEGRAM, { env: { HOME: dir.path, TAKOPI__BOT_TOKEN: "123:abc" } });
    expect(error.message).toBe(`${path}: Move bot_token/chat_id under [transports.telegram] and set transport = "telegram".`);
  });

  it("unknown keys are warnings with a did-you-mean, not errors", async () => {
    const loaded = await load(`defualt_engine = "claude"
wibble = 1
${TELEGRAM}chat_idd = 5
[transports.telegram.topics]
enabeld = true
[transports.telegram.files]
deny_glob = ["x"]
[projects.app]
path = "/srv/app"
worktree_dir = "wt"
[plugins]
enable = ["x"]
[plugins.status]
anything = "goes"
[project.web]
path = "/srv/web"
`);
    expect(loaded.warnings).toEqual([
      `unknown key \`defualt_engine\` in ${path} (ignored); did you mean \`default_engine\`?`,
      `unknown key \`wibble\` in ${path} (ignored)`,
      `unknown key \`transports.telegram.chat_idd\` in ${path} (ignored); did you mean \`chat_id\`?`,
      `unknown key \`transports.telegram.topics.enabeld\` in ${path} (ignored); did you mean \`enabled\`?`,
      `unknown key \`transports.telegram.files.deny_glob\` in ${path} (ignored); did you mean \`deny_globs\`?`,
      `unknown key \`projects.app.worktree_dir\` in ${path} (ignored); did you mean \`worktrees_dir\`?`,
      `unknown key \`plugins.enable\` in ${path} (ignored); did you mean \`enabled\`?`,
      `top-level table [project] in ${path} is read as the config of an engine named "project"; did you mean [projects]?`,
    ]);
    expect(loaded.settings.transports.telegram?.chat_id).toBe(100);
    expect(loaded.settings.default_engine).toBe("codex");
  });

  it("a table inside a project is its settings for an engine; one named for no engine is a warning", async () => {
    const loaded = await load(
      `${TELEGRAM}[projects.app]
path = "/srv/app"
[projects.app.codex]
approval_policy = "untrusted"
[projects.app.claud]
permission_mode = "default"
[projects.app.zzz]
x = 1
`,
      { engineIds: ["claude", "codex"] },
    );
    expect(loaded.warnings).toEqual([
      `table [projects.app.claud] in ${path} is not an engine's settings (ignored); did you mean [projects.app.claude]?`,
      `table [projects.app.zzz] in ${path} is not an engine's settings (ignored); engines: claude, codex`,
    ]);
    expect(loaded.settings.projects.app).not.toHaveProperty("codex");
  });
});

describe("projects", () => {
  it("resolves paths: ~, relative to the config's directory, worktrees relative to the project", async () => {
    const loaded = await load(`${TELEGRAM}[projects.a]\npath = "~/src/a"\n[projects.b]\npath = "../b"\nworktrees_dir = "/wt/b"\n`);
    expect(loaded.settings.projects.a).toMatchObject({ path: join(dir.path, "src/a"), worktrees_dir: join(dir.path, "src/a/.worktrees") });
    expect(loaded.settings.projects.b).toMatchObject({ path: join(dir.path, "../b"), worktrees_dir: "/wt/b" });
  });

  it("lower-cases aliases and default_project, and rejects aliases that differ only in case", async () => {
    const loaded = await load(`default_project = "APP"\n${TELEGRAM}[projects.App]\npath = "/srv/app"\n`);
    expect(Object.keys(loaded.settings.projects)).toEqual(["app"]);
    expect(loaded.settings.default_project).toBe("app");
    const error = await loadError(`${TELEGRAM}[projects.App]\npath = "/a"\n[projects.app]\npath = "/b"\n`);
    expect(error.message).toBe(`${path}: [projects.App] and [projects.app] are the same project (aliases ignore case); keep one`);
  });

  it("default_project must name a project", async () => {
    const error = await loadError(`default_project = "web"\n${TELEGRAM}[projects.app]\npath = "/a"\n[projects.api]\npath = "/b"\n`);
    expect(error.message).toBe(`${path}: \`default_project\` is "web" but there is no [projects.web]; known projects: api, app`);
  });

  it("an alias may not be a chat command or an engine", async () => {
    const error = await loadError(`${TELEGRAM}[projects.new]\npath = "/a"\n[projects.claude]\npath = "/b"\n[projects.acme]\npath = "/c"\n`, {
      engineIds: [...ENGINES, "acme"],
    });
    expect(error.problems).toEqual([
      `${path}: project alias \`acme\` is also an engine id (/acme selects that engine); rename [projects.acme]`,
      `${path}: project alias \`claude\` is also an engine id (/claude selects that engine); rename [projects.claude]`,
      `${path}: project alias \`new\` is a built-in chat command (/new); rename [projects.new]`,
    ]);
  });

  it("default_engine is matched case-insensitively against the engines that exist", async () => {
    const loaded = await load(`${TELEGRAM}[projects.app]\npath = "/a"\ndefault_engine = "Claude"\n`, { engineIds: ENGINES });
    expect(loaded.settings.projects.app?.default_engine).toBe("claude");
    const error = await loadError(`${TELEGRAM}[projects.app]\npath = "/a"\ndefault_engine = "gpt"\n`, { engineIds: ENGINES });
    expect(error.message).toBe(`${path}: \`projects.app.default_engine\` is "gpt", which is not an engine; available: claude, codex, opencode, pi`);
  });

  it("each project chat is its own chat, and not the main one", async () => {
    const error = await loadError(`${TELEGRAM}[projects.a]\npath = "/a"\nchat_id = 100\n[projects.b]\npath = "/b"\nchat_id = -5\n[projects.c]\npath = "/c"\nchat_id = "-5"\n`);
    expect(error.problems).toEqual([
      `${path}: \`projects.a.chat_id\` 100 is the main chat (transports.telegram.chat_id); a project needs a chat of its own`,
      `${path}: \`projects.c.chat_id\` -5 is already the chat of project b; each project needs its own chat`,
    ]);
  });
});

describe("TAKOPI__ environment overrides", () => {
  it("override file values, nested by __, parsed as TOML literals", async () => {
    const loaded = await load(TELEGRAM, {
      env: {
        HOME: dir.path,
        TAKOPI__DEFAULT_ENGINE: "claude",
        TAKOPI__WATCH_CONFIG: "true",
        TAKOPI__TRANSPORTS__TELEGRAM__CHAT_ID: "-100555",
        TAKOPI__TRANSPORTS__TELEGRAM__ALLOWED_USER_IDS: "[1, 2]",
        TAKOPI__PROJECTS__APP__PATH: "/srv/app",
        TAKOPI__CODEX__PROFILE: "  work  ",
        TAKOPI_CONFIG: "/ignored",
      },
    });
    expect(loaded.settings.default_engine).toBe("claude");
    expect(loaded.settings.watch_config).toBe(true);
    expect(loaded.settings.transports.telegram?.chat_id).toBe(-100555);
    expect(loaded.settings.transports.telegram?.allowed_user_ids).toEqual([1, 2]);
    expect(loaded.settings.projects.app?.path).toBe("/srv/app");
    expect(engineConfig(loaded, "codex")).toEqual({ profile: "work" });
    expect(loaded.raw.default_engine).toBe("claude");
    // The file itself is untouched.
    expect(await readFile(path, "utf8")).toBe(TELEGRAM);
  });

  it("an override of the wrong type is reported like a file value", async () => {
    const error = await loadError(TELEGRAM, { env: { HOME: dir.path, TAKOPI__TRANSPORTS__TELEGRAM__SHOW_RESUME_LINE: "maybe" } });
    expect(error.message).toBe(`${path}: \`transports.telegram.show_resume_line\` must be true or false, found the string "maybe"`);
  });

  it("a malformed variable name is skipped with a warning", async () => {
    const loaded = await load(TELEGRAM, { env: { HOME: dir.path, TAKOPI____X: "1" } });
    expect(loaded.warnings).toEqual(["ignoring environment variable TAKOPI____X: use TAKOPI__ then keys separated by __, e.g. TAKOPI__TRANSPORTS__TELEGRAM__CHAT_ID"]);
  });

  it("trims string values", async () => {
    const loaded = await load('default_engine = "  claude "\n[transports.telegram]\nbot_token = " 123:abc\\n"\nchat_id = " 7 "\n');
    expect(loaded.settings.default_engine).toBe("claude");
    expect(loaded.settings.transports.telegram).toMatchObject({ bot_token: "123:abc", chat_id: 7 });
  });
});

describe("engine, plugin and transport tables", () => {
  it("a non-table engine or plugin config is an error when it is asked for", async () => {
    const loaded = await load(`codex = "fast"\n${TELEGRAM}[plugins]\nstatus = 1\n`);
    expect(() => engineConfig(loaded, "codex")).toThrow(`Invalid \`codex\` config in ${path}; expected a table.`);
    expect(() => pluginConfig(loaded, "status")).toThrow(`Invalid \`plugins.status\` in ${path}; expected a table.`);
  });

  it("transportConfig: validated telegram settings, raw tables for others", async () => {
    const loaded = await load(`${TELEGRAM}[transports.slack]\nteam = "x"\n`);
    expect(transportConfig(loaded, "telegram").chat_id).toBe(100);
    expect(transportConfig(loaded, "slack")).toEqual({ team: "x" });
    expect(transportConfig(loaded, "discord")).toEqual({});
    const slackOnly = await load(`transport = "slack"\n`);
    expect(() => transportConfig(slackOnly, "telegram")).toThrow(`Missing [transports.telegram] in ${path}; add that table with your bot_token and chat_id.`);
  });
});
