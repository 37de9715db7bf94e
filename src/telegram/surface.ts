/**
 * The core's ChatSurface on the Telegram client: rendered messages become
 * sendMessage / editMessageText calls with entities, the `cancel` markup
 * becomes the inline cancel button, and every call goes through the outbox
 * (paced, coalesced, retried). The client never throws, so neither does this.
 */
import type { ChatSurface, MessageMarkup, MessageRef, RenderedMessage, SurfaceEditOptions, SurfaceSendOptions } from "../core/presenter.js";
import { CANCEL_MARKUP, CLEAR_MARKUP } from "../render/telegram.js";
import type { MessageRef as ClientRef, SendOptions, TelegramClient } from "./client.js";

export function telegramSurface(client: TelegramClient): ChatSurface {
  return {
    async send(chatId: number, message: RenderedMessage, options: SurfaceSendOptions = {}): Promise<MessageRef | null> {
      const send: SendOptions = { entities: message.entities };
      if (options.replyTo != null) send.replyTo = options.replyTo;
      if (options.threadId != null) send.threadId = options.threadId;
      if (options.notify === false) send.disableNotification = true;
      if (options.markup === "cancel") send.replyMarkup = CANCEL_MARKUP;
      return fromClient(await client.sendMessage(chatId, message.text, send));
    },

    async edit(ref: MessageRef, message: RenderedMessage, options: SurfaceEditOptions = {}): Promise<MessageRef | null> {
      const edited = await client.editMessageText(toClient(ref), message.text, {
        entities: message.entities,
        // Telegram keeps a keyboard an edit leaves out, so "no buttons" is an explicit empty one.
        replyMarkup: keyboard(options.markup),
        // A progress message the user deleted comes back as a new one rather than going silent.
        sendIfMissing: true,
      });
      return fromClient(edited);
    },

    delete(ref: MessageRef): Promise<boolean> {
      return client.deleteMessage(ref);
    },
  };
}

function keyboard(markup: MessageMarkup | undefined): typeof CANCEL_MARKUP {
  return markup === "cancel" ? CANCEL_MARKUP : CLEAR_MARKUP;
}

function toClient(ref: MessageRef): ClientRef {
  return ref.threadId === null ? { chatId: ref.chatId, messageId: ref.messageId } : { chatId: ref.chatId, messageId: ref.messageId, threadId: ref.threadId };
}

function fromClient(ref: ClientRef | null): MessageRef | null {
  return ref === null ? null : { chatId: ref.chatId, messageId: ref.messageId, threadId: ref.threadId ?? null };
}
