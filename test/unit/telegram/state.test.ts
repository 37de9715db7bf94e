import { mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CHAT_PREFS_FILE,
  CHAT_SESSIONS_FILE,
  ChatPrefsStore,
  ChatSessionsStore,
  openTelegramState,
  stateDirFor,
  TOPICS_FILE,
  TopicsStore,
} from "../../../src/telegram/state/index.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

let dir: ScratchDir;
let cwd: string;
beforeEach(async () => {
  dir = await scratchDir("takopi-state-");
  cwd = join(dir.path, "work");
  mkdirSync(cwd);
  cwd = realpathSync(cwd);
});
afterEach(async () => {
  await dir.dispose();
});

function fileJson(name: string): unknown {
  return JSON.parse(readFileSync(join(dir.path, name), "utf8"));
}

function writeJson(name: string, value: unknown): void {
  writeFileSync(join(dir.path, name), `${JSON.stringify(value, null, 2)}\n`);
}

describe("state file locations", () => {
  it("puts the three files beside the config", () => {
    const state = openTelegramState(join(dir.path, "takopi.toml"));
    expect(stateDirFor(join(dir.path, "takopi.toml"))).toBe(dir.path);
    expect(state.chatSessions.path).toBe(join(dir.path, "telegram_chat_sessions_state.json"));
    expect(state.chatPrefs.path).toBe(join(dir.path, "telegram_chat_prefs_state.json"));
    expect(state.topics.path).toBe(join(dir.path, "telegram_topics_state.json"));
  });
});

describe("ChatSessionsStore", () => {
  const store = (at = cwd): ChatSessionsStore => new ChatSessionsStore({ dir: dir.path, cwd: at });

  it("stores one resume token per engine under <chat>:<sender> or <chat>:chat, in upstream's shape", async () => {
    const sessions = store();
    await sessions.setResume(100, null, { engine: "codex", value: "thread-a" });
    await sessions.setResume(-200, 42, { engine: "claude", value: "sess-b" });
    await sessions.setResume(-200, 42, { engine: "codex", value: "thread-c" });
    expect(fileJson(CHAT_SESSIONS_FILE)).toEqual({
      version: 1,
      cwd,
      chats: {
        "100:chat": { sessions: { codex: { resume: "thread-a" } } },
        "-200:42": { sessions: { claude: { resume: "sess-b" }, codex: { resume: "thread-c" } } },
      },
    });
    const reopened = store();
    expect(await reopened.getResume(100, null, "codex")).toEqual({ engine: "codex", value: "thread-a" });
    expect(await reopened.getResume(100, null, "claude")).toBeNull();
    // Group members do not share sessions.
    expect(await reopened.getResume(-200, 43, "codex")).toBeNull();
    expect(await reopened.getSessions(-200, 42)).toEqual({ claude: "sess-b", codex: "thread-c" });
  });

  it("replacing one engine's token leaves the others alone; /new clears them all and prunes the entry", async () => {
    const sessions = store();
    await sessions.setResume(1, 7, { engine: "codex", value: "old" });
    await sessions.setResume(1, 7, { engine: "claude", value: "keep" });
    await sessions.setResume(1, 7, { engine: "codex", value: "new" });
    expect(await sessions.getSessions(1, 7)).toEqual({ codex: "new", claude: "keep" });

    await sessions.clearResume(1, 7, "codex");
    expect(await sessions.getSessions(1, 7)).toEqual({ claude: "keep" });

    expect(await sessions.clearSessions(1, 7)).toBe(true);
    expect(await sessions.clearSessions(1, 7)).toBe(false);
    expect(fileJson(CHAT_SESSIONS_FILE)).toEqual({ version: 1, cwd, chats: {} });
  });

  it("ignores sessions recorded under another working directory, and drops them at startup", async () => {
    writeJson(CHAT_SESSIONS_FILE, { version: 1, cwd: "/somewhere/else", chats: { "5:chat": { sessions: { codex: { resume: "elsewhere" } } } } });
    const sessions = store();
    expect(await sessions.getResume(5, null, "codex")).toBeNull();
    expect(await sessions.syncCwd()).toBe(true);
    expect(fileJson(CHAT_SESSIONS_FILE)).toEqual({ version: 1, cwd, chats: {} });
    expect(await sessions.syncCwd()).toBe(false);
  });

  it("saving a session under a new working directory drops the old directory's sessions", async () => {
    await store("/").setResume(5, null, { engine: "codex", value: "from-root" });
    const here = store();
    await here.setResume(6, null, { engine: "claude", value: "here" });
    expect(fileJson(CHAT_SESSIONS_FILE)).toEqual({ version: 1, cwd, chats: { "6:chat": { sessions: { claude: { resume: "here" } } } } });
  });

  it("resolves symlinks in the working directory, as upstream compares realpaths", async () => {
    const link = join(dir.path, "work-link");
    symlinkSync(cwd, link);
    await store(link).setResume(1, null, { engine: "codex", value: "t" });
    expect(await store(cwd).getResume(1, null, "codex")).toEqual({ engine: "codex", value: "t" });
  });

  it("reads an upstream file without a cwd and records ours on startup without dropping anything", async () => {
    writeJson(CHAT_SESSIONS_FILE, { version: 1, chats: { "5:chat": { sessions: { codex: { resume: "kept" } } } } });
    const sessions = store();
    expect(await sessions.getResume(5, null, "codex")).toEqual({ engine: "codex", value: "kept" });
    expect(await sessions.syncCwd()).toBe(false);
    expect(fileJson(CHAT_SESSIONS_FILE)).toEqual({ version: 1, cwd, chats: { "5:chat": { sessions: { codex: { resume: "kept" } } } } });
  });
});

