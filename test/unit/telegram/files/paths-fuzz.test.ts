// Generated paths against a real directory tree with symlinks inside and
// outside it (test/support/project-tree.ts): whatever the resolver accepts
// must really be inside the project and match no deny rule, a write through
// the upload path must change nothing outside, and `/file get`'s reads must
// never return anything from outside or from a denied file.
import { lstat, realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DENY_GLOBS } from "../../../../src/config/schema.js";
import { denyReason } from "../../../../src/telegram/files/deny-globs.js";
import { fetchProjectPath } from "../../../../src/telegram/files/fetch.js";
import { isInside, isRefusal, resolveProjectPath } from "../../../../src/telegram/files/paths.js";
import { checkTarget, writeChecked } from "../../../../src/telegram/files/save.js";
import { prng } from "../../../support/prng.js";
import { DENIED_MARKER, OUTSIDE_MARKER, projectTree, snapshot, type ProjectTree } from "../../../support/project-tree.js";
import { scratchDir, type ScratchDir } from "../../../support/scripts.js";
import { readZip } from "../../../support/zip-reader.js";

const SEED = 0x5eed_f11e;
const CASES = 600;

/** Names that exist in the tree, names that do not, and every kind of trap. */
const SEGMENTS = [
  "src", "a.ts", "nested", "b.ts", "docs", "guide.md", "README.md", "keys", "key.pem", "sub", "x", "new", "new.txt",
  "..", ".", "", "...", "~", "~user", ".git", ".GIT", "config", ".env", ".envrc", ".ssh", "id_rsa", "..%2f", "..%2fname", "%2e%2e", "a\\..\\b", " ",
  "link-out-file", "link-out-dir", "link-out-abs", "link-tmp", "link-in-file", "link-in-dir", "link-root", "link-env", "link-git",
  "link-dangling", "link-loop", "link-up", "link-up-up", "link-out", "outside", "secret.txt", "inner.txt", "etc", "passwd",
];

function generatePath(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const length = 1 + Math.floor(random() * 5);
  let path = Array.from({ length }, () => pick(SEGMENTS)).join("/");
  const shape = random();
  if (shape < 0.08) path = `/${path}`;
  else if (shape < 0.14) path = `~/${path}`;
  else if (shape < 0.2) path = `${path}/`;
  else if (shape < 0.24) path = `./${path}`;
  return path;
}

let dir: ScratchDir;
let tree: ProjectTree;
let realRoot: string;

beforeAll(async () => {
  dir = await scratchDir("takopi-paths-fuzz-");
  tree = await projectTree(dir.path);
  realRoot = await realpath(tree.root);
});
afterAll(async () => {
  await dir.dispose();
});

/** Where a path really is: the real path of its deepest existing part, plus the rest. */
async function realLocation(path: string): Promise<string> {
  const exists = await lstat(path).then(() => true, () => false);
  if (exists) return realpath(path);
  const parent = path.slice(0, path.lastIndexOf(sep));
  return `${await realLocation(parent)}${sep}${path.slice(path.lastIndexOf(sep) + 1)}`;
}

describe(`the project path resolver under ${CASES} generated paths (seed ${SEED})`, () => {
  it("accepts only real locations inside the project that no rule denies, and writes nothing outside", async () => {
    const random = prng(SEED);
    const outsideBefore = await snapshot(tree.outside);
    // `link-tmp` leads to the real /tmp, which other programs share: no name the generator uses may appear there.
    const inTmp = async () => Promise.all(SEGMENTS.map((name) => lstat(join("/tmp", name)).then(() => name, () => null)));
    const tmpBefore = await inTmp();
    let accepted = 0;
    for (let i = 0; i < CASES; i += 1) {
      const path = generatePath(random);
      const resolved = await resolveProjectPath(tree.root, path, DEFAULT_DENY_GLOBS);
      if (isRefusal(resolved)) continue;
      accepted += 1;
      const where = await realLocation(resolved.real);
      expect(isInside(realRoot, where), `${path} → ${where}`).toBe(true);
      const rel = relative(realRoot, where).split(sep).join("/");
      expect(denyReason(rel, DEFAULT_DENY_GLOBS), `${path} → ${rel}`).toBeNull();
      expect(denyReason(resolved.rel, DEFAULT_DENY_GLOBS), path).toBeNull();

      // The upload path: checked like `/file put --force`, then written.
      const checked = await checkTarget({ files: { deny_globs: DEFAULT_DENY_GLOBS } }, { root: tree.root, force: true }, path);
      if (typeof checked !== "string") await writeChecked(checked, Buffer.from(`written for ${path}`)).catch(() => undefined);

      // The download path: nothing from outside or from a denied file comes back.
      const fetched = await fetchProjectPath(tree.root, path, DEFAULT_DENY_GLOBS, 1024 * 1024);
      if (typeof fetched !== "string") {
        const contents = fetched.filename.endsWith(".zip") && resolved.kind === "directory" ? readZip(fetched.data).map((entry) => entry.data) : [fetched.data];
        for (const content of contents) {
          expect(content.toString(), path).not.toContain(OUTSIDE_MARKER);
          expect(content.toString(), path).not.toContain(DENIED_MARKER);
        }
      }
    }
    // The generator must reach both sides, or the test proves nothing.
    expect(accepted).toBeGreaterThan(CASES / 10);
    expect(accepted).toBeLessThan(CASES);
    expect(await snapshot(tree.outside)).toEqual(outsideBefore);
    expect(await inTmp()).toEqual(tmpBefore);
  });
});
