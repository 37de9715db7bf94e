/**
 * A project directory with the traps a `/file` path can fall into — symlinks
 * to files and directories outside it, to denied files and to `.git`, a
 * dangling and a looping link — beside an `outside` directory whose files
 * carry a marker, so a test can tell when anything from outside leaked in or
 * anything outside changed.
 */
import { createHash } from "node:crypto";
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const OUTSIDE_MARKER = "OUTSIDE-SECRET-7f3a";
export const DENIED_MARKER = "DENIED-SECRET-91c2";

export interface ProjectTree {
  root: string;
  outside: string;
}

/** Builds the tree under `base` (an empty directory). */
export async function projectTree(base: string): Promise<ProjectTree> {
  const root = join(base, "root");
  const outside = join(base, "outside");
  const files: Record<string, string> = {
    "outside/secret.txt": OUTSIDE_MARKER,
    "outside/dir/inner.txt": OUTSIDE_MARKER,
    "root/README.md": "readme",
    "root/src/a.ts": "export const a = 1;\n",
    "root/src/nested/b.ts": "export const b = 2;\n",
    "root/docs/guide.md": "# guide\n",
    "root/.env": DENIED_MARKER,
    "root/keys/key.pem": DENIED_MARKER,
    "root/.git/config": DENIED_MARKER,
    "root/sub/.git/x": DENIED_MARKER,
    "root/..%2fname": "a plain name",
  };
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(base, path, ".."), { recursive: true });
    await writeFile(join(base, path), content);
  }
  const links: Record<string, string> = {
    "link-out-file": "../outside/secret.txt",
    "link-out-dir": "../outside/dir",
    "link-out-abs": outside,
    "link-tmp": "/tmp",
    "link-in-file": "src/a.ts",
    "link-in-dir": "src",
    "link-root": ".",
    "link-env": ".env",
    "link-git": ".git",
    "link-dangling": "missing/nowhere",
    "link-loop": "link-loop",
    "src/link-up": "..",
    "src/link-up-up": "../..",
    "docs/link-out": "../../outside",
  };
  for (const [path, target] of Object.entries(links)) await symlink(target, join(root, path));
  return { root, outside };
}

/** Every entry below `dir` (links not followed) with a digest of its content or target: equal snapshots, nothing changed. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const stats = await lstat(path);
    const key = path.slice(dir.length + 1);
    if (stats.isSymbolicLink()) result[key] = `link:${await readlink(path)}`;
    else if (stats.isFile()) result[key] = `file:${createHash("sha256").update(await readFile(path)).digest("hex")}`;
    else result[key] = stats.isDirectory() ? "dir" : "other";
  }
  return result;
}
