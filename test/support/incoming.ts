/** A parsed Telegram message with every field filled in, for tests of what consumes one. */
import type { IncomingMessage } from "../../src/telegram/incoming.js";

/** A plain text message from a person; `overrides` set whatever the test is about. */
export function incomingMessage(overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  const chatId = overrides.chatId ?? 1;
  return {
    kind: "message",
    updateId: 1,
    chatId,
    chatType: chatId > 0 ? "private" : "supergroup",
    isPrivate: chatId > 0,
    isForum: false,
    messageId: 1,
    threadId: null,
    isTopicMessage: false,
    senderId: 1,
    senderUsername: null,
    senderIsBot: false,
    date: 0,
    text: "hi",
    entities: [],
    replyTo: null,
    isForward: false,
    mediaGroupId: null,
    hasAttachment: false,
    document: null,
    voice: null,
    forwardFollows: false,
    raw: {},
    ...overrides,
  };
}
