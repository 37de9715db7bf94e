/**
 * Forum topics bound to branches, through a real `takopi run` against the
 * fake Bot API server with the stand-in engines: `/topic` creates (and
 * recreates) a topic named after its context, a topic's prompts run in that
 * branch's worktree and answer in its thread, each topic keeps its own
 * sessions and settings, runs in different topics go in parallel, and
 * start-up refuses topic chats where topics cannot work.
 */
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bridgePerTest, type BridgeHarness } from "../support/bridge-harness.js";
import type { StoredMessage } from "../support/fake-telegram/index.js";
import { FORUM, GROUP, USER } from "../support/fake-telegram/standard-world.js";
import { waitFor } from "../support/scripts.js";

const { started, created } = bridgePerTest();

/** A bridge whose main chat is the forum, with topics on (scope auto → main) and no forward wait. */
function forumBridge(telegram: Record<string, unknown> = {}): Promise<BridgeHarness> {
  return started({ telegram: { chat_id: FORUM, topics: { enabled: true }, forward_coalesce_s: 0, ...telegram } });
}

/** The person writes in the forum: in a topic, or in its General thread. */
function say(harness: BridgeHarness, text: string, threadId?: number) {
  return harness.telegram.injectMessage({ chat: FORUM, from: USER, text, ...(threadId === undefined ? {} : { message_thread_id: threadId }) });
}

function reply(harness: BridgeHarness, prompt: { stored: StoredMessage }, predicate: (text: string) => boolean): Promise<StoredMessage> {
  return harness.replyTo(prompt.stored.messageId, predicate, { chat: FORUM });
}

/** `/topic …` in the General thread: the new topic's thread id, once its "topic bound to" message is in it. */
async function createTopic(harness: BridgeHarness, args: string): Promise<number> {
  const command = say(harness, `/topic ${args}`);
  await reply(harness, command, (text) => text.startsWith("created topic"));
  const bound = await harness.telegram.waitForMessage(
    (message) => message.chatId === FORUM && message.messageId > command.stored.messageId && (message.text ?? "").startsWith("topic bound to"),
  );
  expect(bound.threadId).toBeDefined();
  return bound.threadId as number;
}

function worktree(harness: BridgeHarness, branch: string): string {
  return join(realpathSync(harness.repo), ".worktrees", ...branch.split("/"));
}

function topicsState(harness: BridgeHarness): { threads: Record<string, { context?: unknown; sessions?: Record<string, unknown> }> } {
  return JSON.parse(readFileSync(join(harness.home, ".takopi", "telegram_topics_state.json"), "utf8")) as never;
}

