/**
 * File transfer beyond one file in a private chat, through a real `takopi
 * run` against the fake Bot API server: albums (saved once, one reply),
 * prompt-mode auto-put (the caption runs with the saved paths), who may move
 * files in a group, replies in a forum topic's thread, and the one line a
 * photo, sticker, file or album gets when file transfer is off.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeHarness, bridgePerTest } from "../support/bridge-harness.js";
import type { InjectedMessage } from "../support/fake-telegram/index.js";
import { FORUM, GROUP, OTHER_USER, USER } from "../support/fake-telegram/standard-world.js";
import { repliesTo, replyDocument, replyText, sendFile, sendText } from "../support/file-transfer.js";
import { waitFor } from "../support/scripts.js";

const FAST_ALBUMS = { media_group_debounce_s: 0.3 };

/** The bot messages answering any message of an album. */
function albumReplies(harness: BridgeHarness, album: readonly InjectedMessage[], chat = USER) {
  return album.flatMap((item) => repliesTo(harness, item, chat));
}

describe("albums, uploaded with a caption or none", () => {
  let harness: BridgeHarness;
  beforeAll(async () => {
    harness = await BridgeHarness.create({ telegram: { ...FAST_ALBUMS, files: { enabled: true } }, config: { default_project: "app" } });
    await harness.start();
  }, 60_000);
  afterAll(async () => {
    await harness.dispose();
  });

  it("saves the files of an album once, into the `/file put` directory, with one reply", async () => {
    const album = [
      sendFile(harness, "one", { name: "a.txt", caption: "/file put album/", mediaGroup: "g1" }),
      sendFile(harness, "two", { name: "b.txt", mediaGroup: "g1" }),
      sendFile(harness, "three!", { name: "c.txt", mediaGroup: "g1" }),
    ];
    expect(await replyText(harness, album[0] as InjectedMessage)).toBe("saved a.txt, b.txt, c.txt to album/ in app (12 b)");
    expect(await readFile(join(harness.repo, "album", "b.txt"), "utf8")).toBe("two");
    // Anything answered after the album would come after this document.
    await replyDocument(harness, sendText(harness, "/file get album/c.txt"));
    expect(albumReplies(harness, album)).toHaveLength(1);
  });

  it("saves an album without a caption into uploads_dir, and lists what failed", async () => {
    const album = [sendFile(harness, "x", { name: "x.txt", mediaGroup: "g2" }), sendFile(harness, "y", { name: "x.txt", mediaGroup: "g2" })];
    const text = await replyText(harness, album[0] as InjectedMessage);
    expect(text).toBe("saved x.txt to incoming/ in app (1 b)\n\nfailed: x.txt (file already exists; use --force to overwrite.)");
    expect(await readFile(join(harness.repo, "incoming", "x.txt"), "utf8")).toBe("x");
    await replyDocument(harness, sendText(harness, "/file get incoming/x.txt"));
    expect(albumReplies(harness, album)).toHaveLength(1);
  });

  it("answers an album captioned with a prompt in upload mode once, with the usage", async () => {
    const album = [sendFile(harness, "p", { name: "p.txt", mediaGroup: "g3" }), sendFile(harness, "q", { name: "q.txt", caption: "what is this", mediaGroup: "g3" })];
    expect(await replyText(harness, album[1] as InjectedMessage)).toBe("usage: /file put <path>");
    await replyDocument(harness, sendText(harness, "/file get README.md"));
    expect(albumReplies(harness, album)).toHaveLength(1);
    expect(await harness.spawns()).toEqual([]);
  });
});

describe("auto_put_mode = prompt", () => {
  const { started } = bridgePerTest();
  const promptMode = () => started({ telegram: { ...FAST_ALBUMS, files: { enabled: true, auto_put_mode: "prompt" } }, config: { default_project: "app" } });

  it("saves a captioned file, then runs the caption with the saved path", async () => {
    const harness = await promptMode();
    sendFile(harness, "quarterly numbers", { name: "report.txt", caption: "summarize it" });
    const [spawn] = await harness.waitForSpawns(1);
    expect(spawn?.prompt).toBe("summarize it\n\n[uploaded file: incoming/report.txt]");
    expect(await readFile(join(harness.repo, "incoming", "report.txt"), "utf8")).toBe("quarterly numbers");
  });

  it("runs an album's caption once, with every saved path", async () => {
    const harness = await promptMode();
    sendFile(harness, "a", { name: "a.txt", mediaGroup: "p1" });
    sendFile(harness, "b", { name: "b.txt", caption: "compare these", mediaGroup: "p1" });
    const [spawn] = await harness.waitForSpawns(1);
    expect(spawn?.prompt).toBe("compare these\n\n[uploaded files]\n- incoming/a.txt\n- incoming/b.txt");
    // A second prompt runs after the first: had the album run twice, it would be the second spawn.
    sendText(harness, "and then this");
    const spawns = await harness.waitForSpawns(2);
    expect(spawns.map((run) => run.prompt)).toEqual([spawn?.prompt, "and then this"]);
  });

  it("applies the caption's directives to where the file goes and where the run happens", async () => {
    const harness = await promptMode();
    sendFile(harness, "branch data", { name: "d.txt", caption: "@feature use it" });
    const [spawn] = await harness.waitForSpawns(1);
    expect(spawn?.prompt).toBe("use it\n\n[uploaded file: incoming/d.txt]");
    expect(spawn?.cwd).toContain(join(".worktrees", "feature"));
    expect(await readFile(join(harness.repo, ".worktrees", "feature", "incoming", "d.txt"), "utf8")).toBe("branch data");
  });
});

