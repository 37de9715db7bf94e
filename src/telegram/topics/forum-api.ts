/**
 * The two Bot API calls topics need, through the client's outbox like every
 * other call about a chat (paced per chat, retried through an outage,
 * logged when refused).
 */
import { BotApiError } from "../bot-api.js";
import type { TelegramClient } from "../client.js";
import { PRIORITY } from "../outbox.js";

/** createForumTopic: the new topic's thread id, or null when Telegram refused (or could not be reached). */
export async function createForumTopic(client: TelegramClient, chatId: number, name: string): Promise<number | null> {
  const topic = await client.outbox.enqueue({
    chatId,
    priority: PRIORITY.send,
    label: "createForumTopic",
    execute: () => client.api.call("createForumTopic", { chat_id: chatId, name }),
  });
  return typeof topic?.message_thread_id === "number" ? topic.message_thread_id : null;
}

/**
 * editForumTopic to `name`: true when the topic has that name now. A topic
 * that already has it counts (Telegram answers `TOPIC_NOT_MODIFIED`); a
 * deleted topic does not (`message thread not found`).
 */
export async function renameForumTopic(client: TelegramClient, chatId: number, threadId: number, name: string): Promise<boolean> {
  const renamed = await client.outbox.enqueue({
    chatId,
    priority: PRIORITY.send,
    label: "editForumTopic",
    execute: async () => {
      try {
        return await client.api.call("editForumTopic", { chat_id: chatId, message_thread_id: threadId, name });
      } catch (error) {
        if (error instanceof BotApiError && error.description.includes("TOPIC_NOT_MODIFIED")) return true;
        throw error;
      }
    },
  });
  return renamed === true;
}
