/**
 * The scope seam: which chats have topics, which scope a message is in, and
 * how a topic's settings (read from real state files) layer over its chat's.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfigText, type LoadedConfig } from "../../../src/config/load.js";
import { effectiveOverrides, effectiveTrigger, messageScope, scopeLayer, scopeSettings } from "../../../src/telegram/scope.js";
import { openTelegramState } from "../../../src/telegram/state/index.js";
import { parseTopicContext } from "../../../src/telegram/topics/args.js";
import { scopeLabel, topicsCommandError, topicsScope, topicTitle } from "../../../src/telegram/topics/settings.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

const MAIN = -1001;
const PROJECT_CHAT = -1002;

function config(topics: string, projects = ""): LoadedConfig {
  const text = `[transports.telegram]\nbot_token = "123:abc"\nchat_id = ${MAIN}\n[transports.telegram.topics]\n${topics}\n${projects}`;
  return loadConfigText(text, "/state/takopi.toml", { env: {} });
}

const WITH_PROJECT_CHAT = `[projects.app]\npath = "/srv/app"\nchat_id = ${PROJECT_CHAT}\n[projects.web]\npath = "/srv/web"`;
const NO_PROJECT_CHAT = `[projects.app]\npath = "/srv/app"`;

describe("topicsScope", () => {
  it("resolves auto to the project chats when there are any, else the main chat", () => {
    expect(topicsScope(config("enabled = true", WITH_PROJECT_CHAT))).toMatchObject({ resolved: "projects", chatIds: new Set([PROJECT_CHAT]) });
    expect(topicsScope(config("enabled = true", NO_PROJECT_CHAT))).toMatchObject({ resolved: "main", chatIds: new Set([MAIN]) });
    expect(scopeLabel(topicsScope(config("enabled = true", NO_PROJECT_CHAT)))).toBe("auto (main)");
    expect(topicsScope(config('enabled = true\nscope = "all"', WITH_PROJECT_CHAT)).chatIds).toEqual(new Set([MAIN, PROJECT_CHAT]));
    expect(scopeLabel(topicsScope(config('enabled = true\nscope = "all"', WITH_PROJECT_CHAT)))).toBe("all");
  });

  it("has no topic chats while disabled, and says how to enable them", () => {
    const scope = topicsScope(config("enabled = false", NO_PROJECT_CHAT));
    expect(scope.chatIds.size).toBe(0);
    expect(topicsCommandError(scope, MAIN)).toContain("`enabled = true` under `[transports.telegram.topics]`");
  });

  it("tells a chat outside the scope where topics are, with the auto hint", () => {
    const auto = topicsScope(config("enabled = true", WITH_PROJECT_CHAT));
    expect(topicsCommandError(auto, PROJECT_CHAT)).toBeNull();
    expect(topicsCommandError(auto, MAIN)).toBe(
      'topics commands are only available in project chats (auto scope). to use topics in the main chat, set `topics.scope = "main"`.',
    );
    expect(topicsCommandError(topicsScope(config('enabled = true\nscope = "main"', WITH_PROJECT_CHAT)), PROJECT_CHAT)).toBe(
      "topics commands are only available in the main chat.",
    );
  });
});

describe("topic titles and arguments", () => {
  it("names a topic after its context", () => {
    expect(topicTitle({ project: "app", branch: "feat/a" })).toBe("app @feat/a");
    expect(topicTitle({ project: null, branch: "feat/a" })).toBe("@feat/a");
    expect(topicTitle({ project: "app", branch: null })).toBe("app");
    expect(topicTitle({ project: null, branch: null })).toBe("topic");
  });

  it("parses `<project> @branch`, with the chat's project implied in a project chat", () => {
    const aliases = ["app", "web"];
    expect(parseTopicContext(["app", "@feat"], { aliases, chatProject: null, requireBranch: true })).toEqual({ project: "app", branch: "feat" });
    expect(parseTopicContext(["@feat"], { aliases, chatProject: "app", requireBranch: true })).toEqual({ project: "app", branch: "feat" });
    expect(parseTopicContext(["@feat"], { aliases, chatProject: null, requireBranch: true })).toEqual({ error: "project is required" });
    expect(parseTopicContext(["app"], { aliases, chatProject: null, requireBranch: true })).toEqual({ error: "branch is required" });
    expect(parseTopicContext(["app"], { aliases, chatProject: null, requireBranch: false })).toEqual({ project: "app", branch: null });
    expect(parseTopicContext(["app", "feat"], { aliases, chatProject: null, requireBranch: true })).toEqual({ error: "branch must be prefixed with @" });
    expect(parseTopicContext(["nope", "@x"], { aliases, chatProject: null, requireBranch: true })).toEqual({ error: "unknown project 'nope'" });
    expect(parseTopicContext(["web", "@x"], { aliases, chatProject: "app", requireBranch: true })).toEqual({ error: "project mismatch for this chat; expected 'app'." });
    expect(parseTopicContext(["a", "@b", "c"], { aliases, chatProject: null, requireBranch: true })).toEqual({ error: "too many arguments" });
  });
});

describe("effectiveTrigger", () => {
  it("lets a topic's explicit mode win, `all` over a mentions-only chat included", () => {
    expect(effectiveTrigger({ topic: "all", chat: "mentions" })).toEqual({ mode: "all", source: "topic override" });
    expect(effectiveTrigger({ topic: "mentions", chat: null })).toEqual({ mode: "mentions", source: "topic override" });
    expect(effectiveTrigger({ topic: null, chat: "mentions" })).toEqual({ mode: "mentions", source: "chat default" });
    expect(effectiveTrigger({ topic: null, chat: null })).toEqual({ mode: "all", source: "default" });
  });
});

describe("scopeSettings over real state files", () => {
  let dir: ScratchDir;
  beforeEach(async () => {
    dir = await scratchDir("takopi-scope-");
  });
  afterEach(async () => {
    await dir.dispose();
  });

  function services(loaded: LoadedConfig) {
    const state = openTelegramState(join(dir.path, "takopi.toml"));
    return { config: () => loaded, ...state };
  }
  const inTopic = { chatId: PROJECT_CHAT, threadId: 7, isPrivate: false, senderId: 11 };

  it("puts a message in a topic only where topics are on", () => {
    const on = services(config("enabled = true", WITH_PROJECT_CHAT));
    const off = services(config("enabled = false", WITH_PROJECT_CHAT));
    expect(messageScope(on, inTopic)).toEqual({ kind: "topic", chatId: PROJECT_CHAT, threadId: 7 });
    expect(messageScope(on, { chatId: PROJECT_CHAT, threadId: null })).toEqual({ kind: "chat", chatId: PROJECT_CHAT });
    expect(messageScope(on, { chatId: MAIN, threadId: 7 })).toEqual({ kind: "chat", chatId: MAIN });
    expect(messageScope(off, inTopic)).toEqual({ kind: "chat", chatId: PROJECT_CHAT });
  });

  it("layers a topic over its chat: binding, defaults, overrides field by field, sessions of its own", async () => {
    const svc = services(config("enabled = true", WITH_PROJECT_CHAT));
    const chat = scopeLayer(svc, { kind: "chat", chatId: PROJECT_CHAT });
    const topic = scopeLayer(svc, { kind: "topic", chatId: PROJECT_CHAT, threadId: 7 });
    await chat.setDefaultEngine("claude");
    await chat.setOverride("codex", "model", "gpt-chat");
    await chat.setOverride("codex", "reasoning", "low");
    await chat.setTriggerMode("mentions");
    await topic.setOverride("codex", "model", "gpt-topic");
    await topic.setTriggerMode("all");
    await svc.topics.setContext(PROJECT_CHAT, 7, { project: null, branch: "feat/a" });
    await svc.topics.setResume(PROJECT_CHAT, 7, { engine: "codex", value: "topic-session" });

    const settings = await scopeSettings(svc, inTopic);
    expect(settings.scope).toEqual({ kind: "topic", chatId: PROJECT_CHAT, threadId: 7 });
    // A binding to a bare branch runs in the chat's project.
    expect(settings.ambient).toEqual({ project: "app", branch: "feat/a" });
    expect(settings.defaults).toEqual({ topic: null, chat: "claude" });
    expect(effectiveOverrides(settings, "codex")).toEqual({ model: "gpt-topic", reasoning: "low" });
    expect(effectiveTrigger(settings.trigger).mode).toBe("all");
    expect(settings.sessions).toEqual({ codex: "topic-session" });

    const otherTopic = await scopeSettings(svc, { ...inTopic, threadId: 8 });
    expect(otherTopic.sessions).toEqual({});
    expect(otherTopic.ambient).toEqual({ project: "app", branch: null });
    expect(effectiveTrigger(otherTopic.trigger).mode).toBe("mentions");
  });

  it("ignores a binding to a project no longer configured", async () => {
    const svc = services(config('enabled = true\nscope = "main"', NO_PROJECT_CHAT));
    await svc.topics.setContext(MAIN, 3, { project: "gone", branch: "x" });
    const settings = await scopeSettings(svc, { chatId: MAIN, threadId: 3, isPrivate: false, senderId: 11 });
    expect(settings.topicBinding).toBeNull();
    expect(settings.ambient).toBeNull();
  });
});
