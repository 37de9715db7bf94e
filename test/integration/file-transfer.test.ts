/**
 * `/file put`, `/file get` and auto-put through a real `takopi run` against
 * the fake Bot API server, in a private chat whose project `app` is a real git
 * repository: bytes go in and come back unchanged, a directory comes back as
 * a zip, every way out of the project is refused with a reply and writes
 * nothing, sizes are capped, and `@branch` puts a file in the branch's worktree.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeHarness } from "../support/bridge-harness.js";
import { USER } from "../support/fake-telegram/standard-world.js";
import { ALL_BYTES, MiB, repliesTo, replyDocument, replyText, sendFile, sendText } from "../support/file-transfer.js";
import { snapshot } from "../support/project-tree.js";
import { waitFor } from "../support/scripts.js";
import { readZip } from "../support/zip-reader.js";

let harness: BridgeHarness;
/** A directory beside the project that links point into; nothing in it may change. */
let outside: string;

beforeAll(async () => {
  harness = await BridgeHarness.create({ telegram: { files: { enabled: true } }, config: { default_project: "app" } });
  outside = join(harness.dir.path, "outside");
  await mkdir(join(outside, "dir"), { recursive: true });
  await writeFile(join(outside, "secret.txt"), "outside secret");
  const repo = harness.repo;
  await writeFile(join(repo, ".env"), "TOKEN=secret");
  await mkdir(join(repo, "pkg", "sub"), { recursive: true });
  await writeFile(join(repo, "pkg", "a.txt"), "alpha\n");
  await writeFile(join(repo, "pkg", "sub", "b.bin"), ALL_BYTES);
  await writeFile(join(repo, "pkg", ".env"), "PKG=secret");
  await writeFile(join(repo, "pkg", "key.pem"), "-----BEGIN-----");
  await symlink("../README.md", join(repo, "pkg", "readme-link"));
  await symlink("/tmp", join(repo, "pkg", "tmp-link"));
  await symlink("/tmp", join(repo, "to-tmp"));
  await symlink(join(outside, "dir"), join(repo, "out-dir"));
  await symlink(join(outside, "secret.txt"), join(repo, "out-file"));
  await symlink(".env", join(repo, "env-link"));
  await harness.start();
}, 60_000);
afterAll(async () => {
  await harness.dispose();
});

