import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { discoverPlugins } from "../../../src/plugins/discover.js";
import { PluginLoadError, PluginRegistry } from "../../../src/plugins/registry.js";
import { commandModule, engineModule, markImport, writePackage } from "../../support/plugin-packages.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

let dir: ScratchDir;
let registry: PluginRegistry;
let importLog: string;
const savedLog = process.env.TAKOPI_TEST_IMPORT_LOG;

async function imported(): Promise<string[]> {
  const text = await readFile(importLog, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line !== "");
}

beforeEach(async () => {
  dir = await scratchDir("takopi-registry-");
  importLog = join(dir.path, "imports.log");
  process.env.TAKOPI_TEST_IMPORT_LOG = importLog;
  const takopiRoot = await writePackage(join(dir.path, "takopi-root"), { name: "takopi", manifest: {} });
  const extra = join(dir.path, "extra");
  await writePackage(extra, {
    name: "takopi-good",
    manifest: { commands: { hello: "./hello.js" }, engines: { gemini: "./gemini.js" } },
    files: { "hello.js": commandModule("hello"), "gemini.js": engineModule("gemini") },
  });
  await writePackage(extra, {
    name: "takopi-broken",
    manifest: {
      commands: { syntax: "./syntax.js", throws: "./throws.js", mismatch: "./mismatch.js", shapeless: "./shapeless.js", nodefault: "./nodefault.js", number: "./number.js" },
    },
    files: {
      "syntax.js": `${markImport("syntax")}export default {{;\n`,
      "throws.js": `${markImport("throws")}throw new Error("database not reachable\\nsecond line");\n`,
      "mismatch.js": commandModule("mismatch", { backendId: "other" }),
      "shapeless.js": `${markImport("shapeless")}export default { id: "shapeless", description: 42 };\n`,
      "nodefault.js": `${markImport("nodefault")}export const backend = {};\n`,
      "number.js": "export default 7;\n",
    },
  });
  await writePackage(extra, { name: "takopi-off", manifest: { commands: { off: "./off.js" } }, files: { "off.js": commandModule("off") } });
  const catalog = await discoverPlugins({ takopiRoot, env: { TAKOPI_PLUGIN_PATH: extra }, enabled: ["takopi-good", "takopi-broken"] });
  registry = new PluginRegistry(catalog);
});

afterEach(async () => {
  if (savedLog === undefined) delete process.env.TAKOPI_TEST_IMPORT_LOG;
  else process.env.TAKOPI_TEST_IMPORT_LOG = savedLog;
  await dir.dispose();
});

describe("PluginRegistry", () => {
  it("imports nothing until a plugin is used, then imports it once", async () => {
    expect(registry.ids("command")).toEqual(["hello", "mismatch", "nodefault", "number", "shapeless", "syntax", "throws"]);
    expect(await imported()).toEqual([]);

    const hello = await registry.load("command", "hello");
    expect(hello.id).toBe("hello");
    expect(hello.description).toBe("test command hello");
    await registry.load("command", "hello");
    const gemini = await registry.load("engine", "gemini");
    expect(gemini.cliCommand).toBe("gemini-cli");
    expect(await imported()).toEqual(["hello", "gemini"]);
  });

  it("turns every kind of broken plugin into one line naming plugin and package", async () => {
    const errors: Record<string, string> = {};
    for (const id of ["syntax", "throws", "mismatch", "shapeless", "nodefault", "number"]) {
      const outcome = await registry.tryLoad("command", id);
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) errors[id] = outcome.error;
    }
    // Under vitest the import goes through vite, which words syntax errors its own way; the CLI test checks Node's.
    expect(errors.syntax).toMatch(/^command 'syntax' from takopi-broken: failed to load: \w*Error: /);
    expect(errors).toMatchObject({
      throws: "command 'throws' from takopi-broken: failed to load: Error: database not reachable",
      mismatch: `command 'mismatch' from takopi-broken: command id "other" does not match its manifest key 'mismatch'`,
      shapeless: "command 'shapeless' from takopi-broken: the command backend is missing description (string), handle (function)",
      nodefault: "command 'nodefault' from takopi-broken: the module has no default export",
      number: "command 'number' from takopi-broken: the default export must be a command backend object, found number",
    });
    for (const message of Object.values(errors)) expect(message).not.toContain("\n");
    // The good plugin still works after the broken ones failed.
    expect((await registry.load("command", "hello")).id).toBe("hello");
    expect(registry.problems().map((problem) => problem.id).sort()).toEqual(["mismatch", "nodefault", "number", "shapeless", "syntax", "throws"]);
  });

  it("says what is available for an unknown id and why a disabled one is refused", async () => {
    await expect(registry.load("engine", "gpt")).rejects.toThrow(new PluginLoadError("unknown engine 'gpt'; available: gemini"));
    await expect(registry.load("command", "off")).rejects.toThrow("command 'off' comes from takopi-off, which is not in [plugins] enabled");
    expect(await imported()).toEqual([]);
  });

  it("loadAll imports every enabled plugin and skips disabled ones", async () => {
    await registry.loadAll();
    const log = await imported();
    expect(log).toContain("hello");
    expect(log).toContain("gemini");
    expect(log).not.toContain("off");
    expect(registry.problems()).toHaveLength(6);
  });
});