describe("/topic and a topic's runs", () => {
  it("creates a topic bound to a branch; its prompts run in that worktree and every answer stays in its thread", async () => {
    const harness = await forumBridge();
    await waitFor(() => harness.botMessages(FORUM).some((message) => message.text?.startsWith("🐙 takopi is ready")), 10_000, "the start-up message");
    const startup = harness.botMessages(FORUM).find((message) => message.text?.startsWith("🐙 takopi is ready"));
    expect(startup?.text).toContain("topics: enabled (scope=auto (main))");
    expect(harness.telegram.commands()?.map((command) => command.command)).toContain("topic");

    const threadId = await createTopic(harness, "app @feat/a");
    expect(harness.telegram.topicName(FORUM, threadId)).toBe("app @feat/a");

    const prompt = say(harness, "fix the tests", threadId);
    await reply(harness, prompt, (text) => text.startsWith("done"));
    const [spawn] = await harness.spawns();
    expect(spawn?.cwd).toBe(worktree(harness, "feat/a"));
    expect(spawn?.prompt).toBe("fix the tests");
    // Progress, final answer and anything else the run posted: all in the topic.
    const posted = harness.botMessages(FORUM).filter((message) => message.messageId > prompt.stored.messageId);
    expect(posted.length).toBeGreaterThan(0);
    expect(posted.every((message) => message.threadId === threadId)).toBe(true);

    // The topic continues its session; another topic has its own.
    const again = say(harness, "and the docs", threadId);
    await reply(harness, again, (text) => text.startsWith("done"));
    const other = await createTopic(harness, "app @feat/b");
    const elsewhere = say(harness, "something else", other);
    await reply(harness, elsewhere, (text) => text.startsWith("done"));
    const spawns = await harness.spawns();
    expect(spawns.map((entry) => [entry.prompt, entry.resume, entry.cwd])).toEqual([
      ["fix the tests", null, worktree(harness, "feat/a")],
      ["and the docs", spawn?.session, worktree(harness, "feat/a")],
      ["something else", null, worktree(harness, "feat/b")],
    ]);
    expect(topicsState(harness).threads[`${FORUM}:${threadId}`]?.sessions).toEqual({ codex: { resume: spawn?.session } });

    // /new in a topic forgets that topic's session only.
    const fresh = say(harness, "/new", threadId);
    await reply(harness, fresh, (text) => text === "cleared stored sessions for this topic.");
    expect(topicsState(harness).threads[`${FORUM}:${threadId}`]?.sessions).toEqual({});
    expect(topicsState(harness).threads[`${FORUM}:${other}`]?.sessions).toEqual({ codex: { resume: spawns[2]?.session } });
  });

  it("runs prompts of two topics in parallel", async () => {
    const harness = await forumBridge();
    const a = await createTopic(harness, "app @feat/a");
    const b = await createTopic(harness, "app @feat/b");
    const first = say(harness, "one [gate:a]", a);
    const second = say(harness, "two [gate:b]", b);
    // Both engines are running before either may finish.
    const both = await harness.waitForSpawns(2);
    expect(new Set(both.map((spawn) => spawn.cwd))).toEqual(new Set([worktree(harness, "feat/a"), worktree(harness, "feat/b")]));
    await harness.openGate("b");
    await reply(harness, second, (text) => text.startsWith("done"));
    await harness.openGate("a");
    const answer = await reply(harness, first, (text) => text.startsWith("done"));
    expect(answer.threadId).toBe(a);
  });

  it("recreates a deleted topic on the next /topic and moves the binding to it", async () => {
    const harness = await forumBridge();
    const first = await createTopic(harness, "app @feat/a");
    const exists = say(harness, "/topic app @feat/a");
    await reply(harness, exists, (text) => text === "topic already exists for app @feat/a in this chat.");

    harness.telegram.deleteForumTopic(FORUM, first);
    const second = await createTopic(harness, "app @feat/a");
    expect(second).not.toBe(first);
    expect(harness.telegram.topicName(FORUM, second)).toBe("app @feat/a");
    const threads = topicsState(harness).threads;
    expect(threads[`${FORUM}:${first}`]).toBeUndefined();
    expect(threads[`${FORUM}:${second}`]?.context).toEqual({ project: "app", branch: "feat/a" });

    const prompt = say(harness, "hello", second);
    await reply(harness, prompt, (text) => text.startsWith("done"));
    expect((await harness.spawns())[0]?.cwd).toBe(worktree(harness, "feat/a"));
  });

  it("re-binds and renames the topic it is sent in", async () => {
    const harness = await forumBridge();
    const threadId = await createTopic(harness, "app @feat/a");
    const rebind = say(harness, "/topic app @feat/c", threadId);
    await reply(harness, rebind, (text) => text === "topic bound to app @feat/c");
    expect(harness.telegram.topicName(FORUM, threadId)).toBe("app @feat/c");
    const prompt = say(harness, "go", threadId);
    await reply(harness, prompt, (text) => text.startsWith("done"));
    expect((await harness.spawns())[0]?.cwd).toBe(worktree(harness, "feat/c"));
  });

  it("answers bad arguments with the usage", async () => {
    const harness = await forumBridge();
    const noBranch = say(harness, "/topic app");
    await reply(harness, noBranch, (text) => text === "error:\nbranch is required\nusage: /topic <project> @branch");
    const unknown = say(harness, "/topic nope @x");
    await reply(harness, unknown, (text) => text === "error:\nunknown project 'nope'\nusage: /topic <project> @branch");
  });
});

