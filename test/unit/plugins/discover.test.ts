import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { discoverPlugins, type PluginCatalog } from "../../../src/plugins/discover.js";
import { commandModule, engineModule, writePackage } from "../../support/plugin-packages.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

let dir: ScratchDir;
let modules: string;
let takopiRoot: string;

beforeEach(async () => {
  dir = await scratchDir("takopi-discover-");
  modules = join(dir.path, "app", "node_modules");
  // takopi installed as a dependency: its manifest declares the built-ins.
  takopiRoot = await writePackage(modules, {
    name: "takopi",
    manifest: { apiVersion: 1, engines: { codex: "./dist/codex.js" }, transports: { telegram: { module: "./dist/telegram.js", description: "Telegram" } } },
    files: { "dist/codex.js": engineModule("codex"), "dist/telegram.js": "export default {};\n" },
  });
});

afterEach(async () => {
  await dir.dispose();
});

function summary(catalog: PluginCatalog): string[] {
  return catalog.entries.map((entry) => `${entry.kind} ${entry.id} ${entry.packageName}${entry.builtin ? " builtin" : ""}${entry.enabled ? "" : " disabled"}`);
}

function problems(catalog: PluginCatalog): string[] {
  return catalog.problems.map((problem) => `${problem.kind ?? "package"} ${problem.id ?? "-"} ${problem.packageName}: ${problem.message}`);
}

