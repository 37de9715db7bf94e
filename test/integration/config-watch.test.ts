/**
 * Hot reload against real files: edits as an editor or a user makes them,
 * observed through chokidar, and what the running takopi would then use.
 */
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { afterEach, beforeEach, expect, it } from "vitest";
import { loadConfig, type LoadedConfig } from "../../src/config/load.js";
import { watchConfig, type ConfigChange, type ConfigWatcher } from "../../src/config/watch.js";
import { scratchDir, waitFor, type ScratchDir } from "../support/scripts.js";

interface LogLine {
  level: number;
  event?: string;
  msg: string;
  keys?: string[];
}

const WARN = 40;

let dir: ScratchDir;
let path: string;
let lines: LogLine[];
let log: Logger;
let reloads: { next: LoadedConfig; change: ConfigChange }[];
let watcher: ConfigWatcher | null;

const config = (body: string, top = "") => `watch_config = true
${top}
[transports.telegram]
bot_token = "123:abc"
chat_id = 100
${body}`;

beforeEach(async () => {
  dir = await scratchDir("takopi-config-watch-");
  path = await dir.file("takopi.toml", config('[projects.app]\npath = "/srv/app"\n'));
  lines = [];
  log = pino({ level: "debug", base: null }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  reloads = [];
  watcher = null;
});

afterEach(async () => {
  await watcher?.close();
  await dir.dispose();
});

async function start(): Promise<ConfigWatcher> {
  const initial = await loadConfig(path, { env: { HOME: dir.path } });
  watcher = await watchConfig({
    path,
    initial,
    engineIds: ["codex", "claude"],
    log,
    env: { HOME: dir.path },
    onReload(next, change) {
      reloads.push({ next, change });
    },
  });
  return watcher;
}

const logged = (event: string) => lines.filter((line) => line.event === event);

it("applies a valid edit: projects, engine defaults and plugin config change without a restart", async () => {
  const live = await start();
  await writeFile(path, config('[projects.web]\npath = "/srv/web"\ndefault_engine = "Claude"\n[plugins.status]\nverbose = true\n', 'default_engine = "claude"'));
  await waitFor(() => reloads.length === 1, 10_000, "the reload");
  const [reload] = reloads;
  expect(reload?.change.restartRequired).toEqual([]);
  expect(Object.keys(live.current().settings.projects)).toEqual(["web"]);
  expect(live.current().settings.projects.web?.default_engine).toBe("claude");
  expect(live.current().settings.default_engine).toBe("claude");
  expect(live.current().raw.plugins).toEqual({ status: { verbose: true } });
  expect(reload?.next).toBe(live.current());
});

it("rejects an invalid edit with one warning and keeps the last good config", async () => {
  const live = await start();
  const before = live.current();
  await writeFile(path, config('[projects.app]\npath = "/srv/app"\nchat_id = "abc"\n'));
  await waitFor(() => logged("config.invalid").length === 1, 10_000, "the rejection warning");
  expect(logged("config.invalid")[0]).toMatchObject({
    level: WARN,
    msg: `config edit rejected, keeping the last good config: ${path}: \`projects.app.chat_id\` must be an integer, found the string "abc"`,
  });
  expect(live.current()).toBe(before);

  // Broken TOML is rejected the same way; the good config still stands.
  await writeFile(path, "[transports.telegram\n");
  await waitFor(() => logged("config.invalid").length === 2, 10_000, "the second rejection");
  expect(logged("config.invalid")[1]?.msg).toMatch(new RegExp(`^config edit rejected, keeping the last good config: ${path}:1:\\d+: invalid TOML: `));
  expect(live.current()).toBe(before);
  expect(reloads).toEqual([]);

  // Fixing the file applies it.
  await writeFile(path, config('[projects.app]\npath = "/srv/app"\nchat_id = -5\n'));
  await waitFor(() => reloads.length === 1, 10_000, "the reload after the fix");
  expect(live.current().settings.projects.app?.chat_id).toBe(-5);
});

it("reports transport changes as needing a restart and keeps the running transport settings", async () => {
  const live = await start();
  const running = live.current().settings.transports;
  await writeFile(path, config('[projects.app]\npath = "/srv/other"\n').replace("chat_id = 100", 'chat_id = 200\nsession_mode = "chat"\nmessage_overflow = "trim"'));
  await waitFor(() => reloads.length === 1, 10_000, "the reload");
  // message_overflow = "trim" only spells out the default: not a change.
  expect(reloads[0]?.change.restartRequired).toEqual(["transports.telegram.chat_id", "transports.telegram.session_mode"]);
  expect(logged("config.restart_required")).toEqual([
    expect.objectContaining({
      level: WARN,
      keys: ["transports.telegram.chat_id", "transports.telegram.session_mode"],
      msg: "transport settings changed (transports.telegram.chat_id, transports.telegram.session_mode); restart takopi to apply them",
    }),
  ]);
  // Everything else is applied; the transport is what takopi started with.
  expect(live.current().settings.projects.app?.path).toBe("/srv/other");
  expect(live.current().settings.transports).toEqual(running);
  expect(live.current().settings.transports.telegram?.chat_id).toBe(100);
});

it("sees an editor's atomic save (write a temp file, rename it over the config)", async () => {
  const live = await start();
  const temp = join(dir.path, ".takopi.toml.swp");
  await writeFile(temp, config('[projects.renamed]\npath = "/srv/renamed"\n'));
  await rename(temp, path);
  await waitFor(() => reloads.length === 1, 10_000, "the reload after the rename");
  expect(Object.keys(live.current().settings.projects)).toEqual(["renamed"]);

  // And again: the watch survives the file being replaced.
  await writeFile(temp, config('[projects.again]\npath = "/srv/again"\n'));
  await rename(temp, path);
  await waitFor(() => reloads.length === 2, 10_000, "the second reload");
  expect(Object.keys(live.current().settings.projects)).toEqual(["again"]);
});

it("ignores a rewrite with identical content and edits that change no setting", async () => {
  await start();
  // The watcher checks the file once at startup (it may have changed since the first load): a no-op.
  await waitFor(() => logged("config.unchanged").length === 1, 10_000, "the startup check");
  const text = config('[projects.app]\npath = "/srv/app"\n');
  await writeFile(path, text);
  await waitFor(() => logged("config.unchanged").length === 2, 10_000, "the identical rewrite being noticed");
  await writeFile(path, `# a comment only\n${text}`);
  await waitFor(() => logged("config.unchanged").length === 3, 10_000, "the comment-only edit being noticed");
  expect(logged("config.unchanged").map((line) => line.msg)).toEqual([
    "config edit changes no setting",
    "config file rewritten with the same content",
    "config edit changes no setting",
  ]);
  await writeFile(path, config('[projects.app]\npath = "/srv/changed"\n'));
  await waitFor(() => reloads.length === 1, 10_000, "the real change");
  expect(reloads.map((reload) => reload.next.settings.projects.app?.path)).toEqual(["/srv/changed"]);
});

it("warns once when the file disappears and reloads when it comes back", async () => {
  const live = await start();
  await rm(path);
  await waitFor(() => logged("config.missing").length === 1, 10_000, "the missing-file warning");
  expect(live.current().settings.projects.app?.path).toBe("/srv/app");
  await writeFile(path, config('[projects.back]\npath = "/srv/back"\n'));
  await waitFor(() => reloads.length === 1, 10_000, "the reload");
  expect(Object.keys(live.current().settings.projects)).toEqual(["back"]);
  expect(logged("config.missing")).toHaveLength(1);
});