describe("who may move files, and where the answers go", () => {
  let harness: BridgeHarness;
  beforeAll(async () => {
    harness = await BridgeHarness.create({ telegram: { files: { enabled: true } } });
    const gone = { path: join(harness.dir.path, "gone") };
    await harness.writeConfig({ config: { projects: { app: { path: harness.repo, chat_id: GROUP }, site: { path: harness.repo, chat_id: FORUM }, gone } } });
    await harness.start();
  }, 60_000);
  afterAll(async () => {
    await harness.dispose();
  });

  it("lets group admins move files and refuses everyone else", async () => {
    const refused = sendText(harness, "/file get README.md", { chat: GROUP, from: OTHER_USER });
    expect(await replyText(harness, refused, GROUP)).toBe("file transfer is restricted to group admins.");
    const put = sendFile(harness, "nope", { name: "intruder.txt", chat: GROUP, from: OTHER_USER });
    expect(await replyText(harness, put, GROUP)).toBe("file transfer is restricted to group admins.");
    const allowed = sendText(harness, "/file get README.md", { chat: GROUP, from: USER });
    expect((await replyDocument(harness, allowed, GROUP)).upload.data.toString()).toBe("# scratch repository\n");
    await expect(readFile(join(harness.repo, "incoming", "intruder.txt"))).rejects.toThrow();
  });

  it("says which project directory it cannot open", async () => {
    const get = sendText(harness, "/file get /gone README.md", { chat: GROUP, from: USER });
    expect(await replyText(harness, get, GROUP)).toBe(`error:\ncannot open the project directory ${join(harness.dir.path, "gone")}: ENOENT: no such file or directory`);
  });

  it("answers in the topic the command came from: the document and every refusal", async () => {
    const topic = harness.telegram.addForumTopic(FORUM, "files");
    const get = sendText(harness, "/file get README.md", { chat: FORUM, thread: topic });
    const document = await replyDocument(harness, get, FORUM);
    expect(document.threadId).toBe(topic);
    for (const command of ["/file get ../x", "/file get .env", "/file get nothing", "/file put x"]) {
      const sent = sendText(harness, command, { chat: FORUM, thread: topic });
      await replyText(harness, sent, FORUM);
      expect(repliesTo(harness, sent, FORUM).map((reply) => reply.threadId)).toEqual([topic]);
    }
    const saved = sendFile(harness, "in a topic", { name: "t.txt", chat: FORUM, thread: topic });
    expect(await replyText(harness, saved, FORUM)).toBe("saved incoming/t.txt in site (10 b)");
    expect(repliesTo(harness, saved, FORUM).map((reply) => reply.threadId)).toEqual([topic]);
  });
});

describe("with file transfer off", () => {
  const { started } = bridgePerTest();
  const HINT = "takopi can save files to a project when [transports.telegram.files] enabled = true; photos, stickers and files are not read as prompts.";

  it("answers a photo, a sticker and a captioned file with one line each, and runs nothing", async () => {
    const h = await started({ telegram: FAST_ALBUMS });
    const photo = h.telegram.injectMessage({ chat: USER, from: USER, photo: { content: "jpeg", width: 10, height: 10 } });
    const sticker = h.telegram.injectMessage({ chat: USER, from: USER, extra: { sticker: { file_id: "st", file_unique_id: "st", width: 512, height: 512, is_animated: false, is_video: false, type: "regular" } } });
    const file = sendFile(h, "doc", { name: "doc.txt", caption: "fix the bug in this" });
    for (const sent of [photo, sticker, file]) expect(await replyText(h, sent)).toBe(HINT);
    expect(await replyText(h, sendText(h, "/file get README.md"))).toBe("file transfer disabled; enable [transports.telegram.files].");
    for (const sent of [photo, sticker, file]) expect(repliesTo(h, sent)).toHaveLength(1);
    expect(await h.spawns()).toEqual([]);
  });

  it("answers an album once", async () => {
    const h = await started({ telegram: FAST_ALBUMS });
    const album = [1, 2, 3].map((n) => h.telegram.injectMessage({ chat: USER, from: USER, photo: { content: `jpeg ${n}`, width: 10, height: 10 }, media_group_id: "off" }));
    await waitFor(() => albumReplies(h, album).length > 0, 20_000, "the album's answer");
    expect(albumReplies(h, album).map((reply) => reply.text)).toEqual([HINT]);
    expect(await replyText(h, sendText(h, "/file get x"))).toBe("file transfer disabled; enable [transports.telegram.files].");
    expect(albumReplies(h, album)).toHaveLength(1);
  });
});