describe("discoverPlugins", () => {
  it("finds takopi's built-ins and packages installed next to it, scoped ones included", async () => {
    await writePackage(modules, { name: "takopi-hello", manifest: { commands: { hello: "./hello.js" } }, files: { "hello.js": commandModule("hello") } });
    await writePackage(modules, { name: "@acme/takopi-gemini", manifest: { engines: { gemini: "./index.js" } }, files: { "index.js": engineModule("gemini") } });
    await writePackage(modules, { name: "left-pad", manifest: undefined });
    await mkdir(join(modules, ".bin"), { recursive: true });

    const catalog = await discoverPlugins({ takopiRoot, env: {} });
    expect(summary(catalog)).toEqual([
      "engine codex takopi builtin",
      "engine gemini @acme/takopi-gemini",
      "transport telegram takopi builtin",
      "command hello takopi-hello",
    ]);
    expect(catalog.problems).toEqual([]);
    const telegram = catalog.entries.find((entry) => entry.id === "telegram");
    expect(telegram?.description).toBe("Telegram");
    expect(telegram?.modulePath).toBe(join(takopiRoot, "dist", "telegram.js"));
  });

  it("reads extra directories from TAKOPI_PLUGIN_PATH and [plugins] paths: a package, or a directory of packages", async () => {
    const single = await writePackage(join(dir.path, "single"), { name: "takopi-one", manifest: { commands: { one: "./one.js" } }, files: { "one.js": commandModule("one") } });
    const many = join(dir.path, "many");
    await writePackage(many, { name: "takopi-two", manifest: { commands: { two: "./two.js" } }, files: { "two.js": commandModule("two") } });
    await writePackage(many, { name: "takopi-three", manifest: { commands: { three: "./three.js" } }, files: { "three.js": commandModule("three") } });

    const catalog = await discoverPlugins({ takopiRoot, env: { TAKOPI_PLUGIN_PATH: single }, paths: [many, join(dir.path, "missing")] });
    expect(summary(catalog).filter((line) => line.startsWith("command"))).toEqual([
      "command one takopi-one",
      "command three takopi-three",
      "command two takopi-two",
    ]);
    expect(problems(catalog)).toEqual([`package - ${join(dir.path, "missing")}: plugin path ${join(dir.path, "missing")} is not a directory`]);
  });

  it("reports each broken manifest and entry with its package name, and keeps the good ones", async () => {
    const extra = join(dir.path, "extra");
    await writePackage(extra, { name: "takopi-bad-manifest", manifest: { commands: 5 } });
    await writePackage(extra, { name: "takopi-future", manifest: { apiVersion: 99, commands: { future: "./f.js" } }, files: { "f.js": commandModule("future") } });
    await writePackage(extra, {
      name: "takopi-mixed",
      manifest: {
        commands: {
          "Bad-Id": "./ok.js",
          cancel: "./ok.js",
          config: "./ok.js",
          escape: "../../../etc/passwd",
          unbuilt: "./dist/missing.js",
          fine: "./ok.js",
        },
      },
      files: { "ok.js": commandModule("fine") },
    });

    const catalog = await discoverPlugins({ takopiRoot, env: { TAKOPI_PLUGIN_PATH: extra } });
    expect(summary(catalog).filter((line) => line.startsWith("command"))).toEqual(["command fine takopi-mixed"]);
    expect(problems(catalog).sort()).toEqual(
      [
        "package - takopi-bad-manifest: invalid takopi manifest at takopi.commands: Invalid input: expected record, received number",
        "package - takopi-future: needs plugin API v99; this takopi provides v1 (upgrade takopi)",
        "command Bad-Id takopi-mixed: invalid plugin id 'Bad-Id'; must match ^[a-z0-9_]{1,32}$",
        "command cancel takopi-mixed: reserved plugin id 'cancel' is not allowed",
        "command config takopi-mixed: reserved plugin id 'config' is not allowed",
        "command escape takopi-mixed: module '../../../etc/passwd' is outside the package",
        "command unbuilt takopi-mixed: module './dist/missing.js' does not exist (is the package built?)",
      ].sort(),
    );
  });

  it("refuses every copy of an id two packages claim, and a third-party copy of a built-in id", async () => {
    const extra = join(dir.path, "extra");
    await writePackage(extra, { name: "takopi-dup-a", manifest: { commands: { dup: "./x.js" } }, files: { "x.js": commandModule("dup") } });
    await writePackage(extra, { name: "takopi-dup-b", manifest: { commands: { dup: "./x.js" } }, files: { "x.js": commandModule("dup") } });
    // Engines and commands share the chat's /id namespace.
    await writePackage(extra, { name: "takopi-cross", manifest: { engines: { dup: "./x.js" } }, files: { "x.js": engineModule("dup") } });
    await writePackage(extra, { name: "takopi-codex-fork", manifest: { engines: { codex: "./x.js" } }, files: { "x.js": engineModule("codex") } });
    // Transports have a namespace of their own: a transport may share a command's id.
    await writePackage(extra, { name: "takopi-dup-transport", manifest: { transports: { dup: "./x.js" } }, files: { "x.js": "export default {};\n" } });

    const catalog = await discoverPlugins({ takopiRoot, env: { TAKOPI_PLUGIN_PATH: extra } });
    expect(summary(catalog)).toEqual(["engine codex takopi builtin", "transport dup takopi-dup-transport", "transport telegram takopi builtin"]);
    expect(problems(catalog).sort()).toEqual(
      [
        "command dup takopi-dup-a: duplicate plugin id 'dup' from takopi-cross (engine), takopi-dup-a (command), takopi-dup-b (command)",
        "command dup takopi-dup-b: duplicate plugin id 'dup' from takopi-cross (engine), takopi-dup-a (command), takopi-dup-b (command)",
        "engine dup takopi-cross: duplicate plugin id 'dup' from takopi-cross (engine), takopi-dup-a (command), takopi-dup-b (command)",
        "engine codex takopi-codex-fork: plugin id 'codex' is taken by takopi's built-in engine",
      ].sort(),
    );
  });

  it("filters by [plugins] enabled using canonical package names; built-ins stay enabled", async () => {
    const extra = join(dir.path, "extra");
    await writePackage(extra, { name: "takopi_Slack.Bridge", manifest: { commands: { slack: "./x.js" } }, files: { "x.js": commandModule("slack") } });
    await writePackage(extra, { name: "takopi-other", manifest: { commands: { other: "./x.js" } }, files: { "x.js": commandModule("other") } });
    // A disabled package's id does not collide with an enabled one.
    await writePackage(extra, { name: "takopi-slack-old", manifest: { commands: { slack: "./x.js" } }, files: { "x.js": commandModule("slack") } });

    const catalog = await discoverPlugins({ takopiRoot, env: { TAKOPI_PLUGIN_PATH: extra }, enabled: ["TAKOPI-slack-bridge"] });
    expect(catalog.allowlist).toEqual(["takopi-slack-bridge"]);
    expect(summary(catalog)).toEqual([
      "engine codex takopi builtin",
      "transport telegram takopi builtin",
      "command other takopi-other disabled",
      "command slack takopi_Slack.Bridge",
      "command slack takopi-slack-old disabled",
    ]);
    expect(catalog.problems).toEqual([]);
  });

  it("finds a package once even when it is reachable twice (workspace link and plugin path)", async () => {
    const real = await writePackage(join(dir.path, "overlay"), { name: "takopi-reload", manifest: { commands: { reload: "./r.js" } }, files: { "r.js": commandModule("reload") } });
    const { symlink } = await import("node:fs/promises");
    await symlink(real, join(modules, "takopi-reload"));
    const catalog = await discoverPlugins({ takopiRoot, env: { TAKOPI_PLUGIN_PATH: join(dir.path, "overlay") } });
    expect(summary(catalog).filter((line) => line.startsWith("command"))).toEqual(["command reload takopi-reload"]);
    expect(catalog.problems).toEqual([]);
  });

  it("does not parse package.json files without a takopi field, and survives unreadable ones", async () => {
    await mkdir(join(modules, "broken-json"), { recursive: true });
    await writeFile(join(modules, "broken-json", "package.json"), "{ not json");
    await mkdir(join(modules, "takopi-broken-json"), { recursive: true });
    await writeFile(join(modules, "takopi-broken-json", "package.json"), '{ "name": "takopi-broken-json", "takopi": ');
    const catalog = await discoverPlugins({ takopiRoot, env: {} });
    expect(summary(catalog)).toEqual(["engine codex takopi builtin", "transport telegram takopi builtin"]);
    expect(problems(catalog)).toEqual([`package - ${join(modules, "takopi-broken-json")}: package.json is not valid JSON`]);
  });
});