describe("ChatPrefsStore", () => {
  const store = (): ChatPrefsStore => new ChatPrefsStore({ dir: dir.path });

  it("stores default engine, trigger mode, context and overrides in upstream's shape", async () => {
    const prefs = store();
    await prefs.setDefaultEngine(-1001, " claude ");
    await prefs.setTriggerMode(-1001, "MENTIONS");
    await prefs.setContext(-1001, { project: "api", branch: "feat/x" });
    await prefs.setOverride(-1001, "codex", "model", "gpt-5");
    await prefs.setOverride(-1001, "codex", "reasoning", "high");
    expect(fileJson(CHAT_PREFS_FILE)).toEqual({
      version: 1,
      chats: {
        "-1001": {
          default_engine: "claude",
          trigger_mode: "mentions",
          context_project: "api",
          context_branch: "feat/x",
          engine_overrides: { codex: { model: "gpt-5", reasoning: "high" } },
        },
      },
    });
    const reopened = store();
    expect(await reopened.getDefaultEngine(-1001)).toBe("claude");
    expect(await reopened.getTriggerMode(-1001)).toBe("mentions");
    expect(await reopened.getContext(-1001)).toEqual({ project: "api", branch: "feat/x" });
    expect(await reopened.getEngineOverrides(-1001, "codex")).toEqual({ model: "gpt-5", reasoning: "high" });
    expect(await reopened.getEngineOverrides(-1001, "claude")).toBeNull();
    expect(await reopened.getDefaultEngine(5)).toBeNull();
  });

  it("setting the model keeps the reasoning override, and clearing both removes the engine", async () => {
    const prefs = store();
    await prefs.setOverride(1, "codex", "reasoning", "low");
    await prefs.setOverride(1, "codex", "model", "o3");
    expect(await prefs.getEngineOverrides(1, "codex")).toEqual({ model: "o3", reasoning: "low" });
    await prefs.setOverride(1, "codex", "model", null);
    expect(await prefs.getEngineOverrides(1, "codex")).toEqual({ model: null, reasoning: "low" });
    await prefs.setOverride(1, "codex", "reasoning", "  ");
    expect(await prefs.getEngineOverrides(1, "codex")).toBeNull();
  });

  it("stores `all` as nothing: trigger mode `all` clears the setting", async () => {
    const prefs = store();
    await prefs.setTriggerMode(1, "mentions");
    await prefs.setDefaultEngine(1, "codex");
    await prefs.setTriggerMode(1, "all");
    expect(await prefs.getTriggerMode(1)).toBeNull();
    expect(fileJson(CHAT_PREFS_FILE)).toMatchObject({ chats: { "1": { trigger_mode: null, default_engine: "codex" } } });
  });

  it("removes a chat's entry once it holds nothing, and never creates one for a clear", async () => {
    const prefs = store();
    await prefs.setDefaultEngine(9, null);
    await prefs.setContext(9, null);
    expect(readdirSync(dir.path).filter((name) => name.endsWith(".json"))).toEqual([]);

    await prefs.setDefaultEngine(9, "pi");
    await prefs.setContext(9, { project: "web", branch: null });
    await prefs.setOverride(9, "pi", "model", "m");
    await prefs.setDefaultEngine(9, null);
    await prefs.setContext(9, { project: " ", branch: "" });
    expect(fileJson(CHAT_PREFS_FILE)).toMatchObject({ chats: { "9": { engine_overrides: { pi: { model: "m" } } } } });
    await prefs.setOverride(9, "pi", "model", null);
    expect(fileJson(CHAT_PREFS_FILE)).toEqual({ version: 1, chats: {} });
  });

  it("reads a hand-written upstream file with missing fields, padding and unknown keys, and keeps the unknown keys", async () => {
    writeJson(CHAT_PREFS_FILE, {
      version: 1,
      chats: {
        "123": { default_engine: " codex ", trigger_mode: "Mentions", future_field: [1, 2] },
        "456": { context_project: "api", context_branch: null, engine_overrides: { claude: { model: "opus", reasoning: null } } },
      },
      written_by: "takopi 0.22",
    });
    const prefs = store();
    expect(await prefs.getDefaultEngine(123)).toBe("codex");
    expect(await prefs.getTriggerMode(123)).toBe("mentions");
    expect(await prefs.getContext(123)).toBeNull();
    expect(await prefs.getContext(456)).toEqual({ project: "api", branch: null });
    expect(await prefs.getEngineOverrides(456, "claude")).toEqual({ model: "opus", reasoning: null });

    await prefs.setDefaultEngine(456, "claude");
    expect(fileJson(CHAT_PREFS_FILE)).toMatchObject({ written_by: "takopi 0.22", chats: { "123": { future_field: [1, 2] } } });
  });

  it("a prefs file from a newer takopi is set aside untouched, not overwritten", async () => {
    const newer = `${JSON.stringify({ version: 2, chats: { "1": { default_engine: "codex" } } })}\n`;
    writeFileSync(join(dir.path, CHAT_PREFS_FILE), newer);
    const prefs = store();
    expect(await prefs.getDefaultEngine(1)).toBeNull();
    await prefs.setDefaultEngine(1, "claude");
    const aside = readdirSync(dir.path).filter((name) => name.startsWith(`${CHAT_PREFS_FILE}.corrupt-`));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir.path, aside[0] ?? ""), "utf8")).toBe(newer);
  });
});

