/**
 * The chat as core sees it: where a message is (`MessageRef`), how to post
 * one (`SendOptions`), and the `ChatSurface` that shows a run's messages.
 * Core hands the surface markdown parts and a "cancel" affordance; the
 * transport turns them into its own text, formatting and buttons, so nothing
 * in core knows which chat service it talks to. The same `MessageRef` and
 * `SendOptions` serve the Telegram client and plugins (src/plugins/types.ts
 * re-exports them), so a thread id is carried one way from end to end.
 */
import type { MarkdownParts, MessageOverflow } from "../render/final.js";
import type { Logger } from "../util/log.js";

/** A message in a chat: where it is, not who wrote it. */
export interface MessageRef {
  chatId: number;
  messageId: number;
  /** The forum topic (or reply thread) it is in; null for the main thread. */
  threadId: number | null;
}

/** Where and how a new message is posted. */
export interface SendOptions {
  /** Reply to this message when it is in the same chat; the message is sent anyway if it is gone. */
  replyTo?: MessageRef | null;
  /** The thread to post in; defaults to the thread of `replyTo` (null: the main thread). */
  threadId?: number | null;
  /** False delivers silently. Default true. */
  notify?: boolean;
  /**
   * Inline buttons under the message, in rows. Only plugins send these (the
   * bridge namespaces each `data` with the plugin's id, and a press comes
   * back to that plugin's `callback`); core's own messages use `ChatMessage.markup`.
   */
  buttons?: InlineButton[][];
}

/**
 * A button under a plugin's message: its label and what a press hands back.
 * `data` goes to Telegram as `p:<plugin>:<data>`, which must fit 64 bytes of
 * UTF-8 (so 59 minus the plugin id's length); longer data throws.
 */
export interface InlineButton {
  text: string;
  data: string;
}

/**
 * The buttons under a message. `cancel` is the progress message's cancel
 * button; `none` shows no buttons — on an edit it removes the cancel button.
 */
export type MessageMarkup = "cancel" | "none";

/** A run's message as core describes it: markdown parts, buttons and what to do when it is too long. */
export interface ChatMessage {
  parts: MarkdownParts;
  /** Default `none`: an edit that should keep the cancel button must say so. */
  markup?: MessageMarkup;
  /**
   * Default `trim` (one message). `split` posts the rest of a long body as
   * follow-up messages after the first; the surface answers with the first.
   */
  overflow?: MessageOverflow;
}

/**
 * The chat service as the bridge sees it. Implementations must not throw and
 * should not make callers wait longer than it takes to queue the call: a
 * failed call settles with null (or false).
 */
export interface ChatSurface {
  /** Posts a message in chat `chatId`; settles with where it landed, or null. */
  send(chatId: number, message: ChatMessage, options?: SendOptions): Promise<MessageRef | null>;
  /**
   * Replaces a message's content. Edits of one message may be coalesced: only
   * the newest needs to be made. Settles with the message now showing it
   * (which may be a new one if the old was gone), or null. Follow-ups of a
   * split message are posted with `followUps` (default: in the edited
   * message's thread).
   */
  edit(ref: MessageRef, message: ChatMessage, followUps?: SendOptions): Promise<MessageRef | null>;
  /**
   * A live edit (a progress message): `produce` is called when the edit is
   * actually made — after pacing and coalescing — so a message that changes
   * many times a second is rendered once per edit sent, not once per change.
   * `produce` returns null when there is nothing new to show (no call is
   * made). The message is one message (never split) and the edit may be
   * dropped for a newer one. Settles like `edit`; with the message unchanged
   * when nothing was produced.
   */
  editLive(ref: MessageRef, produce: () => ChatMessage | null): Promise<MessageRef | null>;
  /** Deletes a message (dropping edits still waiting for it); false when it failed. */
  delete(ref: MessageRef): Promise<boolean>;
}

/** Two refs name the same message. */
export function sameMessage(a: Pick<MessageRef, "chatId" | "messageId">, b: Pick<MessageRef, "chatId" | "messageId">): boolean {
  return a.chatId === b.chatId && a.messageId === b.messageId;
}

/** Two messages look the same to the reader: same parts, same buttons. */
export function sameContent(a: ChatMessage, b: ChatMessage): boolean {
  return (
    a.parts.header === b.parts.header &&
    (a.parts.body ?? null) === (b.parts.body ?? null) &&
    (a.parts.footer ?? null) === (b.parts.footer ?? null) &&
    (a.markup ?? "none") === (b.markup ?? "none") &&
    (a.overflow ?? "trim") === (b.overflow ?? "trim")
  );
}

/**
 * The surface, made safe to fire and forget: a surface that throws (a bug)
 * is logged and treated like a failed call instead of losing the run.
 */
export function guardedSurface(surface: ChatSurface, log: Logger): ChatSurface {
  const guard = async <T>(call: () => Promise<T>, failed: T, what: string): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      log.error({ err: error, call: what }, "chat surface call failed");
      return failed;
    }
  };
  return {
    send: (chatId, message, options) => guard(() => surface.send(chatId, message, options), null, "send"),
    edit: (ref, message, followUps) => guard(() => surface.edit(ref, message, followUps), null, "edit"),
    editLive: (ref, produce) => guard(() => surface.editLive(ref, produce), null, "editLive"),
    delete: (ref) => guard(() => surface.delete(ref), false, "delete"),
  };
}

/** Where a message is, without the rest of what the chat service said about it. */
export function messageRefOf(message: Readonly<MessageRef>): MessageRef {
  return { chatId: message.chatId, messageId: message.messageId, threadId: message.threadId };
}
