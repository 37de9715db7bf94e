/**
 * Plugin discovery and loading as a user meets it: `takopi plugins` and
 * `takopi --help` in real processes, over plugin packages laid out on disk,
 * with a module-load hook proving what was (not) imported.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadedModules, takopi } from "../support/cli.js";
import { commandModule, engineModule, markImport, writePackage } from "../support/plugin-packages.js";
import { scratchDir, type ScratchDir } from "../support/scripts.js";

let dir: ScratchDir;
let home: string;
let pluginDir: string;
let configPath: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await scratchDir("takopi-plugins-cli-");
  home = join(dir.path, "home");
  await mkdir(home, { recursive: true });
  pluginDir = join(dir.path, "plugins");
  await writePackage(pluginDir, {
    name: "takopi-hello",
    version: "2.1.0",
    manifest: { apiVersion: 1, commands: { hello: { module: "./dist/hello.js", description: "say hello" } }, engines: { gemini: "./dist/gemini.js" } },
    files: { "dist/hello.js": commandModule("hello"), "dist/gemini.js": engineModule("gemini") },
  });
  await writePackage(pluginDir, {
    name: "takopi-broken",
    manifest: { commands: { syntax: "./syntax.js", throws: "./throws.js", shape: "./shape.js" } },
    files: {
      "syntax.js": `${markImport("syntax")}export default {{;\n`,
      "throws.js": `${markImport("throws")}throw new Error("cannot connect to the database");\n`,
      "shape.js": `${markImport("shape")}export default { id: "shape" };\n`,
    },
  });
  await writePackage(pluginDir, { name: "takopi-dup-a", manifest: { commands: { dup: "./x.js" } }, files: { "x.js": commandModule("dup") } });
  await writePackage(pluginDir, { name: "takopi-dup-b", manifest: { commands: { dup: "./x.js" } }, files: { "x.js": commandModule("dup") } });
  await writePackage(pluginDir, { name: "takopi-disabled", manifest: { commands: { later: "./x.js" } }, files: { "x.js": commandModule("later") } });
  await writePackage(pluginDir, { name: "takopi-reserved", manifest: { commands: { cancel: "./x.js" } }, files: { "x.js": commandModule("cancel") } });

  configPath = join(dir.path, "takopi.toml");
  await writeFile(
    configPath,
    [
      'default_engine = "codex"',
      "[transports.telegram]",
      'bot_token = "123:abc"',
      "chat_id = 42",
      "[plugins]",
      'enabled = ["takopi-hello", "takopi-broken", "takopi-dup-a", "takopi-dup-b", "takopi-reserved"]',
      "",
    ].join("\n"),
  );
  env = { TAKOPI_PLUGIN_PATH: pluginDir, TAKOPI_CONFIG: configPath };
});

afterAll(async () => {
  await dir.dispose();
});

const EXPECTED_LISTING = [
  "engine backends:",
  "  claude (built-in) — Claude Code",
  "  codex (built-in) — OpenAI Codex CLI",
  "  gemini (takopi-hello 2.1.0) enabled",
  "  opencode (built-in) — OpenCode",
  "  pi (built-in) — pi coding agent",
  "transport backends:",
  "  telegram (built-in) — Telegram Bot API (long polling)",
  "command backends:",
  "  hello (takopi-hello 2.1.0) enabled — say hello",
  "  later (takopi-disabled 1.0.0) disabled",
  "  shape (takopi-broken 1.0.0) enabled",
  "  syntax (takopi-broken 1.0.0) enabled",
  "  throws (takopi-broken 1.0.0) enabled",
  "errors:",
  "  command cancel (takopi-reserved): reserved plugin id 'cancel' is not allowed",
  "  command dup (takopi-dup-a): duplicate plugin id 'dup' from takopi-dup-a, takopi-dup-b",
  "  command dup (takopi-dup-b): duplicate plugin id 'dup' from takopi-dup-a, takopi-dup-b",
];

/**
 * This checkout's own deployment overlay (npm workspaces, linked into its
 * node_modules) is installed next to takopi, so takopi lists it too; these
 * tests are about the packages they lay out themselves.
 */