describe("TopicsStore", () => {
  const store = (): TopicsStore => new TopicsStore({ dir: dir.path });

  it("binds a topic to a context with its title and finds it again by context", async () => {
    const topics = store();
    await topics.setContext(-100, 7, { project: "api", branch: "main" }, { topicTitle: "api @main" });
    await topics.setContext(-100, 8, { project: "api", branch: null });
    await topics.setContext(-200, 9, { project: "api", branch: "main" });
    expect(fileJson(TOPICS_FILE)).toMatchObject({
      version: 1,
      threads: { "-100:7": { context: { project: "api", branch: "main" }, topic_title: "api @main", sessions: {} } },
    });

    const reopened = store();
    expect(await reopened.getContext(-100, 7)).toEqual({ project: "api", branch: "main" });
    expect(await reopened.getTopicTitle(-100, 7)).toBe("api @main");
    expect(await reopened.findThreadForContext(-100, { project: "api", branch: "main" })).toBe(7);
    expect(await reopened.findThreadForContext(-100, { project: "api", branch: null })).toBe(8);
    expect(await reopened.findThreadForContext(-100, { project: "web", branch: null })).toBeNull();
    // `-10` is a prefix of `-100` as text; chat ids must match exactly.
    expect(await reopened.findThreadForContext(-10, { project: "api", branch: "main" })).toBeNull();
  });

  it("stores sessions per engine; /new clears them but keeps the binding", async () => {
    const topics = store();
    await topics.setContext(1, 2, { project: "api", branch: null });
    await topics.setResume(1, 2, { engine: "codex", value: "t1" });
    await topics.setResume(1, 2, { engine: "claude", value: "s1" });
    expect(await topics.getResume(1, 2, "codex")).toEqual({ engine: "codex", value: "t1" });
    await topics.clearResume(1, 2, "codex");
    expect(await topics.getResume(1, 2, "codex")).toBeNull();
    await topics.clearSessions(1, 2);
    expect(await topics.getThread(1, 2)).toMatchObject({ context: { project: "api", branch: null }, sessions: {} });
  });

  it("keeps per-topic defaults and overrides, and snapshots a whole thread", async () => {
    const topics = store();
    await topics.setDefaultEngine(1, 2, "claude");
    await topics.setTriggerMode(1, 2, "mentions");
    await topics.setOverride(1, 2, "claude", "model", "sonnet");
    await topics.setTopicTitle(1, 2, "api");
    await topics.setResume(1, 2, { engine: "claude", value: "s" });
    expect(await topics.getThread(1, 2)).toEqual({
      chatId: 1,
      threadId: 2,
      context: null,
      sessions: { claude: "s" },
      topicTitle: "api",
      defaultEngine: "claude",
      triggerMode: "mentions",
      engineOverrides: { claude: { model: "sonnet", reasoning: null } },
    });
    expect(await topics.getDefaultEngine(1, 2)).toBe("claude");
    expect(await topics.getTriggerMode(1, 2)).toBe("mentions");
    expect(await topics.getEngineOverrides(1, 2, "claude")).toEqual({ model: "sonnet", reasoning: null });
    expect(await topics.getThread(1, 3)).toBeNull();
  });

  it("stores a topic's explicit `all`, which a chat does not, and clears it", async () => {
    const topics = store();
    await topics.setTriggerMode(1, 2, "ALL");
    expect(await topics.getTriggerMode(1, 2)).toBe("all");
    expect(fileJson(TOPICS_FILE)).toMatchObject({ threads: { "1:2": { trigger_mode: "all" } } });
    await topics.setTriggerMode(1, 2, "sometimes");
    expect(await topics.getTriggerMode(1, 2)).toBeNull();
    expect(fileJson(TOPICS_FILE)).toEqual({ version: 1, threads: {} });
  });

  it("prunes a thread once everything is cleared, and deletes a thread outright", async () => {
    const topics = store();
    await topics.setContext(1, 2, { project: "api", branch: null });
    await topics.setDefaultEngine(1, 2, "pi");
    await topics.clearContext(1, 2);
    await topics.setDefaultEngine(1, 2, null);
    expect(fileJson(TOPICS_FILE)).toEqual({ version: 1, threads: {} });

    await topics.setContext(1, 3, { project: "web", branch: "dev" }, { topicTitle: "web @dev" });
    await topics.deleteThread(1, 3);
    expect(await topics.getThread(1, 3)).toBeNull();
    expect(fileJson(TOPICS_FILE)).toEqual({ version: 1, threads: {} });
  });

  it("reads an upstream-shaped topics file, including null context and missing fields", async () => {
    writeJson(TOPICS_FILE, {
      version: 1,
      threads: {
        "-1001:55": {
          context: { project: "api", branch: "feat" },
          sessions: { codex: { resume: "019a-thread" }, claude: { resume: "" } },
          topic_title: "api @feat",
          default_engine: null,
          trigger_mode: null,
        },
        "-1001:56": { context: null, sessions: {}, topic_title: "loose", default_engine: "pi", trigger_mode: "all" },
      },
    });
    const topics = store();
    expect(await topics.getThread(-1001, 55)).toEqual({
      chatId: -1001,
      threadId: 55,
      context: { project: "api", branch: "feat" },
      sessions: { codex: "019a-thread" },
      topicTitle: "api @feat",
      defaultEngine: null,
      triggerMode: null,
      engineOverrides: {},
    });
    expect(await topics.getDefaultEngine(-1001, 56)).toBe("pi");
    // A topic keeps an explicit `all` (upstream writes it as null), so it can override a mentions-only chat.
    expect(await topics.getTriggerMode(-1001, 56)).toBe("all");
    expect(await topics.findThreadForContext(-1001, { project: "api", branch: "feat" })).toBe(55);
  });

  it("sees a binding another process wrote while we run", async () => {
    const topics = store();
    await topics.setContext(1, 2, { project: "api", branch: null });
    writeJson(TOPICS_FILE, { version: 1, threads: { "1:2": { context: { project: "web", branch: "x" } } } });
    expect(await topics.getContext(1, 2)).toEqual({ project: "web", branch: "x" });
  });
});
