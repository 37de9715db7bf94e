/**
 * A topic's binding to a project and branch: binding renames the topic after
 * its context (`app @feat/a`), and a prompt in a topic runs only where the
 * topic (or its chat) says.
 */
import type { ContextSource, RunContext } from "../../core/directives.js";
import { projectsOf, type BridgeServices } from "../services.js";
import type { ScopeSettings } from "../scope.js";
import { renameForumTopic } from "./forum-api.js";
import { ctxSetUsage, topicTitle, topicUsage } from "./settings.js";

type BindingServices = Pick<BridgeServices, "client" | "config" | "topics" | "log">;

/**
 * Binds the topic to `context` and renames it to match, unless its recorded
 * title already does. A failed rename is logged; the binding stands (the
 * title is tried again on the next change).
 */
export async function bindTopic(services: BindingServices, chatId: number, threadId: number, context: RunContext): Promise<void> {
  const title = topicTitle(context, Object.keys(projectsOf(services)));
  const current = await services.topics.getTopicTitle(chatId, threadId);
  await services.topics.setContext(chatId, threadId, context);
  if (current === title) return;
  if (await renameForumTopic(services.client, chatId, threadId, title)) {
    await services.topics.setContext(chatId, threadId, context, { topicTitle: title });
  } else {
    services.log.warn({ event: "topics.rename_failed", chat_id: chatId, thread_id: threadId, title }, "could not rename the topic after its context");
  }
}

/**
 * Before a prompt in a topic runs: a context named by directives becomes
 * the topic's binding; a topic with nothing to run in (no binding, no chat
 * project) says how to bind it. Returns that answer, or null to run.
 * Topics never fall back to `default_project`.
 */
export async function topicBindingCheck(
  services: BindingServices,
  settings: Pick<ScopeSettings, "scope" | "ambient" | "chatProject">,
  resolved: { context: RunContext | null; contextSource: ContextSource },
): Promise<string | null> {
  const { scope } = settings;
  if (scope.kind !== "topic") return null;
  if (resolved.context !== null && resolved.contextSource === "directives") {
    await bindTopic(services, scope.chatId, scope.threadId, resolved.context);
    return null;
  }
  if (settings.ambient === null && resolved.contextSource !== "reply_ctx") {
    return `this topic isn't bound to a project yet.\n${ctxSetUsage(settings.chatProject)} or ${topicUsage(settings.chatProject)}`;
  }
  return null;
}