function withoutOverlay(lines: string[]): string[] {
  return lines.filter((line) => !line.includes("(takopi-overlay-"));
}

function isPluginOrEngineModule(url: string): boolean {
  return url.includes("/dist/engines/") || url.includes("/dist/telegram/") || url.includes("/plugins/takopi-") || url.includes("/overlay/");
}

describe("takopi plugins", () => {
  it("lists built-ins and installed plugins, with every problem, without importing any of them", async () => {
    const moduleLog = join(dir.path, "modules-list.log");
    const result = await takopi(["plugins"], { home, env, moduleLog });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(withoutOverlay(result.stdout.split("\n"))).toEqual([...EXPECTED_LISTING]);
    const modules = await loadedModules(moduleLog);
    expect(modules.some((url) => url.endsWith("/dist/cli/plugins.js"))).toBe(true);
    expect(modules.filter(isPluginOrEngineModule)).toEqual([]);
  });

  it("--load imports each enabled plugin and reports the broken ones, without failing", async () => {
    const moduleLog = join(dir.path, "modules-load.log");
    const result = await takopi(["plugins", "--load"], { home, env, moduleLog });
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines).toContain("  hello (takopi-hello 2.1.0) enabled — say hello");
    expect(lines).toContain("  syntax (takopi-broken 1.0.0) enabled failed to load");
    expect(lines).toContain("  command throws (takopi-broken): failed to load: Error: cannot connect to the database");
    expect(lines).toContain("  command shape (takopi-broken): the command backend is missing description (string), handle (function)");
    expect(lines.some((line) => /^ {2}command syntax \(takopi-broken\): failed to load: SyntaxError: /.test(line))).toBe(true);

    // The hook sees imports, so the listing test above is not vacuous.
    const modules = await loadedModules(moduleLog);
    for (const engine of ["codex", "claude", "opencode", "pi"]) {
      expect(modules.some((url) => url.endsWith(`/dist/engines/${engine}/index.js`))).toBe(true);
    }
    expect(modules.some((url) => url.endsWith("/dist/telegram/backend.js"))).toBe(true);
    expect(modules.some((url) => url.endsWith("/plugins/takopi-hello/dist/hello.js"))).toBe(true);
    expect(modules.some((url) => url.includes("takopi-disabled"))).toBe(false);
  });

  it("still lists plugins when the config is broken, saying why on stderr", async () => {
    const broken = join(dir.path, "broken.toml");
    await writeFile(broken, "default_engine = \n");
    const result = await takopi(["plugins", "--config", broken], { home, env: { TAKOPI_PLUGIN_PATH: pluginDir } });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/^warning: .*broken\.toml:1:\d+: invalid TOML.* \(listing without \[plugins\] settings\)$/);
    expect(result.stdout).toContain("  later (takopi-disabled 1.0.0)\n");
  });
});

describe("takopi --help", () => {
  it("imports no engine, transport or plugin module, no subcommand module, and not even commander", async () => {
    const moduleLog = join(dir.path, "modules-help.log");
    const result = await takopi(["--help"], { home, env, moduleLog });
    expect(result.exitCode).toBe(0);
    for (const command of ["run", "init", "config", "doctor", "plugins", "replay"]) expect(result.stdout).toContain(`  ${command}`);
    const modules = await loadedModules(moduleLog);
    expect(modules.filter(isPluginOrEngineModule)).toEqual([]);
    expect(modules.filter((url) => /\/dist\/(cli\/(?!main\.js|help\.js)|config\/|plugins\/)/.test(url) || url.includes("/commander/"))).toEqual([]);
  });

  it.each(["run", "init", "config", "config set", "doctor", "plugins", "replay"])("`%s --help` works", async (command) => {
    const result = await takopi([...command.split(" "), "--help"], { home, env });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Usage: takopi /);
    if (command !== "replay" && command !== "config") expect(result.stdout).toContain("--config <path>");
  });

  it("an unknown subcommand is one line, not an attempt to start the bridge", async () => {
    const result = await takopi(["confg"], { home, env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe("takopi: unknown command 'confg' (see takopi --help)");
  });
});
