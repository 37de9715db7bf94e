/**
 * Where a message's settings and sessions live: its chat, or — in a chat
 * with forum topics — its topic. The router and the settings commands ask
 * this module instead of asking "is this a topic?" themselves: which layer a
 * command changes (scopePrefs), and what a prompt needs to know before it
 * runs (scopeSettings: context, engine defaults, overrides, trigger mode,
 * stored sessions), with a topic's settings beating its chat's.
 */
import type { RunContext } from "../core/directives.js";
import type { ResumeToken } from "../core/events.js";
import type { IncomingMessage } from "./incoming.js";
import { ambientContext, chatProject, projectsOf, sessionOwner, type BridgeServices, type EngineDefaults, type SessionOwner } from "./services.js";
import type { BoundContext, EngineOverrides, OverrideField, TriggerMode } from "./state/index.js";
import { topicsScope } from "./topics/settings.js";

/** A chat outside topics, or one forum topic of a chat where topics are enabled. */
export type Scope = { kind: "chat"; chatId: number } | { kind: "topic"; chatId: number; threadId: number };

type ScopeServices = Pick<BridgeServices, "config" | "chatPrefs" | "chatSessions" | "topics">;

/** The topic a message is in when topics are on in its chat, else its chat. */
export function messageScope(services: Pick<BridgeServices, "config">, message: Pick<IncomingMessage, "chatId" | "threadId">): Scope {
  if (message.threadId !== null && topicsScope(services.config()).chatIds.has(message.chatId)) {
    return { kind: "topic", chatId: message.chatId, threadId: message.threadId };
  }
  return { kind: "chat", chatId: message.chatId };
}

/** The settings one scope keeps itself (what `/agent set`, `/model set`, `/trigger` change there). */
export interface ScopeLayer {
  getDefaultEngine(): Promise<string | null>;
  setDefaultEngine(engine: string | null): Promise<void>;
  getTriggerMode(): Promise<TriggerMode | null>;
  /** A topic stores `all` and `mentions`; a chat stores `mentions` (`all` is its default). null clears. */
  setTriggerMode(mode: TriggerMode | null): Promise<void>;
  getEngineOverrides(engine: string): Promise<EngineOverrides | null>;
  setOverride(engine: string, field: OverrideField, value: string | null): Promise<void>;
}

export function scopeLayer(services: Pick<BridgeServices, "chatPrefs" | "topics">, scope: Scope): ScopeLayer {
  if (scope.kind === "chat") {
    const { chatPrefs } = services;
    const { chatId } = scope;
    return {
      getDefaultEngine: () => chatPrefs.getDefaultEngine(chatId),
      setDefaultEngine: (engine) => chatPrefs.setDefaultEngine(chatId, engine),
      getTriggerMode: () => chatPrefs.getTriggerMode(chatId),
      setTriggerMode: (mode) => chatPrefs.setTriggerMode(chatId, mode),
      getEngineOverrides: (engine) => chatPrefs.getEngineOverrides(chatId, engine),
      setOverride: (engine, field, value) => chatPrefs.setOverride(chatId, engine, field, value),
    };
  }
  const { topics } = services;
  const { chatId, threadId } = scope;
  return {
    getDefaultEngine: () => topics.getDefaultEngine(chatId, threadId),
    setDefaultEngine: (engine) => topics.setDefaultEngine(chatId, threadId, engine),
    getTriggerMode: () => topics.getTriggerMode(chatId, threadId),
    setTriggerMode: (mode) => topics.setTriggerMode(chatId, threadId, mode),
    getEngineOverrides: (engine) => topics.getEngineOverrides(chatId, threadId, engine),
    setOverride: (engine, field, value) => topics.setOverride(chatId, threadId, engine, field, value),
  };
}

/** A setting of a topic and of its chat, side by side (`topic` is null outside topics). */
export interface Layered<T> {
  topic: T;
  chat: T;
}

