/**
 * Whether forum topics can work where they are enabled: each topic chat must
 * be a supergroup with topics turned on, where the bot may manage topics
 * (the creator, or an administrator with "manage topics"). Every problem is
 * one line that says what to change in Telegram; `takopi run` refuses to
 * start with any, and `takopi doctor` lists them.
 */
import type { BotApi } from "../bot-api.js";
import { describeError } from "../errors.js";
import type { TopicsScope } from "./settings.js";

/** What validation needs to know about a chat; a string is why it could not be read. */
export interface TopicChatFacts {
  chat(chatId: number): Promise<{ type: string; is_forum?: boolean } | string>;
  botMember(chatId: number): Promise<{ status: string; can_manage_topics?: boolean } | string>;
}

/** The problems with the topic chats, one line each; empty when topics are off or all is well. */
export async function topicsProblems(scope: TopicsScope, facts: TopicChatFacts): Promise<string[]> {
  if (!scope.enabled) return [];
  if (scope.chatIds.size === 0) {
    return ['topics enabled but no project chats are configured; set projects.<alias>.chat_id for forum chats or use scope = "main".'];
  }
  const problems: string[] = [];
  for (const chatId of [...scope.chatIds].sort((a, b) => a - b)) {
    const problem = await chatProblem(chatId, facts);
    if (problem !== null) problems.push(problem);
  }
  return problems;
}

async function chatProblem(chatId: number, facts: TopicChatFacts): Promise<string | null> {
  const chat = await facts.chat(chatId);
  if (typeof chat === "string") return `topics: cannot read chat ${chatId} (${chat}); add the bot to that chat and check the id.`;
  if (chat.type !== "supergroup") {
    return `topics enabled but chat ${chatId} is a ${chat.type} chat, not a supergroup; convert the group to a supergroup and turn on topics.`;
  }
  if (chat.is_forum !== true) return `topics enabled but chat ${chatId} does not have topics turned on; turn on topics in the group's settings.`;
  const member = await facts.botMember(chatId);
  if (typeof member === "string") return `topics: cannot read the bot's rights in chat ${chatId} (${member}); promote the bot to admin with "manage topics".`;
  if (member.status === "creator") return null;
  if (member.status !== "administrator") return `topics enabled but the bot is not an admin in chat ${chatId}; promote it to admin and grant "manage topics".`;
  if (member.can_manage_topics !== true) return `topics enabled but the bot may not manage topics in chat ${chatId}; grant it the "manage topics" admin right.`;
  return null;
}

/** The facts from the bridge's Bot API client; a failed call becomes its reason. */
export function botApiFacts(api: Pick<BotApi, "getChat" | "getChatMember">, botId: number): TopicChatFacts {
  return {
    chat: (chatId) => api.getChat(chatId).catch(reason),
    botMember: (chatId) => api.getChatMember(chatId, botId).catch(reason),
  };
}

/** `Bad Request: chat not found`, or `HttpError: …` for no answer (never the token). */
function reason(error: unknown): string {
  const detail = describeError(error);
  return detail.code === undefined ? `${detail.name}: ${detail.description}${detail.cause === undefined ? "" : ` (${detail.cause})`}` : detail.description;
}
