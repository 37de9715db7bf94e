/**
 * Upstream-style configs must load unchanged: the examples from upstream's
 * docs (reference/config.md, how-to/projects.md, how-to/topics.md,
 * reference/transports/telegram.md) and complete configs as upstream users
 * write them. None may fail, and none may produce an unknown-key warning.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { engineConfig, loadConfig, pluginConfig, type LoadedConfig } from "../../../src/config/load.js";
import { DEFAULT_DENY_GLOBS } from "../../../src/config/schema.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

let dir: ScratchDir;
beforeEach(async () => {
  dir = await scratchDir("takopi-config-examples-");
});
afterEach(async () => {
  await dir.dispose();
});

const TELEGRAM = `
[transports.telegram]
bot_token = "123456789:ABCdefGHI"
chat_id = 123
`;

async function load(text: string, engineIds?: readonly string[]): Promise<LoadedConfig> {
  const path = await dir.file("takopi.toml", text);
  const loaded = await loadConfig(path, { env: { HOME: dir.path }, ...(engineIds === undefined ? {} : { engineIds }) });
  expect(loaded.warnings.filter((warning) => warning.includes("unknown key"))).toEqual([]);
  // Loading never rewrites the user's file.
  expect(await readFile(path, "utf8")).toBe(text);
  return loaded;
}

function aliasWarning(loaded: LoadedConfig, alias: string): string {
  return (
    `project alias \`${alias}\` in ${loaded.path} is not a valid Telegram command name (a-z, 0-9 and _, at most 32), ` +
    `so it gets no entry in the bot's command menu; typing /${alias} still selects it`
  );
}

describe("upstream docs: reference/config.md", () => {
  it("watch_config", async () => {
    const loaded = await load(`watch_config = true\n${TELEGRAM}`);
    expect(loaded.settings.watch_config).toBe(true);
    expect(loaded.warnings).toEqual([]);
  });

  it("transports.telegram", async () => {
    const loaded = await load(`[transports.telegram]\nbot_token = "..."\nchat_id = 123\n`);
    expect(loaded.settings.transports.telegram).toMatchObject({ bot_token: "...", chat_id: 123 });
    expect(loaded.warnings).toEqual([]);
  });

  it("projects.<alias>", async () => {
    const loaded = await load(
      `${TELEGRAM}
[projects.happy-gadgets]
path = "~/dev/happy-gadgets"
worktrees_dir = ".worktrees"
default_engine = "claude"
worktree_base = "master"
chat_id = -1001234567890
`,
      ["codex", "claude", "opencode", "pi"],
    );
    expect(loaded.settings.projects["happy-gadgets"]).toEqual({
      path: join(dir.path, "dev/happy-gadgets"),
      worktrees_dir: join(dir.path, "dev/happy-gadgets/.worktrees"),
      default_engine: "claude",
      worktree_base: "master",
      chat_id: -1001234567890,
    });
    expect(loaded.warnings).toEqual([aliasWarning(loaded, "happy-gadgets")]);
  });

  it("plugins.enabled", async () => {
    const loaded = await load(`${TELEGRAM}\n[plugins]\nenabled = ["takopi-transport-slack", "takopi-engine-acme"]\n`);
    expect(loaded.settings.plugins).toEqual({ enabled: ["takopi-transport-slack", "takopi-engine-acme"], paths: [] });
    expect(loaded.warnings).toEqual([]);
  });

  it("engine tables: codex, claude, pi, opencode", async () => {
    const loaded = await load(`${TELEGRAM}
[codex]
extra_args = ["-c", "notify=[]"]
profile = "work"

[claude]
model = "claude-sonnet-4-5-20250929"
allowed_tools = ["Bash", "Read", "Edit", "Write"]
dangerously_skip_permissions = false
use_api_billing = false

[pi]
model = "..."
provider = "..."
extra_args = []

[opencode]
model = "claude-sonnet"
`);
    expect(engineConfig(loaded, "codex")).toEqual({ extra_args: ["-c", "notify=[]"], profile: "work" });
    expect(engineConfig(loaded, "claude")).toEqual({
      model: "claude-sonnet-4-5-20250929",
      allowed_tools: ["Bash", "Read", "Edit", "Write"],
      dangerously_skip_permissions: false,
      use_api_billing: false,
    });
    expect(engineConfig(loaded, "pi")).toEqual({ model: "...", provider: "...", extra_args: [] });
    expect(engineConfig(loaded, "opencode")).toEqual({ model: "claude-sonnet" });
    expect(loaded.warnings).toEqual([]);
  });
});

describe("upstream docs: how-to guides and the telegram transport page", () => {
  it("projects.md: a project registered by takopi init, with overrides and a default project", async () => {
    const loaded = await load(`watch_config = true
default_project = "happy-gadgets"
${TELEGRAM}
[projects.happy-gadgets]
path = "~/dev/happy-gadgets"
default_engine = "claude"
worktrees_dir = ".worktrees"
worktree_base = "master"
`);
    expect(loaded.settings.default_project).toBe("happy-gadgets");
    expect(loaded.settings.projects["happy-gadgets"]?.path).toBe(join(dir.path, "dev/happy-gadgets"));
  });

  it("topics.md: topics and chat sessions", async () => {
    const loaded = await load(`
[transports.telegram]
bot_token = "123:abc"
chat_id = -100123
session_mode = "chat" # stateless | chat

[transports.telegram.topics]
enabled = true
scope = "auto" # auto | main | projects | all
`);
    expect(loaded.settings.transports.telegram?.topics).toEqual({ enabled: true, scope: "auto" });
    expect(loaded.settings.transports.telegram?.session_mode).toBe("chat");
    expect(loaded.warnings).toEqual([]);
  });

  it("transports/telegram.md: voice, forwards, resume lines, overflow, topics and [logging]", async () => {
    const loaded = await load(`
[transports.telegram]
bot_token = "123:abc"
chat_id = 123
voice_transcription = true
voice_transcription_model = "gpt-4o-mini-transcribe" # optional
voice_transcription_base_url = "http://localhost:8000/v1" # optional
voice_transcription_api_key = "local" # optional
forward_coalesce_s = 1.0 # set 0 to disable the delay
show_resume_line = true # set false to hide resume lines
session_mode = "chat" # or "stateless"
message_overflow = "split" # trim | split

[transports.telegram.topics]
enabled = true
scope = "auto" # auto | main | projects | all

[logging]
enabled = true
events_jsonl = "~/.takopi/logs/takopi-events.jsonl"
events_sqlite = "~/.takopi/logs/takopi-events.db"
max_text_chars = 20000
`);
    expect(loaded.settings.transports.telegram).toMatchObject({
      voice_transcription: true,
      voice_transcription_base_url: "http://localhost:8000/v1",
      voice_transcription_api_key: "local",
      forward_coalesce_s: 1,
      message_overflow: "split",
    });
    expect(engineConfig(loaded, "logging")).toMatchObject({ enabled: true, max_text_chars: 20000 });
    expect(loaded.warnings).toEqual([]);
  });
});

describe("complete upstream-style configs", () => {
  it("the minimal config gets every default", async () => {
    const loaded = await load(TELEGRAM);
    expect(loaded.settings).toEqual({
      watch_config: false,
      default_engine: "codex",
      default_project: null,
      projects_dir: null,
      stall_notice_s: 300,
      transport: "telegram",
      transports: {
        telegram: {
          bot_token: "123456789:ABCdefGHI",
          chat_id: 123,
          allowed_user_ids: [],
          message_overflow: "trim",
          voice_transcription: false,
          voice_max_bytes: 10485760,
          voice_transcription_model: "gpt-4o-mini-transcribe",
          voice_transcription_base_url: null,
          voice_transcription_api_key: null,
          session_mode: "stateless",
          show_resume_line: true,
          show_usage: false,
          approval_timeout_s: 600,
          forward_coalesce_s: 1,
          media_group_debounce_s: 1,
          api_root: "https://api.telegram.org",
          backlog_max_age_s: 300,
          topics: { enabled: false, scope: "auto" },
          files: {
            enabled: false,
            auto_put: true,
            auto_put_mode: "upload",
            uploads_dir: "incoming",
            allowed_user_ids: [],
            deny_globs: [...DEFAULT_DENY_GLOBS],
          },
        },
      },
      projects: {},
      plugins: { enabled: [], paths: [] },
    });
    expect(loaded.warnings).toEqual([]);
  });

  it("every telegram key, with topics and files tables, projects, plugins and engines", async () => {
    const loaded = await load(
      `watch_config = true
default_engine = "claude"
default_project = "Backend"
transport = "telegram"

[transports.telegram]
bot_token = "123456789:ABCdefGHI"
chat_id = "-1001000000001"
allowed_user_ids = [111, 222]
message_overflow = "split"
voice_transcription = true
voice_max_bytes = 5242880
voice_transcription_model = "whisper-1"
voice_transcription_base_url = "http://localhost:8000/v1"
voice_transcription_api_key = "local"
session_mode = "chat"
show_resume_line = false
forward_coalesce_s = 0
media_group_debounce_s = 2.5
api_root = "http://127.0.0.1:8081/"
backlog_max_age_s = 60

[transports.telegram.topics]
enabled = true
scope = "projects"

[transports.telegram.files]
enabled = true
auto_put = false
auto_put_mode = "prompt"
uploads_dir = "uploads/in"
allowed_user_ids = [111]
deny_globs = [".git/**", "*.key"]

[transports.slack]
app_token = "xapp-1"

[projects.backend]
path = "/srv/backend"
worktrees_dir = "~/worktrees/backend"
default_engine = "Codex"
worktree_base = "main"
chat_id = -1001000000002

[projects.web]
path = "repos/web"
chat_id = -1001000000003

[plugins]
enabled = ["takopi-status"]
paths = ["plugins", "~/more-plugins"]

[plugins.status]
show_load = true

[codex]
profile = "work"

[claude]
dangerously_skip_permissions = true
`,
      ["codex", "claude", "opencode", "pi"],
    );
    const { settings } = loaded;
    expect(settings.default_project).toBe("backend");
    expect(settings.transports.telegram).toMatchObject({
      chat_id: -1001000000001,
      allowed_user_ids: [111, 222],
      voice_max_bytes: 5242880,
      forward_coalesce_s: 0,
      media_group_debounce_s: 2.5,
      api_root: "http://127.0.0.1:8081",
      backlog_max_age_s: 60,
      topics: { enabled: true, scope: "projects" },
      files: { enabled: true, auto_put: false, auto_put_mode: "prompt", uploads_dir: "uploads/in", allowed_user_ids: [111], deny_globs: [".git/**", "*.key"] },
    });
    expect(settings.transports.slack).toEqual({ app_token: "xapp-1" });
    expect(settings.projects).toEqual({
      backend: {
        path: "/srv/backend",
        worktrees_dir: join(dir.path, "worktrees/backend"),
        default_engine: "codex",
        worktree_base: "main",
        chat_id: -1001000000002,
      },
      web: {
        path: join(dir.path, "repos/web"),
        worktrees_dir: join(dir.path, "repos/web/.worktrees"),
        default_engine: null,
        worktree_base: null,
        chat_id: -1001000000003,
      },
    });
    expect(settings.plugins).toEqual({ enabled: ["takopi-status"], paths: [join(dir.path, "plugins"), join(dir.path, "more-plugins")] });
    expect(pluginConfig(loaded, "status")).toEqual({ show_load: true });
    expect(pluginConfig(loaded, "absent")).toEqual({});
    expect(engineConfig(loaded, "codex")).toEqual({ profile: "work" });
    expect(engineConfig(loaded, "opencode")).toEqual({});
    expect(loaded.warnings).toEqual([]);
  });

  it("a legacy config with top-level bot_token/chat_id loads, with a warning naming the migration", async () => {
    const loaded = await load(`bot_token = "123:abc"\nchat_id = 42\ndefault_engine = "codex"\n`);
    expect(loaded.settings.transport).toBe("telegram");
    expect(loaded.settings.transports.telegram).toMatchObject({ bot_token: "123:abc", chat_id: 42 });
    expect(loaded.warnings).toEqual([
      `${loaded.path} uses an old layout, read with migration legacy-telegram (top-level bot_token/chat_id are read as [transports.telegram]); ` +
        "the file was not changed (any `takopi config set` rewrites it in the new form)",
    ]);
  });

  it("a config with the old topics.mode loads as topics.scope", async () => {
    const loaded = await load(`${TELEGRAM}\n[transports.telegram.topics]\nenabled = true\nmode = "multi_project_chat"\n`);
    expect(loaded.settings.transports.telegram?.topics).toEqual({ enabled: true, scope: "main" });
    expect(loaded.warnings).toEqual([
      `${loaded.path} uses an old layout, read with migration topics-scope (transports.telegram.topics.mode is read as topics.scope); ` +
        "the file was not changed (any `takopi config set` rewrites it in the new form)",
    ]);
  });

  it("another transport needs no [transports.telegram]", async () => {
    const loaded = await load(`transport = "slack"\n[transports.slack]\nbot_token = "xoxb"\n`);
    expect(loaded.settings.transports).toEqual({ slack: { bot_token: "xoxb" } });
    expect(loaded.warnings).toEqual([]);
  });
});
