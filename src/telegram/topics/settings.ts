/**
 * Which chats have forum topics (`[transports.telegram.topics]`), and the
 * words topics use everywhere: the scope label, the error for a topic
 * command outside the scope, a topic's title, the usage lines.
 */
import type { LoadedConfig } from "../../config/load.js";
import type { RunContext } from "../../core/directives.js";

/** `auto` resolved: `projects` when any project has a chat, else `main`. */
export type ResolvedTopicsScope = "main" | "projects" | "all";

export interface TopicsScope {
  enabled: boolean;
  /** As configured (`auto` included). */
  configured: "auto" | ResolvedTopicsScope;
  resolved: ResolvedTopicsScope;
  /** The chats where topics are on (empty when disabled). */
  chatIds: ReadonlySet<number>;
}

/** The scope in force: read from the config each time, so it follows what a reload would change. */
export function topicsScope(config: LoadedConfig): TopicsScope {
  const telegram = config.settings.transports.telegram;
  const topics = telegram?.topics ?? { enabled: false, scope: "auto" as const };
  const projectChats = Object.values(config.settings.projects)
    .map((project) => project.chat_id)
    .filter((id): id is number => id !== null);
  const resolved: ResolvedTopicsScope = topics.scope === "auto" ? (projectChats.length > 0 ? "projects" : "main") : topics.scope;
  const main = telegram === undefined ? [] : [telegram.chat_id];
  const chats = resolved === "main" ? main : resolved === "projects" ? projectChats : [...main, ...projectChats];
  return { enabled: topics.enabled, configured: topics.scope, resolved, chatIds: new Set(topics.enabled ? chats : []) };
}

/** `main`, or `auto (projects)` when resolved from `auto`. */
export function scopeLabel(scope: TopicsScope): string {
  return scope.configured === "auto" ? `auto (${scope.resolved})` : scope.resolved;
}

/** Why a topic command cannot be used in this chat, or null when it can. */
export function topicsCommandError(scope: TopicsScope, chatId: number): string | null {
  if (!scope.enabled) return "topics are disabled; set `enabled = true` under `[transports.telegram.topics]` and restart takopi.";
  if (scope.chatIds.has(chatId)) return null;
  const auto = scope.configured === "auto";
  switch (scope.resolved) {
    case "main":
      return auto
        ? 'topics commands are only available in the main chat (auto scope). to use topics in project chats, set `topics.scope = "projects"`.'
        : "topics commands are only available in the main chat.";
    case "projects":
      return auto
        ? 'topics commands are only available in project chats (auto scope). to use topics in the main chat, set `topics.scope = "main"`.'
        : "topics commands are only available in project chats.";
    case "all":
      return "topics commands are only available in the main or project chats.";
  }
}

/** A topic's name for its context: `app @feat/a`, `@feat/a`, `app`, or `topic`; the alias as configured (`aliases`). */
export function topicTitle(context: RunContext, aliases: readonly string[] = []): string {
  const project = context.project === null ? null : (aliases.find((alias) => alias.toLowerCase() === context.project?.toLowerCase()) ?? context.project);
  if (context.branch) return project === null ? `@${context.branch}` : `${project} @${context.branch}`;
  return project ?? "topic";
}

export function ctxSetUsage(chatProject: string | null): string {
  return chatProject === null ? "usage: `/ctx set <project> [@branch]`" : "usage: `/ctx set [@branch]`";
}

export function topicUsage(chatProject: string | null): string {
  return chatProject === null ? "usage: `/topic <project> @branch`" : "usage: `/topic @branch`";
}
