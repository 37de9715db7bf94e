/**
 * What the router and the built-in commands share while the bridge runs, and
 * the per-chat rules they both apply: whose stored session a message uses,
 * which engine a message runs on and why, who may change chat settings.
 */
import { transportConfig, type LoadedConfig } from "../config/load.js";
import type { ProjectSettings, TelegramSettings } from "../config/schema.js";
import type { ThreadScheduler } from "../core/scheduler.js";
import { formatContextLine, type RunContext } from "../core/directives.js";
import type { EngineCatalogue } from "../engines/catalogue.js";
import type { PluginRegistry } from "../plugins/registry.js";
import type { BridgeRuntime } from "../plugins/types.js";
import type { Logger } from "../util/log.js";
import type { TelegramClient } from "./client.js";
import type { PluginRuntime } from "./runtime.js";
import type { IncomingMessage } from "./incoming.js";
import type { ChatPrefsStore, ChatSessionsStore, TopicsStore } from "./state/index.js";

export interface BridgeServices {
  client: TelegramClient;
  scheduler: ThreadScheduler;
  engines: EngineCatalogue;
  chatSessions: ChatSessionsStore;
  chatPrefs: ChatPrefsStore;
  /** Forum topics' bindings, sessions and settings (used when topics are enabled). */
  topics: TopicsStore;
  plugins: PluginRegistry;
  runtime: BridgeRuntime;
  /** A plugin's own runtime view: its buttons carry its id (runtime.ts). */
  runtimeFor(pluginId: string): PluginRuntime;
  /** The config in force (hot reload replaces it). */
  config(): LoadedConfig;
  /** `takopi <engine>` if given, else `default_engine`. */
  defaultEngine(): string;
  /** From getMe; null if it was not available (then `@mentions` cannot be recognised). */
  botUsername: string | null;
  log: Logger;
}

export function telegramSettings(services: Pick<BridgeServices, "config">): TelegramSettings {
  return transportConfig(services.config(), "telegram");
}

export function projectsOf(services: Pick<BridgeServices, "config">): Record<string, ProjectSettings> {
  return services.config().settings.projects;
}

/** The key of a chat's (or a group member's) stored sessions. */
export interface SessionOwner {
  chatId: number;
  /** The sender in a group; null in a private chat. */
  ownerId: number | null;
}

/**
 * Whose stored sessions a message uses in `session_mode = "chat"`: the chat
 * in a private chat, the sender in a group (each member has their own). Null
 * in stateless mode, inside a topic thread, and for a group message without a
 * sender (an anonymous admin).
 */
export function sessionOwner(services: Pick<BridgeServices, "config">, message: Pick<IncomingMessage, "chatId" | "isPrivate" | "senderId" | "threadId">): SessionOwner | null {
  if (telegramSettings(services).session_mode !== "chat" || message.threadId !== null) return null;
  if (message.isPrivate) return { chatId: message.chatId, ownerId: null };
  return message.senderId === null ? null : { chatId: message.chatId, ownerId: message.senderId };
}

/** The project this chat belongs to (`projects.<alias>.chat_id`), if any. */
export function chatProject(services: Pick<BridgeServices, "config">, chatId: number): string | null {
  for (const [alias, project] of Object.entries(projectsOf(services))) {
    if (project.chat_id === chatId) return alias;
  }
  return null;
}

/**
 * The context a message runs in when it names none: what
 * `/ctx set` bound the chat to, else the chat's project. A binding to a
 * project that is no longer configured is ignored.
 */
export async function ambientContext(services: Pick<BridgeServices, "config" | "chatPrefs">, chatId: number): Promise<RunContext | null> {
  const bound = await services.chatPrefs.getContext(chatId);
  if (bound !== null && (bound.project === null || Object.hasOwn(projectsOf(services), bound.project))) {
    return { project: bound.project, branch: bound.branch };
  }
  const project = chatProject(services, chatId);
  return project === null ? null : { project, branch: null };
}

export type EngineSource = "directive" | "topic default" | "chat default" | "project default" | "global default";

/** The `/agent set` defaults that apply to a message: its topic's (if in one) and its chat's. */
export interface EngineDefaults {
  topic: string | null;
  chat: string | null;
}

/**
 * The engine for a new session, first found wins: the `/engine` directive,
 * the topic's `/agent set` default, the chat's, the project's
 * `default_engine`, the global default. Defaults naming an engine that no
 * longer exists are skipped.
 */
export function chooseEngine(
  services: Pick<BridgeServices, "config" | "engines" | "defaultEngine">,
  directive: string | null,
  defaults: EngineDefaults,
  project: string | null,
): { engine: string; source: EngineSource } {
  const known = new Set(services.engines.ids());
  if (directive !== null) return { engine: directive, source: "directive" };
  if (defaults.topic !== null && known.has(defaults.topic)) return { engine: defaults.topic, source: "topic default" };
  if (defaults.chat !== null && known.has(defaults.chat)) return { engine: defaults.chat, source: "chat default" };
  const projectDefault = project === null ? null : (projectsOf(services)[project]?.default_engine ?? null);
  if (projectDefault !== null && known.has(projectDefault)) return { engine: projectDefault, source: "project default" };
  return { engine: services.defaultEngine(), source: "global default" };
}

/**
 * Settings may be changed by anyone in a private chat and by
 * group admins in a group. Returns null when allowed, else why not.
 */
export async function settingsPermission(
  services: Pick<BridgeServices, "client">,
  message: Pick<IncomingMessage, "chatId" | "isPrivate" | "senderId">,
): Promise<"no_sender" | "unverified" | "not_admin" | null> {
  if (message.senderId === null) return "no_sender";
  if (message.isPrivate) return null;
  const member = await services.client.getChatMember(message.chatId, message.senderId);
  if (member === null) return "unverified";
  return member.status === "creator" || member.status === "administrator" ? null : "not_admin";
}

/** `app @feature`, `app`, `@feature` or `none`. */
export function describeContext(context: RunContext | null): string {
  if (context === null || (context.project === null && context.branch === null)) return "none";
  if (context.project === null) return `@${context.branch ?? ""}`;
  return context.branch === null ? context.project : `${context.project} @${context.branch}`;
}

/** The `ctx:` footer line for a run's context, in the alias's configured spelling. */
export function contextFooter(services: Pick<BridgeServices, "config">, context: RunContext | null): string | null {
  return formatContextLine(context, Object.keys(projectsOf(services)));
}