describe("an unbound topic", () => {
  it("does not run without a context, and a prompt naming one binds and renames it", async () => {
    const harness = await forumBridge();
    const threadId = harness.telegram.addForumTopic(FORUM, "ideas");
    const unbound = say(harness, "hello", threadId);
    const answer = await reply(harness, unbound, (text) => text.startsWith("this topic isn't bound to a project yet."));
    expect(answer.text).toBe("this topic isn't bound to a project yet.\nusage: /ctx set <project> [@branch] or usage: /topic <project> @branch");
    expect(answer.threadId).toBe(threadId);

    const named = say(harness, "/app @feat/x start here", threadId);
    await reply(harness, named, (text) => text.startsWith("done"));
    await waitFor(() => harness.telegram.topicName(FORUM, threadId) === "app @feat/x", 10_000, "the topic renamed");
    const next = say(harness, "carry on", threadId);
    await reply(harness, next, (text) => text.startsWith("done"));
    const spawns = await harness.spawns();
    expect(spawns.map((spawn) => [spawn.prompt, spawn.cwd])).toEqual([
      ["start here", worktree(harness, "feat/x")],
      ["carry on", worktree(harness, "feat/x")],
    ]);
    expect(spawns[1]?.resume).toBe(spawns[0]?.session);

    const ctx = say(harness, "/ctx", threadId);
    const shown = await reply(harness, ctx, (text) => text.startsWith("topics:"));
    expect(shown.text).toBe(
      ["topics: enabled (scope=auto (main))", "bound ctx: app @feat/x", "resolved ctx: app @feat/x (source: ambient)", "sessions: codex"].join("\n"),
    );
  });
});

