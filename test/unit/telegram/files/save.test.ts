// saveDocument against the fake Bot API server over loopback with the real
// client: the limits are lowered so that "larger than declared" is cheap to
// send (the real limit is Telegram's 20 MB).
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DENY_GLOBS } from "../../../../src/config/schema.js";
import { TelegramClient } from "../../../../src/telegram/client.js";
import type { FileDescriptor } from "../../../../src/telegram/incoming.js";
import { saveDocument, type SaveDeps } from "../../../../src/telegram/files/save.js";
import { silentLogger } from "../../../../src/util/log.js";
import { startFakeTelegram, type FakeTelegram } from "../../../support/fake-telegram/index.js";
import { STANDARD_WORLD } from "../../../support/fake-telegram/standard-world.js";
import { projectTree, type ProjectTree } from "../../../support/project-tree.js";
import { scratchDir, type ScratchDir } from "../../../support/scripts.js";

let tg: FakeTelegram;
let client: TelegramClient;
let dir: ScratchDir;
let tree: ProjectTree;
let deps: SaveDeps;

beforeAll(async () => {
  tg = await startFakeTelegram(STANDARD_WORLD);
  client = new TelegramClient({ token: tg.token, apiRoot: tg.apiRoot });
  dir = await scratchDir("takopi-save-");
  tree = await projectTree(dir.path);
  deps = { client, log: silentLogger, files: { uploads_dir: "incoming", deny_globs: DEFAULT_DENY_GLOBS }, maxBytes: 1000 };
});
afterAll(async () => {
  await client.close({ drain: false });
  await tg.close();
  await dir.dispose();
});

/** A file the fake serves, described as a message would declare it. */
function telegramFile(content: string | Buffer, declared: Partial<FileDescriptor> = {}): FileDescriptor {
  const file = tg.registerFile({ content, ...(declared.fileName == null ? {} : { file_name: declared.fileName }) });
  return { source: "document", fileId: file.file_id, fileUniqueId: file.file_unique_id, fileName: null, mimeType: null, fileSize: file.file_size, ...declared };
}

const target = (path: string | null, options: { dir?: string; force?: boolean } = {}) => ({ root: tree.root, path, dir: options.dir ?? null, force: options.force ?? false });

describe("saveDocument", () => {
  it("refuses a file larger than the limit though the message declares less, and writes nothing", async () => {
    const document = telegramFile(Buffer.alloc(2000, 1), { fileName: "big.bin", fileSize: 10 });
    expect(await saveDocument(deps, document, target("big.bin"))).toEqual({ name: "big.bin", saved: false, error: "file is too large to upload." });
    expect(existsSync(join(tree.root, "big.bin"))).toBe(false);
  });

  it("refuses a declared size over the limit before asking Telegram", async () => {
    const before = tg.calls("getFile").length;
    const document = telegramFile("small", { fileName: "claims.bin", fileSize: 1001 });
    expect(await saveDocument(deps, document, target(null))).toMatchObject({ saved: false, error: "file is too large to upload." });
    expect(tg.calls("getFile")).toHaveLength(before);
  });

  it("names a file without a name after Telegram's file path, in uploads_dir", async () => {
    const document = telegramFile("pixels");
    const result = await saveDocument(deps, document, target(null));
    expect(result).toMatchObject({ saved: true, rel: expect.stringMatching(/^incoming\/file_\d+$/) as unknown, size: 6 });
    if (!result.saved) return;
    expect(await readFile(join(tree.root, result.rel), "utf8")).toBe("pixels");
  });

  it("checks the path before downloading, and leaves no temp file behind a refused write", async () => {
    const before = tg.calls("downloadFile").length;
    expect(await saveDocument(deps, telegramFile("x", { fileName: "x" }), target("link-out-dir/x"))).toMatchObject({ error: "upload path escapes the repo root." });
    expect(await saveDocument(deps, telegramFile("x", { fileName: "x" }), target("src"))).toMatchObject({ error: "upload target is a directory." });
    expect(await saveDocument(deps, telegramFile("x", { fileName: "x" }), target("README.md/inside"))).toMatchObject({ error: expect.stringMatching(/^failed to write file: E/) as unknown });
    expect(tg.calls("downloadFile")).toHaveLength(before + 1);
    expect((await readdir(tree.root)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("writes through a link that stays inside, to where it leads", async () => {
    const result = await saveDocument(deps, telegramFile("via link", { fileName: "v.txt" }), target("link-in-dir/v.txt"));
    expect(result).toMatchObject({ saved: true, rel: "link-in-dir/v.txt" });
    expect(await readFile(join(tree.root, "src", "v.txt"), "utf8")).toBe("via link");
  });
});
