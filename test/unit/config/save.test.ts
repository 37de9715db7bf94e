import { chmod, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "smol-toml";
import { afterEach, beforeEach, expect, it } from "vitest";
import { writeConfig } from "../../../src/config/save.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

let dir: ScratchDir;
beforeEach(async () => {
  dir = await scratchDir("takopi-config-save-");
});
afterEach(async () => {
  await dir.dispose();
});

const TABLE = { default_engine: "claude", transports: { telegram: { bot_token: "t", chat_id: -100 } }, codex: { extra_args: ["-c", "x"] } };

it("creates missing directories, writes TOML readable by owner only, and leaves no temp file", async () => {
  const path = join(dir.path, "nested", ".takopi", "takopi.toml");
  await writeConfig(path, TABLE);
  expect(parse(await readFile(path, "utf8"))).toEqual(TABLE);
  expect((await stat(path)).mode & 0o777).toBe(0o600);
  expect(await readdir(join(dir.path, "nested", ".takopi"))).toEqual(["takopi.toml"]);
});

it("replaces an existing file and keeps its mode", async () => {
  const path = await dir.file("takopi.toml", "old = true\n");
  await chmod(path, 0o640);
  const before = await stat(path);
  await writeConfig(path, TABLE);
  const after = await stat(path);
  expect(after.mode & 0o777).toBe(0o640);
  // A new inode: the file was replaced by rename, not rewritten in place.
  expect(after.ino).not.toBe(before.ino);
  expect(parse(await readFile(path, "utf8"))).toEqual(TABLE);
});

it("writes through a symlink, keeping the link", async () => {
  const target = await dir.file("real.toml", "a = 1\n");
  const link = join(dir.path, "takopi.toml");
  await symlink(target, link);
  await writeConfig(link, { a: 2 });
  expect((await readdir(dir.path)).sort()).toEqual(["real.toml", "takopi.toml"]);
  expect(await readFile(target, "utf8")).toBe("a = 2\n");
  await writeFile(target, "a = 3\n");
  expect(await readFile(link, "utf8")).toBe("a = 3\n");
});