describe("files in a topic", () => {
  it("a file sent in a bound topic is saved in its worktree, and /file get there reads from it", async () => {
    const harness = await forumBridge({ files: { enabled: true } });
    const thread = await createTopic(harness, "app @feat/files");
    const upload = harness.telegram.injectMessage({ chat: FORUM, from: USER, message_thread_id: thread, document: { content: "topic data", file_name: "notes.txt" } });
    const saved = await reply(harness, upload, (text) => text.startsWith("saved"));
    expect(saved.text).toBe("saved incoming/notes.txt in app @feat/files (10 b)");
    expect(saved.threadId).toBe(thread);
    expect(readFileSync(join(worktree(harness, "feat/files"), "incoming", "notes.txt"), "utf8")).toBe("topic data");

    const get = say(harness, "/file get incoming/notes.txt", thread);
    await harness.telegram.waitForMessage((message) => message.replyToMessageId === get.stored.messageId && message.upload !== undefined, 20_000);
    const document = harness.botMessages(FORUM).find((message) => message.replyToMessageId === get.stored.messageId && message.upload !== undefined);
    expect(document?.upload?.data.toString()).toBe("topic data");
    expect(document?.threadId).toBe(thread);
  });

  it("in an unbound topic a /file command says how to bind it, and one naming a context binds it", async () => {
    const harness = await forumBridge({ files: { enabled: true } });
    const thread = harness.telegram.addForumTopic(FORUM, "loose");
    const refused = say(harness, "/file get README.md", thread);
    expect((await reply(harness, refused, (text) => text.length > 0)).text).toMatch(/^this topic isn't bound to a project yet\./);
    const named = say(harness, "/file get /app README.md", thread);
    // Group pacing: one message every 3 s in a forum.
    await harness.telegram.waitForMessage((message) => message.replyToMessageId === named.stored.messageId && message.upload !== undefined, 20_000);
    await waitFor(() => harness.telegram.topicName(FORUM, thread) === "app", 10_000, "the topic renamed after its new binding");
  });
});

describe("per-topic settings", () => {
  it("/agent set in a topic changes that topic's engine only", async () => {
    const harness = await forumBridge();
    const a = await createTopic(harness, "app @feat/a");
    const b = await createTopic(harness, "app @feat/b");
    const set = say(harness, "/agent set claude", a);
    await reply(harness, set, (text) => text === "topic default engine set to claude");
    const show = say(harness, "/agent", a);
    const shown = await reply(harness, show, (text) => text.startsWith("engine:"));
    expect(shown.text).toContain("engine: claude (topic default)");
    expect(shown.text).toContain("defaults: topic: claude, chat: none");

    const inA = say(harness, "hi", a);
    await reply(harness, inA, (text) => text.startsWith("done"));
    const inB = say(harness, "hi", b);
    await reply(harness, inB, (text) => text.startsWith("done"));
    expect((await harness.spawns()).map((spawn) => [spawn.engine, spawn.cwd])).toEqual([
      ["claude", worktree(harness, "feat/a")],
      ["codex", worktree(harness, "feat/b")],
    ]);
  });

  it("/model and /reasoning set in a topic apply to its runs only; /ctx set and clear re-bind it", async () => {
    const harness = await forumBridge();
    const a = await createTopic(harness, "app @feat/m");
    const model = say(harness, "/model set gpt-topic", a);
    await reply(harness, model, (text) => text.startsWith("topic model override set to gpt-topic for codex"));
    const reasoning = say(harness, "/reasoning set high", a);
    await reply(harness, reasoning, (text) => text.startsWith("topic reasoning override set to high for codex"));
    const run = say(harness, "hi", a);
    await reply(harness, run, (text) => text.startsWith("done"));
    const general = say(harness, "/app hi");
    await reply(harness, general, (text) => text.startsWith("done"));
    const [inTopic, outside] = await harness.spawns();
    expect(inTopic?.argv).toEqual(expect.arrayContaining(["--model", "gpt-topic"]));
    expect(inTopic?.argv.join(" ")).toContain("high");
    expect(outside?.argv).not.toContain("gpt-topic");

    const rebind = say(harness, "/ctx set app @feat/n", a);
    await reply(harness, rebind, (text) => text === "topic bound to app @feat/n");
    await waitFor(() => harness.telegram.topicName(FORUM, a) === "app @feat/n", 10_000, "the topic renamed");
    const clear = say(harness, "/ctx clear", a);
    await reply(harness, clear, (text) => text === "topic binding cleared.");
    const unbound = say(harness, "hi again", a);
    expect((await reply(harness, unbound, (text) => text.length > 0)).text).toMatch(/^this topic isn't bound to a project yet\./);
  });

  it("a topic's /trigger all overrides a mentions-only chat, and /trigger clear falls back to it", async () => {
    const harness = await forumBridge();
    const a = await createTopic(harness, "app @feat/a");
    const b = await createTopic(harness, "app @feat/b");
    const mentions = say(harness, "/trigger mentions");
    await reply(harness, mentions, (text) => text === "chat trigger mode set to mentions");
    const all = say(harness, "/trigger all", a);
    await reply(harness, all, (text) => text === "topic trigger mode set to all");
    const show = say(harness, "/trigger", a);
    await reply(harness, show, (text) => text === "trigger: all (topic override)\n\ndefaults: topic: all, chat: mentions\n\navailable: all, mentions");

    // Messages are routed in order: one ignored before one that runs never ran. (A leading
    // `@takopi_test_bot` would be an @branch directive, so the mentions come last.)
    say(harness, "ignored in b", b);
    const mentioned = say(harness, "mentioned in b @takopi_test_bot", b);
    await reply(harness, mentioned, (text) => text.startsWith("done"));
    const plain = say(harness, "plain in a", a);
    await reply(harness, plain, (text) => text.startsWith("done"));

    const clear = say(harness, "/trigger clear", a);
    await reply(harness, clear, (text) => text === "topic trigger mode cleared (using chat default).");
    say(harness, "ignored in a", a);
    const last = say(harness, "mentioned in a @takopi_test_bot", a);
    await reply(harness, last, (text) => text.startsWith("done"));
    expect((await harness.spawns()).map((spawn) => spawn.prompt)).toEqual(["mentioned in b @takopi_test_bot", "plain in a", "mentioned in a @takopi_test_bot"]);
  });
});

describe("start-up validation", () => {
  it("refuses to start with one line per topic chat that cannot have topics", async () => {
    const harness = await created();
    await harness.writeConfig({
      telegram: { chat_id: GROUP, topics: { enabled: true, scope: "all" } },
      config: { projects: { app: { path: harness.repo, chat_id: FORUM } } },
    });
    harness.telegram.setMember(FORUM, harness.telegram.botInfo.id, { status: "administrator", can_manage_topics: false });
    await expect(harness.start()).rejects.toThrow(/takopi exited with 1/);
    const problems = harness.logs().filter((line) => line.event === "topics.invalid").map((line) => line.msg);
    expect(problems).toEqual([
      `topics enabled but the bot may not manage topics in chat ${FORUM}; grant it the "manage topics" admin right.`,
      `topics enabled but chat ${GROUP} does not have topics turned on; turn on topics in the group's settings.`,
    ]);
    expect(harness.telegram.calls("sendMessage")).toEqual([]);
  });

  it("names a bot that is no admin", async () => {
    const harness = await created({ telegram: { chat_id: FORUM, topics: { enabled: true } } });
    harness.telegram.setMember(FORUM, harness.telegram.botInfo.id, "member");
    await expect(harness.start()).rejects.toThrow(/takopi exited with 1/);
    expect(harness.logs().filter((line) => line.event === "topics.invalid").map((line) => line.msg)).toEqual([
      `topics enabled but the bot is not an admin in chat ${FORUM}; promote it to admin and grant "manage topics".`,
    ]);
  });
});
