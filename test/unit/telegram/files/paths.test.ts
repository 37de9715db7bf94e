import { realpath } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DENY_GLOBS } from "../../../../src/config/schema.js";
import { normalizeRelativePath, resolveProjectPath } from "../../../../src/telegram/files/paths.js";
import { projectTree, type ProjectTree } from "../../../support/project-tree.js";
import { scratchDir, type ScratchDir } from "../../../support/scripts.js";

let dir: ScratchDir;
let tree: ProjectTree;

beforeAll(async () => {
  dir = await scratchDir("takopi-paths-");
  tree = await projectTree(dir.path);
});
afterAll(async () => {
  await dir.dispose();
});

describe("normalizeRelativePath", () => {
  it.each([
    ["docs/a.txt", "docs/a.txt"],
    ["./docs//a.txt", "docs/a.txt"],
    ["  docs/  ", "docs"],
    ["..%2fetc", "..%2fetc"],
    ["a\\..\\b", "a\\..\\b"],
    ["...", "..."],
    ["", null],
    [".", null],
    ["./.", null],
    ["..", null],
    ["a/../b", null],
    ["/etc/passwd", null],
    ["~/x", null],
    ["~", null],
    ["a\0b", null],
  ])("%j → %j", (input, expected) => {
    expect(normalizeRelativePath(input)).toBe(expected);
  });
});

describe("resolveProjectPath", () => {
  const resolve = (path: string) => resolveProjectPath(tree.root, path, DEFAULT_DENY_GLOBS);

  it.each([
    ["../x", { refused: "invalid" }],
    ["/etc/passwd", { refused: "invalid" }],
    ["~/x", { refused: "invalid" }],
    ["a/../../x", { refused: "invalid" }],
    [".git/config", { refused: "denied", rule: ".git/**" }],
    ["sub/.git/x", { refused: "denied", rule: ".git/**" }],
    [".env", { refused: "denied", rule: ".env" }],
    ["keys/key.pem", { refused: "denied", rule: "*.pem" }],
    ["link-out-file", { refused: "escapes" }],
    ["link-out-dir", { refused: "escapes" }],
    ["link-out-dir/inner.txt", { refused: "escapes" }],
    ["link-out-dir/new.txt", { refused: "escapes" }],
    ["link-out-abs/secret.txt", { refused: "escapes" }],
    ["link-tmp/x", { refused: "escapes" }],
    ["src/link-up-up/outside/secret.txt", { refused: "escapes" }],
    ["docs/link-out/secret.txt", { refused: "escapes" }],
    ["link-dangling", { refused: "escapes" }],
    ["link-loop", { refused: "escapes" }],
    // A link inside the project to a denied file is denied by where it leads.
    ["link-env", { refused: "denied", rule: ".env" }],
    ["link-git/config", { refused: "denied", rule: ".git/**" }],
    ["src/link-up/.env", { refused: "denied", rule: ".env" }],
  ])("refuses %s", async (path, expected) => {
    expect(await resolve(path)).toEqual(expected);
  });

  it("accepts files, directories and new paths inside, at their real location", async () => {
    const root = await realpath(tree.root);
    expect(await resolve("src/a.ts")).toEqual({ rel: "src/a.ts", real: join(root, "src/a.ts"), kind: "file" });
    expect(await resolve("docs")).toEqual({ rel: "docs", real: join(root, "docs"), kind: "directory" });
    expect(await resolve("new/dir/file.bin")).toEqual({ rel: "new/dir/file.bin", real: join(root, "new/dir/file.bin"), kind: null });
    expect(await resolve("..%2fname")).toEqual({ rel: "..%2fname", real: join(root, "..%2fname"), kind: "file" });
    // Links that stay inside lead to their target.
    expect(await resolve("link-in-file")).toEqual({ rel: "link-in-file", real: join(root, "src/a.ts"), kind: "file" });
    expect(await resolve("link-in-dir/new.txt")).toEqual({ rel: "link-in-dir/new.txt", real: join(root, "src/new.txt"), kind: null });
    expect(await resolve("src/link-up/README.md")).toEqual({ rel: "src/link-up/README.md", real: join(root, "README.md"), kind: "file" });
    expect(await resolve("link-root")).toEqual({ rel: "link-root", real: root, kind: "directory" });
  });

  it("treats a path below a file as missing (the write then fails, inside)", async () => {
    const root = await realpath(tree.root);
    expect(await resolve("README.md/x")).toEqual({ rel: "README.md/x", real: join(root, "README.md/x"), kind: null });
  });
});
