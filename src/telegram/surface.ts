/**
 * The core's ChatSurface on the Telegram client: markdown parts are rendered
 * to text and entities (trimmed or split to fit Telegram's limit), the
 * `cancel` markup becomes the inline cancel button, and every call goes
 * through the outbox (paced, coalesced, retried). Sends and edits to a
 * settled state wait out a Telegram outage; edits of a live progress message
 * (the ones with the cancel button) may be skipped. The client never throws,
 * so neither does this. Secrets are redacted in the markdown, before a trim or
 * a split could cut one in half (and again by the client, in what it posts).
 */
import type { ChatMessage, ChatSurface, MessageRef, SendOptions } from "../core/chat.js";
import type { TelegramClient } from "./client.js";
import { renderChatMessage, replyMarkup, type RenderedMessage, type RenderedMessages } from "./render.js";

export function telegramSurface(client: TelegramClient): ChatSurface {
  /** The rest of a split message, each posted like the first, without buttons. */
  const sendFollowUps = async (chatId: number, followUps: readonly RenderedMessage[], options: SendOptions): Promise<void> => {
    for (const followUp of followUps) await client.sendMessage(chatId, followUp.text, { ...options, entities: followUp.entities });
  };

  return {
    async send(chatId: number, message: ChatMessage, options: SendOptions = {}): Promise<MessageRef | null> {
      const [primary, ...followUps] = render(message, (text) => client.redact(text));
      const sent = await client.sendMessage(chatId, primary.text, {
        ...options,
        entities: primary.entities,
        ...(message.markup === "cancel" || message.markup === "steer" ? { replyMarkup: replyMarkup(message.markup) } : {}),
      });
      if (sent !== null) await sendFollowUps(chatId, followUps, options);
      return sent;
    },

    async edit(ref: MessageRef, message: ChatMessage, followUpOptions: SendOptions = { threadId: ref.threadId }): Promise<MessageRef | null> {
      const [primary, ...followUps] = render(message, (text) => client.redact(text));
      const edited = await client.editMessageText(ref, primary.text, {
        entities: primary.entities,
        replyMarkup: replyMarkup(message.markup),
        // A progress message the user deleted comes back as a new one rather than going silent.
        sendIfMissing: true,
        // Only a live progress message carries the cancel button, and its next edit supersedes this one;
        // any other edit shows a settled state (a final answer, `cancelled`) that must not be skipped.
        keep: message.markup !== "cancel",
      });
      if (edited !== null) await sendFollowUps(ref.chatId, followUps, followUpOptions);
      return edited;
    },

    editLive(ref: MessageRef, produce: () => ChatMessage | null): Promise<MessageRef | null> {
      return client.editMessageLive(
        ref,
        () => {
          const message = produce();
          if (message === null) return null;
          // A live message is one message: a body too long is trimmed, whatever `overflow` says.
          const [primary] = render({ ...message, overflow: "trim" }, (text) => client.redact(text));
          return { text: primary.text, entities: primary.entities, replyMarkup: replyMarkup(message.markup) };
        },
        // A progress message the user deleted comes back as a new one rather than going silent.
        { sendIfMissing: true },
      );
    },

    delete(ref: MessageRef): Promise<boolean> {
      return client.deleteMessage(ref);
    },
  };
}

function render(message: ChatMessage, redact: (text: string) => string): RenderedMessages {
  const { header, body, footer } = message.parts;
  const parts = { header: redact(header), body: body == null ? body : redact(body), footer: footer == null ? footer : redact(footer) };
  return renderChatMessage({ parts, overflow: message.overflow });
}
