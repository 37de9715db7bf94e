/**
 * Short answers to chat messages (command replies, routing errors): written
 * as markdown like upstream's, where each line break is a line break, and sent
 * as a reply in the message's thread through the outbox.
 */
import { renderMarkdown, type RenderedText } from "../render/markdown.js";
import type { MessageRef, TelegramClient } from "./client.js";

/** Where a reply goes: the message it answers. */
export interface ReplyTarget {
  chatId: number;
  messageId: number;
  threadId: number | null;
}

export interface ReplyOptions {
  /** False delivers silently. Default true. */
  notify?: boolean;
}

export function sendReply(client: TelegramClient, target: ReplyTarget, text: string, options: ReplyOptions = {}): Promise<MessageRef | null> {
  const rendered = renderReply(text);
  return client.sendMessage(target.chatId, rendered.text, {
    entities: rendered.entities,
    replyTo: target.messageId,
    ...(target.threadId === null ? {} : { threadId: target.threadId }),
    ...(options.notify === false ? { disableNotification: true } : {}),
  });
}

/** Markdown where a single newline breaks the line (outside code blocks) instead of joining lines. */
export function renderReply(markdown: string): RenderedText {
  let inFence = false;
  const lines = markdown.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    // Two trailing spaces: markdown's hard line break.
    return inFence || line.trim() === "" ? line : `${line}  `;
  });
  const rendered = renderMarkdown(lines.join("\n"));
  const text = rendered.text.trimEnd();
  const entities = rendered.entities
    .filter((entity) => entity.offset < text.length)
    .map((entity) => (entity.offset + entity.length > text.length ? { ...entity, length: text.length - entity.offset } : entity));
  return { text, entities };
}
