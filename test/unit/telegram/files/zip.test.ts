import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DENY_GLOBS } from "../../../../src/config/schema.js";
import { fetchProjectPath } from "../../../../src/telegram/files/fetch.js";
import { ZipTooLargeError, ZipWriter } from "../../../../src/telegram/files/zip.js";
import { projectTree, type ProjectTree } from "../../../support/project-tree.js";
import { scratchDir, type ScratchDir } from "../../../support/scripts.js";
import { readZip } from "../../../support/zip-reader.js";

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

let dir: ScratchDir;
let tree: ProjectTree;
beforeAll(async () => {
  dir = await scratchDir("takopi-zip-");
  tree = await projectTree(join(dir.path, "tree"));
});
afterAll(async () => {
  await dir.dispose();
});

async function sample(): Promise<Buffer> {
  const zip = new ZipWriter(1024 * 1024);
  zip.addBuffer("bytes.bin", ALL_BYTES, { modified: new Date(2024, 0, 2, 3, 4, 6), mode: 0o600 });
  zip.addBuffer("empty.txt", Buffer.alloc(0));
  zip.addBuffer("dir/ünïcode ✓.txt", Buffer.from("héllo\n"));
  const file = join(dir.path, "streamed.txt");
  await writeFile(file, "streamed ".repeat(1000));
  await zip.addFile("dir/streamed.txt", file, { modified: new Date(), mode: 0o755 });
  return zip.finish();
}

describe("ZipWriter", () => {
  it("writes deflated entries that read back byte for byte, with UTF-8 names and modes", async () => {
    const entries = readZip(await sample());
    expect(entries.map((entry) => entry.name)).toEqual(["bytes.bin", "empty.txt", "dir/ünïcode ✓.txt", "dir/streamed.txt"]);
    expect(entries[0]?.data.equals(ALL_BYTES)).toBe(true);
    expect(entries[0]?.mode).toBe(0o600);
    expect(entries[1]?.data.length).toBe(0);
    expect(entries[2]?.data.toString()).toBe("héllo\n");
    expect(entries[3]?.data.toString()).toBe("streamed ".repeat(1000));
    expect(entries[3]?.mode).toBe(0o755);
  });

  // Independent readers, where the machine has them: what the person's unzip will see.
  it.runIf(existsSync("/usr/bin/unzip"))("passes unzip's own test", async () => {
    const path = join(dir.path, "sample.zip");
    await writeFile(path, await sample());
    const output = execFileSync("unzip", ["-t", path], { encoding: "utf8" });
    expect(output).toContain("No errors detected");
    expect(execFileSync("unzip", ["-p", path, "bytes.bin"]).equals(ALL_BYTES)).toBe(true);
  });

  it("gives up as soon as the archive would pass its limit", async () => {
    const zip = new ZipWriter(64 * 1024);
    // Random bytes do not compress: the second one cannot fit.
    zip.addBuffer("a.bin", randomBytes(40 * 1024));
    expect(() => {
      zip.addBuffer("b.bin", randomBytes(40 * 1024));
    }).toThrow(ZipTooLargeError);
    const big = join(dir.path, "big.bin");
    await writeFile(big, randomBytes(200 * 1024));
    await expect(new ZipWriter(64 * 1024).addFile("big.bin", big, { modified: new Date(), mode: 0o644 })).rejects.toThrow(ZipTooLargeError);
    // What fitted is still a valid archive within the limit.
    const archive = zip.finish();
    expect(archive.length).toBeLessThanOrEqual(64 * 1024);
    expect(readZip(archive).map((entry) => entry.name)).toEqual(["a.bin"]);
  });
});

describe("fetchProjectPath on a directory", () => {
  it("zips it with names relative to the project root, leaving out symlinks and denied files", async () => {
    const fetched = await fetchProjectPath(tree.root, "src", DEFAULT_DENY_GLOBS, 1024 * 1024);
    if (typeof fetched === "string") throw new Error(fetched);
    expect(fetched.filename).toBe("src.zip");
    expect(readZip(fetched.data).map((entry) => entry.name)).toEqual(["src/a.ts", "src/nested/b.ts"]);
  });

  it("leaves out .git, deny-glob matches and every link when zipping the whole project through a link to it", async () => {
    const fetched = await fetchProjectPath(tree.root, "link-root", DEFAULT_DENY_GLOBS, 1024 * 1024);
    if (typeof fetched === "string") throw new Error(fetched);
    expect(fetched.filename).toBe("link-root.zip");
    expect(readZip(fetched.data).map((entry) => entry.name)).toEqual([
      "link-root/..%2fname",
      "link-root/README.md",
      "link-root/docs/guide.md",
      "link-root/src/a.ts",
      "link-root/src/nested/b.ts",
    ]);
  });

  it("answers too large when the archive would pass the limit", async () => {
    expect(await fetchProjectPath(tree.root, "src", DEFAULT_DENY_GLOBS, 100)).toBe("file is too large to send.");
    expect(await fetchProjectPath(tree.root, "README.md", DEFAULT_DENY_GLOBS, 3)).toBe("file is too large to send.");
  });
});
