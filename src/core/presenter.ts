/**
 * The chat service as the bridge sees it: send, edit and delete rendered
 * messages. Core code talks only to this interface, so the run lifecycle and
 * the scheduler know nothing of Telegram; the Telegram transport implements it
 * on its outbox, and tests implement it in memory.
 *
 * Implementations must not throw and should not make callers wait longer than
 * it takes to queue the call: a failed call settles with null (or false).
 */
import type { MessageRef as PluginMessageRef } from "../plugins/types.js";
import type { RenderedMessage } from "../render/telegram.js";

export type { RenderedMessage };

/** A message in a chat: where it is, not who wrote it. */
export type MessageRef = Pick<PluginMessageRef, "chatId" | "messageId" | "threadId">;

/**
 * The buttons under a message. `cancel` is the progress message's cancel
 * button; `none` shows no buttons — on an edit it removes the cancel button.
 */
export type MessageMarkup = "cancel" | "none";

export interface SurfaceSendOptions {
  /** Reply to this message (an id in the target chat); sent anyway if it is gone. */
  replyTo?: number | null;
  /** The forum topic (or thread) to post in; null for the main thread. */
  threadId?: number | null;
  /** False delivers silently. Default true. */
  notify?: boolean;
  /** Default `none`. */
  markup?: MessageMarkup;
}

export interface SurfaceEditOptions {
  /** Default `none`: an edit that should keep the cancel button must say so. */
  markup?: MessageMarkup;
}

export interface ChatSurface {
  /** Posts a message in chat `chatId`; settles with where it landed, or null. */
  send(chatId: number, message: RenderedMessage, options?: SurfaceSendOptions): Promise<MessageRef | null>;
  /**
   * Replaces a message's text. Edits of one message may be coalesced: only the
   * newest needs to be made. Settles with the message now showing the text
   * (which may be a new one if the old was gone), or null.
   */
  edit(ref: MessageRef, message: RenderedMessage, options?: SurfaceEditOptions): Promise<MessageRef | null>;
  /** Deletes a message (dropping edits still waiting for it); false when it failed. */
  delete(ref: MessageRef): Promise<boolean>;
}

/** Two refs name the same message. */
export function sameMessage(a: MessageRef, b: MessageRef): boolean {
  return a.chatId === b.chatId && a.messageId === b.messageId;
}

/** Two renders look the same to the reader: same text, same formatting. */
export function sameRender(a: RenderedMessage, b: RenderedMessage): boolean {
  if (a.text !== b.text || a.entities.length !== b.entities.length) return false;
  return JSON.stringify(a.entities) === JSON.stringify(b.entities);
}