describe("/file put and /file get", () => {
  it("round-trips every byte value unchanged", async () => {
    const put = sendFile(harness, ALL_BYTES, { name: "all.bin", caption: "/file put data/all.bin" });
    expect(await replyText(harness, put)).toBe("saved data/all.bin in app (512 b)");
    expect((await readFile(join(harness.repo, "data", "all.bin"))).equals(ALL_BYTES)).toBe(true);

    const get = sendText(harness, "/file get data/all.bin");
    const document = await replyDocument(harness, get);
    expect(document.upload.filename).toBe("all.bin");
    expect(document.upload.data.equals(ALL_BYTES)).toBe(true);
  });

  it("saves a file without a caption to uploads_dir, and overwrites only with --force", async () => {
    const auto = sendFile(harness, "first", { name: "notes.txt" });
    expect(await replyText(harness, auto)).toBe("saved incoming/notes.txt in app (5 b)");
    const again = sendFile(harness, "second", { name: "notes.txt", caption: "/file put incoming/notes.txt" });
    expect(await replyText(harness, again)).toBe("file already exists; use --force to overwrite.");
    expect(await readFile(join(harness.repo, "incoming", "notes.txt"), "utf8")).toBe("first");
    const forced = sendFile(harness, "second", { name: "notes.txt", caption: "/file put --force incoming/" });
    expect(await replyText(harness, forced)).toBe("saved incoming/notes.txt in app (6 b)");
    expect(await readFile(join(harness.repo, "incoming", "notes.txt"), "utf8")).toBe("second");
  });

  it("answers a caption that is not `/file put` with the usage, and a file named like a path by its own name", async () => {
    const captioned = sendFile(harness, "x", { name: "x.txt", caption: "look at this" });
    expect(await replyText(harness, captioned)).toBe("usage: /file put <path>");
    const sneaky = sendFile(harness, "sneaky", { name: "../../sneaky.txt" });
    expect(await replyText(harness, sneaky)).toBe("saved incoming/sneaky.txt in app (6 b)");
    const flag = sendFile(harness, "x", { caption: "/file put --nope x" });
    expect(await replyText(harness, flag)).toBe("unknown flag: --nope");
    expect(await replyText(harness, sendText(harness, "/file put x.txt"))).toBe("usage: /file put <path>");
    expect(await replyText(harness, sendText(harness, "/file"))).toBe("usage: /file put <path> or /file get <path>");
    expect(await replyText(harness, sendText(harness, "/file get"))).toBe("usage: /file get <path>");
    expect(await replyText(harness, sendText(harness, "/file get nothing/here"))).toBe("file does not exist.");
  });

  it("sends a directory as a zip of its files, without symlinks or denied files", async () => {
    const get = sendText(harness, "/file get pkg");
    const document = await replyDocument(harness, get);
    expect(document.upload.filename).toBe("pkg.zip");
    const entries = readZip(document.upload.data);
    expect(entries.map((entry) => entry.name)).toEqual(["pkg/a.txt", "pkg/sub/b.bin"]);
    expect(entries[0]?.data.toString()).toBe("alpha\n");
    expect(entries[1]?.data.equals(ALL_BYTES)).toBe(true);
  });

  it("puts a file in the branch's worktree with @branch, and gets it from there", async () => {
    const put = sendFile(harness, "on a branch", { name: "x.txt", caption: "/file put @feature docs/x.txt" });
    expect(await replyText(harness, put)).toBe("saved docs/x.txt in app @feature (11 b)");
    expect(await readFile(join(harness.repo, ".worktrees", "feature", "docs", "x.txt"), "utf8")).toBe("on a branch");
    expect(existsSync(join(harness.repo, "docs", "x.txt"))).toBe(false);
    const get = sendText(harness, "/file get /app @feature docs/x.txt");
    expect((await replyDocument(harness, get)).upload.data.toString()).toBe("on a branch");
  });

  it("saves a forwarded file like any other upload", async () => {
    const forwarded = sendFile(harness, "fwd", { name: "fwd.txt", extra: { forward_origin: { type: "hidden_user", sender_user_name: "Someone", date: 1 } } });
    expect(await replyText(harness, forwarded)).toBe("saved incoming/fwd.txt in app (3 b)");
  });

  it("lists /file in the command menu", async () => {
    await waitFor(() => harness.telegram.commands() !== undefined, 10_000, "the command menu");
    expect(harness.telegram.commands()?.map((entry) => entry.command).slice(-2)).toEqual(["file", "cancel"]);
  });
});

