/**
 * `/topic <project> @branch`: a forum topic for a branch. Outside a topic it
 * creates one named after its context (or reuses the topic already bound to
 * it, recreating it when that topic was deleted) and says so inside the new
 * topic; inside a topic it re-binds that topic and renames it.
 */
import { splitArgs } from "../../core/slash.js";
import type { IncomingMessage } from "../incoming.js";
import { renderReply } from "../replies.js";
import { messageScope } from "../scope.js";
import { chatProject, describeContext, projectsOf, type BridgeServices } from "../services.js";
import { parseTopicContext } from "../topics/args.js";
import { bindTopic } from "../topics/binding.js";
import { createForumTopic, renameForumTopic } from "../topics/forum-api.js";
import { topicsCommandError, topicsScope, topicTitle, topicUsage } from "../topics/settings.js";

export async function topicCommand(services: BridgeServices, message: IncomingMessage, argsText: string): Promise<string> {
  const denied = topicsCommandError(topicsScope(services.config()), message.chatId);
  if (denied !== null) return denied;
  const chatProjectAlias = chatProject(services, message.chatId);
  const usage = topicUsage(chatProjectAlias);
  const args = splitArgs(argsText);
  if (args.length === 0) return usage;
  const aliases = Object.keys(projectsOf(services));
  const context = parseTopicContext(args, { aliases, chatProject: chatProjectAlias, requireBranch: true });
  if ("error" in context) return `error:\n${context.error}\n${usage}`;
  const ctx = describeContext(context);

  const scope = messageScope(services, message);
  if (scope.kind === "topic") {
    await bindTopic(services, scope.chatId, scope.threadId, context);
    return `topic bound to \`${ctx}\``;
  }

  const title = topicTitle(context, aliases);
  const existing = await services.topics.findThreadForContext(message.chatId, context);
  // A topic that can no longer be renamed was deleted: it is replaced by a new one.
  if (existing !== null && (await renameForumTopic(services.client, message.chatId, existing, title))) {
    return `topic already exists for ${ctx} in this chat.`;
  }
  const threadId = await createForumTopic(services.client, message.chatId, title);
  if (threadId === null) return "failed to create topic.";
  if (existing !== null) await services.topics.deleteThread(message.chatId, existing);
  await services.topics.setContext(message.chatId, threadId, context, { topicTitle: title });
  const bound = renderReply(`topic bound to \`${ctx}\``);
  await services.client.sendMessage(message.chatId, bound.text, { entities: bound.entities, threadId, notify: false });
  return `created topic \`${title}\`.`;
}