/** What a message's scope says before it is known which engine runs. */
export interface ScopeSettings {
  scope: Scope;
  /** The project whose `chat_id` is this chat. */
  chatProject: string | null;
  /** The context the topic is bound to (null outside topics and in an unbound topic). */
  topicBinding: BoundContext | null;
  /** The context a message that names none runs in. */
  ambient: RunContext | null;
  defaults: EngineDefaults;
  overrides: Layered<Record<string, EngineOverrides>>;
  trigger: Layered<TriggerMode | null>;
  /** Who owns the stored sessions: the topic, a chat (or group member), or nobody (stateless). */
  owner: SessionOwner | null;
  /** The stored sessions (engine → resume value) of the topic or the owner; null when nothing stores them. */
  sessions: Record<string, string> | null;
}

/** A message's scope settings, read at once: reads of one state file issued together share one look at it. */
export async function scopeSettings(
  services: ScopeServices,
  message: Pick<IncomingMessage, "chatId" | "isPrivate" | "senderId" | "threadId">,
): Promise<ScopeSettings> {
  const scope = messageScope(services, message);
  const owner = scope.kind === "topic" ? null : sessionOwner(services, message);
  const project = chatProject(services, message.chatId);
  const [chatAmbient, chatDefault, chatOverrides, chatTrigger, ownerSessions, thread] = await Promise.all([
    ambientContext(services, message.chatId),
    services.chatPrefs.getDefaultEngine(message.chatId),
    services.chatPrefs.getAllEngineOverrides(message.chatId),
    services.chatPrefs.getTriggerMode(message.chatId),
    owner === null ? null : services.chatSessions.getSessions(owner.chatId, owner.ownerId),
    scope.kind === "topic" ? services.topics.getThread(scope.chatId, scope.threadId) : null,
  ]);
  const binding = thread?.context ?? null;
  const topicBinding = binding !== null && (binding.project === null || Object.hasOwn(projectsOf(services), binding.project)) ? binding : null;
  return {
    scope,
    chatProject: project,
    topicBinding,
    ambient: topicBinding === null ? chatAmbient : mergeTopicContext(project, topicBinding),
    defaults: { topic: thread?.defaultEngine ?? null, chat: chatDefault },
    overrides: { topic: thread?.engineOverrides ?? {}, chat: chatOverrides },
    trigger: { topic: thread?.triggerMode ?? null, chat: chatTrigger },
    owner,
    sessions: scope.kind === "topic" ? (thread?.sessions ?? {}) : ownerSessions,
  };
}

/** A topic's binding over its chat's project: a binding to a bare `@branch` runs in the chat's project. */
export function mergeTopicContext(chatProjectAlias: string | null, bound: BoundContext): RunContext {
  return { project: bound.project ?? chatProjectAlias, branch: bound.branch };
}

/** An engine's overrides: the topic's field beats the chat's, field by field. */
export function effectiveOverrides(settings: Pick<ScopeSettings, "overrides">, engine: string): EngineOverrides {
  const topic = settings.overrides.topic[engine];
  const chat = settings.overrides.chat[engine];
  return { model: topic?.model ?? chat?.model ?? null, reasoning: topic?.reasoning ?? chat?.reasoning ?? null };
}

export type TriggerSource = "topic override" | "chat default" | "default";

/**
 * Whether the scope answers every message: a topic's own mode (`all` too)
 * beats its chat's; a chat without one answers all.
 */
export function effectiveTrigger(trigger: Layered<TriggerMode | null>): { mode: TriggerMode; source: TriggerSource } {
  if (trigger.topic !== null) return { mode: trigger.topic, source: "topic override" };
  if (trigger.chat !== null) return { mode: trigger.chat, source: "chat default" };
  return { mode: "all", source: "default" };
}

/** Remembers the session a run started, for the next message of the same topic or chat owner. */
export async function storeSession(services: Pick<BridgeServices, "chatSessions" | "topics">, settings: Pick<ScopeSettings, "scope" | "owner">, token: ResumeToken): Promise<void> {
  const { scope, owner } = settings;
  if (scope.kind === "topic") await services.topics.setResume(scope.chatId, scope.threadId, token);
  else if (owner !== null) await services.chatSessions.setResume(owner.chatId, owner.ownerId, token);
}