describe("paths that lead out of the project or to denied files", () => {
  const PUT_REFUSALS: [path: string, reply: string][] = [
    ["../x", "invalid upload path."],
    ["/etc/passwd", "invalid upload path."],
    ["~/x", "invalid upload path."],
    ["a/../../x", "invalid upload path."],
    ["..", "invalid upload path."],
    [".git/config", "path denied by rule: .git/**"],
    ["sub/.git/x", "path denied by rule: .git/**"],
    [".env", "path denied by rule: .env"],
    ["key.pem", "path denied by rule: *.pem"],
    ["deep/dir/key.pem", "path denied by rule: *.pem"],
    [".ssh/id_rsa", "path denied by rule: .ssh/**"],
    ["to-tmp/x", "upload path escapes the repo root."],
    ["to-tmp/", "upload path escapes the repo root."],
    ["out-dir/x", "upload path escapes the repo root."],
    ["out-dir/new/deeper.txt", "upload path escapes the repo root."],
    ["--force out-file", "upload path escapes the repo root."],
    ["--force env-link", "path denied by rule: .env"],
  ];
  const GET_REFUSALS: [path: string, reply: string][] = [
    ["../x", "invalid download path."],
    ["/etc/passwd", "invalid download path."],
    ["~/x", "invalid download path."],
    ["a/../../x", "invalid download path."],
    [".git/config", "path denied by rule: .git/**"],
    [".git", "path denied by rule: .git/**"],
    [".env", "path denied by rule: .env"],
    ["env-link", "path denied by rule: .env"],
    ["to-tmp", "download path escapes the repo root."],
    ["out-dir", "download path escapes the repo root."],
    ["out-dir/../secret.txt", "invalid download path."],
    ["out-file", "download path escapes the repo root."],
  ];

  it.each(PUT_REFUSALS)("/file put %s → %s, and nothing is written", async (path, reply) => {
    const outsideBefore = await snapshot(outside);
    const repoBefore = await snapshot(harness.repo);
    const put = sendFile(harness, "must not land", { name: "x", caption: `/file put ${path}` });
    expect(await replyText(harness, put)).toBe(reply);
    expect(await snapshot(outside)).toEqual(outsideBefore);
    expect(await snapshot(harness.repo)).toEqual(repoBefore);
    expect(existsSync("/tmp/x")).toBe(false);
    expect(repliesTo(harness, put)).toHaveLength(1);
  });

  it.each(GET_REFUSALS)("/file get %s → %s", async (path, reply) => {
    const get = sendText(harness, `/file get ${path}`);
    expect(await replyText(harness, get)).toBe(reply);
    expect(repliesTo(harness, get).filter((message) => message.upload !== undefined)).toEqual([]);
  });

  it("takes `..%2f` and backslashes as plain name characters", async () => {
    const put = sendFile(harness, "plain", { caption: "/file put ..%2f..%2fetc" });
    expect(await replyText(harness, put)).toBe("saved ..%2f..%2fetc in app (5 b)");
    expect(await readFile(join(harness.repo, "..%2f..%2fetc"), "utf8")).toBe("plain");
    const get = sendText(harness, "/file get ..%2f..%2fetc");
    expect((await replyDocument(harness, get)).upload.data.toString()).toBe("plain");
  });
});

describe("size limits", () => {
  it("refuses a file whose declared size is over 20 MiB without fetching it", async () => {
    const file = harness.telegram.registerFile({ content: "small really", file_name: "big.bin" });
    const declared = { file_id: file.file_id, file_unique_id: file.file_unique_id, file_name: "big.bin", file_size: 20 * MiB + 1 };
    const put = harness.telegram.injectMessage({ chat: USER, from: USER, caption: "/file put big.bin", extra: { document: declared } });
    expect(await replyText(harness, put)).toBe("file is too large to upload.");
    expect(harness.telegram.calls("getFile").filter((call) => call.params.file_id === file.file_id)).toEqual([]);
    expect(existsSync(join(harness.repo, "big.bin"))).toBe(false);
  });

  it("refuses a file that is over 20 MiB though it declares less, and writes nothing", async () => {
    const content = Buffer.alloc(20 * MiB + 1, 7);
    const file = harness.telegram.registerFile({ content, file_name: "liar.bin" });
    const declared = { file_id: file.file_id, file_unique_id: file.file_unique_id, file_name: "liar.bin", file_size: 10 };
    const put = harness.telegram.injectMessage({ chat: USER, from: USER, caption: "/file put liar.bin", extra: { document: declared } });
    // Telegram's getFile refuses files over 20 MB ("file is too big"), as the fake does: that is "too large", not a metadata failure.
    expect(await replyText(harness, put)).toBe("file is too large to upload.");
    expect(existsSync(join(harness.repo, "liar.bin"))).toBe(false);
  });

  it("refuses to send a file over 50 MiB", async () => {
    await writeFile(join(harness.repo, "huge.bin"), "");
    await truncate(join(harness.repo, "huge.bin"), 50 * MiB + 1);
    const get = sendText(harness, "/file get huge.bin");
    expect(await replyText(harness, get)).toBe("file is too large to send.");
  });
});
