/**
 * The container's config from base file + environment + discovered projects:
 * precedence, validation of each variable, chat id clashes, what is still
 * missing, and base files with relative paths or the old layout.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { discoverProjects, type DiscoveryResult } from "../../../src/config/projects-dir.js";
import { buildDiscoveredConfig, configuredProjects, readBaseConfig } from "../../../src/config/discovered-config.js";
import { ConfigError } from "../../../src/config/errors.js";
import { loadConfigText } from "../../../src/config/load.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

let dir: ScratchDir;
let projectsDir: string;

beforeEach(async () => {
  dir = await scratchDir("takopi-discovered-config-");
  projectsDir = join(dir.path, "projects");
  await mkdir(projectsDir);
});
afterEach(async () => {
  await dir.dispose();
});

async function discover(...names: string[]): Promise<DiscoveryResult> {
  for (const name of names) await mkdir(join(projectsDir, name), { recursive: true });
  return discoverProjects({ projectsDir });
}

const READY = { TELEGRAM_BOT_TOKEN: "123:secret", TELEGRAM_CHAT_ID: "42" };

describe("buildDiscoveredConfig", () => {
  it("puts the environment over the base file and the projects beside the base ones, sorted", async () => {
    const base = {
      default_engine: "codex",
      transports: { telegram: { bot_token: "old", chat_id: 1, session_mode: "chat" } },
      projects: { zeta: { path: "/srv/zeta" } },
      claude: { model: "x" },
    };
    const discovery = await discover("web", "api");
    const built = buildDiscoveredConfig({
      base,
      discovery,
      env: { ...READY, TAKOPI_DEFAULT_ENGINE: "Claude", TAKOPI_ALLOWED_USER_IDS: " 11, 12 ,13", TAKOPI_SESSION_MODE: "stateless", TELEGRAM_API_ROOT: "http://127.0.0.1:8081/" },
    });
    expect(built).toEqual({
      table: {
        transport: "telegram",
        projects_dir: projectsDir,
        default_engine: "claude",
        transports: {
          telegram: { bot_token: "123:secret", chat_id: 42, session_mode: "stateless", allowed_user_ids: [11, 12, 13], api_root: "http://127.0.0.1:8081" },
        },
        projects: { api: { path: join(projectsDir, "api") }, web: { path: join(projectsDir, "web") }, zeta: { path: "/srv/zeta" } },
        claude: { model: "x" },
      },
      missing: [],
      warnings: [],
    });
    expect(Object.keys(built.table.projects as object)).toEqual(["api", "web", "zeta"]);
    // The base table is not changed in place.
    expect(base.transports.telegram.bot_token).toBe("old");
  });

  it("treats empty variables as unset and says what is still missing", async () => {
    const built = buildDiscoveredConfig({ base: {}, discovery: await discover(), env: { TELEGRAM_BOT_TOKEN: "", TELEGRAM_CHAT_ID: "  " } });
    expect(built.table).toEqual({ transport: "telegram", projects_dir: projectsDir, projects: {} });
    expect(built.missing).toEqual(["TELEGRAM_BOT_TOKEN (transports.telegram.bot_token)", "TELEGRAM_CHAT_ID (transports.telegram.chat_id)"]);
  });

  it("refuses bad variables, naming every one", async () => {
    const discovery = await discover("web");
    const attempt = () =>
      buildDiscoveredConfig({
        base: {},
        discovery,
        env: { TELEGRAM_CHAT_ID: "12ab", TAKOPI_ALLOWED_USER_IDS: "1,x", TAKOPI_DEFAULT_ENGINE: "gpt", TAKOPI_SESSION_MODE: "group", TELEGRAM_API_ROOT: "ftp://x" },
      });
    expect(attempt).toThrow(ConfigError);
    expect(() => attempt()).toThrow(
      [
        'TELEGRAM_CHAT_ID must be an integer chat id such as 123456789 or -1001234567890, found "12ab"',
        'TELEGRAM_API_ROOT must be an http(s) URL such as http://127.0.0.1:8081, found "ftp://x"',
        'TAKOPI_ALLOWED_USER_IDS must be user ids separated by commas, such as 123456789,987654321, found "1,x"',
        'TAKOPI_SESSION_MODE must be "stateless" or "chat", found "group"',
        'TAKOPI_DEFAULT_ENGINE must be an engine id (available: codex, claude, opencode, pi), found "gpt"',
      ].join("\n"),
    );
  });

  it("takes TAKOPI_DEFAULT_PROJECT as an alias or a directory name, and refuses anything else", async () => {
    const discovery = await discover("My App", "api");
    const withDefault = (value: string) => buildDiscoveredConfig({ base: { projects: { Ops: { path: "/srv/ops" } } }, discovery, env: { TAKOPI_DEFAULT_PROJECT: value } });
    expect(withDefault("My App").table.default_project).toBe("my_app");
    expect(withDefault("API").table.default_project).toBe("api");
    expect(withDefault("ops").table.default_project).toBe("ops");
    expect(() => withDefault("nope")).toThrow(
      `TAKOPI_DEFAULT_PROJECT is "nope", which is neither a project alias nor a directory in ${projectsDir}; known projects: Ops, api, my_app`,
    );
  });

  it("drops a discovered chat id another chat already has, with a warning", async () => {
    await mkdir(join(projectsDir, "a"));
    await writeFile(join(projectsDir, "a", ".takopi.toml"), "chat_id = 42\n");
    await mkdir(join(projectsDir, "b"));
    await writeFile(join(projectsDir, "b", ".takopi.toml"), "chat_id = -7\n");
    await mkdir(join(projectsDir, "c"));
    await writeFile(join(projectsDir, "c", ".takopi.toml"), "chat_id = -7\n");
    await mkdir(join(projectsDir, "d"));
    await writeFile(join(projectsDir, "d", ".takopi.toml"), "chat_id = -9\n");
    const built = buildDiscoveredConfig({ base: { projects: { ops: { path: "/srv/ops", chat_id: -9 } } }, discovery: await discover(), env: READY });
    expect(built.table.projects).toEqual({
      a: { path: join(projectsDir, "a") },
      b: { path: join(projectsDir, "b"), chat_id: -7 },
      c: { path: join(projectsDir, "c") },
      d: { path: join(projectsDir, "d") },
      ops: { path: "/srv/ops", chat_id: -9 },
    });
    expect(built.warnings).toEqual([
      `${join(projectsDir, "a", ".takopi.toml")}: chat_id 42 is already the main chat (transports.telegram.chat_id); ignored (each project needs a chat of its own)`,
      `${join(projectsDir, "c", ".takopi.toml")}: chat_id -7 is already project b; ignored (each project needs a chat of its own)`,
      `${join(projectsDir, "d", ".takopi.toml")}: chat_id -9 is already project ops; ignored (each project needs a chat of its own)`,
    ]);
    expect(() => loadConfigText(stringify(built.table), join(dir.path, "out.toml"), { env: { HOME: dir.path } })).not.toThrow();
  });

  it("a base project table without a path gives its settings to the discovered project of that alias", async () => {
    const base = { projects: { Web: { codex: { approval_policy: "untrusted" }, default_engine: "claude" }, gone: { codex: { approval_policy: "on-request" } } } };
    await mkdir(join(projectsDir, "web"));
    await writeFile(join(projectsDir, "web", ".takopi.toml"), 'default_engine = "codex"\n');
    const built = buildDiscoveredConfig({ base, discovery: await discover(), env: READY });
    // The directory's own file wins for what it may set; the engine table comes from the base config only.
    expect(built.table.projects).toEqual({ web: { path: join(projectsDir, "web"), codex: { approval_policy: "untrusted" }, default_engine: "codex" } });
    expect(built.warnings).toEqual([`[projects.gone] in the base config has no path, and no directory in ${projectsDir} became project gone; its settings are ignored`]);
    expect(() => loadConfigText(stringify(built.table), join(dir.path, "out.toml"), { env: { HOME: dir.path } })).not.toThrow();
  });

  it("keeps the whitespace at the end of a directory name through the loader's trimming", async () => {
    const discovery = await discover("app ", "tab\t");
    const built = buildDiscoveredConfig({ base: {}, discovery, env: READY });
    const loaded = loadConfigText(stringify(built.table), join(dir.path, "out.toml"), { env: { HOME: dir.path } });
    expect(Object.values(loaded.settings.projects).map((project) => project.path)).toEqual([join(projectsDir, "app "), join(projectsDir, "tab\t")]);
  });
});

describe("readBaseConfig", () => {
  it("a missing file is an empty config", async () => {
    expect(await readBaseConfig(join(dir.path, "nope.toml"))).toEqual({ table: {}, found: false });
  });

  it("makes relative paths absolute against the file's directory, keeps ~, and reads the old layout", async () => {
    await mkdir(join(dir.path, "conf"));
    const path = await dir.file(
      "conf/base.toml",
      ['bot_token = "1:x"', "chat_id = 5", "[projects.rel]", 'path = "../code/rel"', "[projects.home]", 'path = "~/code/home"', "[plugins]", 'paths = ["plugins"]', ""].join("\n"),
    );
    const base = await readBaseConfig(path);
    expect(base).toEqual({
      found: true,
      table: {
        transport: "telegram",
        transports: { telegram: { bot_token: "1:x", chat_id: 5 } },
        projects: { rel: { path: join(dir.path, "code", "rel") }, home: { path: "~/code/home" } },
        plugins: { paths: [join(dir.path, "conf", "plugins")] },
      },
    });
    expect(configuredProjects(base.table, "/home/me")).toEqual([
      { alias: "rel", path: join(dir.path, "code", "rel") },
      { alias: "home", path: "/home/me/code/home" },
    ]);
  });

  it("an invalid or unreadable file is a ConfigError naming it", async () => {
    const path = await dir.file("bad.toml", "a = \n");
    await expect(readBaseConfig(path)).rejects.toThrow(new RegExp(`^${path}:1:\\d+: invalid TOML`));
    await expect(readBaseConfig(dir.path)).rejects.toThrow(`${dir.path}: cannot read the base config (it is a directory)`);
  });
});
