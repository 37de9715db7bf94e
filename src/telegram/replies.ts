/**
 * Short answers to chat messages (command replies, routing errors): written
 * as markdown like upstream's, where each line break is a line break, and sent
 * as a reply in the message's thread through the outbox.
 */
import type { MessageRef, SendOptions } from "../core/chat.js";
import type { TelegramClient } from "./client.js";
import { renderMarkdown, type RenderedText } from "./markdown.js";

/** Answers `message` with `text` (markdown), as a reply in its chat and thread. */
export function sendReply(client: TelegramClient, message: MessageRef, text: string, options: Pick<SendOptions, "notify"> = {}): Promise<MessageRef | null> {
  const rendered = renderReply(text);
  return client.sendMessage(message.chatId, rendered.text, { ...options, entities: rendered.entities, replyTo: message });
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
