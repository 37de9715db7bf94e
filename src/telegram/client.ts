/**
 * The Bot API calls the bridge makes, on the Bot API client (`bot-api.ts`)
 * pointed at `api_root`. Sends, edits and deletes go through the outbox, which paces,
 * coalesces and retries them; so do the other calls (on unpaced lanes of their
 * own) except the best-effort chat action. Every method settles with null (or false) instead of throwing: a
 * Telegram failure is logged, never a crash. Logs pass through a redacting
 * child logger, and errors are logged as plain descriptions, so the bot token
 * (part of every request URL) never reaches them. Every text the client posts
 * (sent, edited, resent, alert, menu) is redacted here, at the last step
 * before the request, so no caller can bypass it: a secret in an engine's
 * answer or stderr reaches the chat as `[REDACTED:<name>]`.
 *
 * getUpdates and file downloads bypass the outbox: the polling loop calls
 * getUpdates on `client.api` directly, and so does `file-download.ts`.
 */
import { BotApi } from "./bot-api.js";
import type {
  BotCommand,
  BotCommandScope,
  ChatFullInfo,
  ChatMember,
  InlineKeyboardMarkup,
  LanguageCode,
  MessageEntity,
  UserFromGetMe,
} from "grammy/types";
import * as z from "zod";
import { DEFAULT_API_ROOT } from "../config/schema.js";
import type { MessageRef, SendOptions } from "../core/chat.js";
import { silentLogger, type Logger } from "../util/log.js";
import { describeError, isEditTargetMissing, isNotModified } from "./errors.js";
import { Outbox, PRIORITY, type CloseOptions, type OutboxOptions } from "./outbox.js";
import { redactingLogger } from "../secrets/log.js";
import { Redactor } from "../secrets/redactor.js";
import { fit } from "./render.js";

/** Upstream's HTTP timeout: long enough for uploads, short enough to notice a dead connection. */
const DEFAULT_TIMEOUT_S = 120;

/** Where and how to post (see `SendOptions`), plus what Telegram needs to show it. */
export interface TelegramSendOptions extends SendOptions {
  /** Formatting as entities (UTF-16 offsets); parse_mode is never used, so nothing needs escaping. */
  entities?: MessageEntity[];
  replyMarkup?: InlineKeyboardMarkup;
}

export interface EditOptions {
  entities?: MessageEntity[];
  /** Telegram drops the keyboard from an edit that leaves it out: pass it on every edit that should keep it. */
  replyMarkup?: InlineKeyboardMarkup;
  /** When the message is gone ("message to edit not found"), send the text as a new message in its thread instead. */
  sendIfMissing?: boolean;
  /**
   * The edit shows a state that must not be lost (a final answer edited in
   * place, `cancelled`): the outbox retries it like a send and never drops it
   * to save memory. Default: a progress update it may skip.
   */
  keep?: boolean;
}

/** What a live edit shows, made at the moment the edit goes out (see editMessageLive). */
export interface LiveEdit {
  text: string;
  entities?: MessageEntity[];
  replyMarkup?: InlineKeyboardMarkup;
}

export interface TelegramClientOptions {
  token: string;
  /** Default https://api.telegram.org (no trailing slash). */
  apiRoot?: string;
  /** Wrapped in a redacting child; nothing logged through the client can carry the token. */
  log?: Logger;
  /** The secrets to keep out of every text posted and every log line; the client adds its token to it. */
  redactor?: Redactor;
  /** Per HTTP request (default 120). */
  timeoutSeconds?: number;
  /** Pacing, backoff and clock of the outbox this client creates. */
  outbox?: Omit<OutboxOptions, "log" | "classify">;
}

export type ChatAction = Parameters<BotApi["sendChatAction"]>[1];

/** What the client reads from the answers it relies on (a decode failure is a failed call). */
const SentMessageSchema = z.looseObject({
  message_id: z.number().int(),
  chat: z.looseObject({ id: z.number().int() }),
  message_thread_id: z.number().int().optional(),
});
const MeSchema = z.looseObject({ id: z.number().int(), is_bot: z.literal(true), username: z.string() });
const ChatSchema = z.looseObject({ id: z.number().int(), type: z.string() });
const MemberSchema = z.looseObject({ status: z.string(), user: z.looseObject({ id: z.number().int() }) });

/** A Bot API answer that lacks what the client needs. */
class UnexpectedAnswer extends Error {
  constructor(method: string, issue: string) {
    super(`unexpected ${method} answer: ${issue}`);
    this.name = "UnexpectedAnswer";
  }
}

/** Throws (a failed call, logged by the outbox) unless `value` has what `schema` requires. */
function checkAnswer(schema: z.ZodType, method: string, value: unknown): void {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UnexpectedAnswer(method, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
}

/** The coalescing key of edits to one message. */
export function editKey(chatId: number, messageId: number): string {
  return `edit:${String(chatId)}:${String(messageId)}`;
}

export function deleteKey(chatId: number, messageId: number): string {
  return `delete:${String(chatId)}:${String(messageId)}`;
}

/** An edit's outcome; `resent` carries the fallback send so coalesced callers share one. */
type EditOutcome = { kind: "edited" } | { kind: "resent"; sent: Promise<MessageRef | null> };

export class TelegramClient {
  /** For getUpdates and getFile only; everything else goes through the methods below. */
  readonly api: BotApi;
  readonly outbox: Outbox;
  private readonly log: Logger;
  private readonly redactor: Redactor;

  constructor(options: TelegramClientOptions) {
    this.redactor = (options.redactor ?? new Redactor()).add("bot_token", options.token);
    this.log = redactingLogger(options.log ?? silentLogger, this.redactor);
    this.api = new BotApi(options.token, {
      apiRoot: options.apiRoot ?? DEFAULT_API_ROOT,
      timeoutSeconds: options.timeoutSeconds ?? DEFAULT_TIMEOUT_S,
    });
    this.outbox = new Outbox({ ...options.outbox, log: this.log });
  }

  /** Sends a text message; settles with where it landed, or null. */
  sendMessage(chatId: number, text: string, options: TelegramSendOptions = {}): Promise<MessageRef | null> {
    return this.outbox.enqueue({
      chatId,
      priority: PRIORITY.send,
      label: "sendMessage",
      execute: () => this.send(chatId, text, options),
    });
  }

  /** Sends a file as a document (multipart), through the outbox like a message; the caption is redacted like text. */
  sendDocument(chatId: number, document: { filename: string; data: Buffer }, options: TelegramSendOptions & { caption?: string } = {}): Promise<MessageRef | null> {
    return this.outbox.enqueue({
      chatId,
      priority: PRIORITY.send,
      label: "sendDocument",
      execute: async () => {
        const caption = options.caption === undefined ? {} : { caption: this.redactor.redact(options.caption) };
        const message = await this.api.sendDocument(chatId, document, { ...caption, ...placement(chatId, options) });
        checkAnswer(SentMessageSchema, "sendDocument", message);
        return { chatId: message.chat.id, messageId: message.message_id, threadId: message.message_thread_id ?? threadOf(options) };
      },
    });
  }

  /**
   * Edits a message's text. Edits to one message coalesce: when several are
   * waiting only the newest is made, and every caller gets its outcome. An
   * edit that changes nothing counts as done. Settles with the message now
   * showing the text (a new one after a `sendIfMissing` fallback), or null.
   * Progress updates need not wait: `void client.editMessageText(…)`.
   */
  async editMessageText(ref: MessageRef, text: string, options: EditOptions = {}): Promise<MessageRef | null> {
    return this.#enqueueEdit(ref, options.keep === true, () => this.edit(ref, text, options));
  }

  /**
   * An edit whose text is made when the call is: `produce` runs once the
   * chat's pacing lets the edit go out, and not at all when a newer edit or a
   * delete took its place first. It returns null when there is nothing new to
   * show, and no call is made. Always a progress update the outbox may skip.
   */
  async editMessageLive(ref: MessageRef, produce: () => LiveEdit | null, options: Pick<EditOptions, "sendIfMissing"> = {}): Promise<MessageRef | null> {
    return this.#enqueueEdit(ref, false, async () => {
      const content = produce();
      if (content === null) return { kind: "edited" };
      return this.edit(ref, content.text, { ...options, entities: content.entities, replyMarkup: content.replyMarkup });
    });
  }

  async #enqueueEdit(ref: MessageRef, keep: boolean, execute: () => Promise<EditOutcome | null>): Promise<MessageRef | null> {
    const outcome = await this.outbox.enqueue({
      key: editKey(ref.chatId, ref.messageId),
      chatId: ref.chatId,
      priority: PRIORITY.edit,
      ...(keep ? { importance: "required" as const } : {}),
      label: "editMessageText",
      execute,
    });
    if (outcome === null) return null;
    return outcome.kind === "edited" ? ref : outcome.sent;
  }

  /** Deletes a message, dropping any edit still waiting for it. */
  async deleteMessage(ref: Pick<MessageRef, "chatId" | "messageId">): Promise<boolean> {
    const { chatId, messageId } = ref;
    this.outbox.drop(editKey(chatId, messageId));
    const done = await this.outbox.enqueue({
      key: deleteKey(chatId, messageId),
      chatId,
      priority: PRIORITY.delete,
      label: "deleteMessage",
      execute: () => this.api.deleteMessage(chatId, messageId),
    });
    return done === true;
  }

  /**
   * Replaces a progress message with a new one: drops its pending
   * edit, sends `text` in the same thread (unless told otherwise), and only
   * once that send succeeded deletes the old message. Settles with the new
   * message after the send; the delete follows in the background (a draining
   * close waits for it).
   */
  replaceMessage(old: MessageRef, text: string, options: TelegramSendOptions = {}): Promise<MessageRef | null> {
    this.outbox.drop(editKey(old.chatId, old.messageId));
    const sendOptions: TelegramSendOptions = { threadId: old.threadId, ...options };
    return this.outbox.enqueue({
      chatId: old.chatId,
      priority: PRIORITY.send,
      label: "sendMessage",
      execute: async () => {
        const sent = await this.send(old.chatId, text, sendOptions);
        // Enqueued before this op settles, so the outbox is never idle in between.
        void this.deleteMessage(old);
        return sent;
      },
    });
  }

  async answerCallbackQuery(callbackQueryId: string, options: { text?: string; showAlert?: boolean } = {}): Promise<boolean> {
    const done = await this.outbox.enqueue({
      chatId: null,
      priority: PRIORITY.send,
      label: "answerCallbackQuery",
      execute: () =>
        this.api.answerCallbackQuery(callbackQueryId, {
          ...(options.text === undefined ? {} : { text: this.redactor.redact(options.text) }),
          ...(options.showAlert === undefined ? {} : { show_alert: options.showAlert }),
        }),
    });
    return done === true;
  }

  async setMyCommands(commands: readonly BotCommand[], options: { scope?: BotCommandScope; languageCode?: LanguageCode } = {}): Promise<boolean> {
    const done = await this.outbox.enqueue({
      chatId: null,
      priority: PRIORITY.send,
      label: "setMyCommands",
      execute: () =>
        this.api.setMyCommands(
          commands.map((command) => ({ ...command, description: this.redactor.redact(command.description) })),
          {
          ...(options.scope === undefined ? {} : { scope: options.scope }),
          ...(options.languageCode === undefined ? {} : { language_code: options.languageCode }),
          },
        ),
    });
    return done === true;
  }

  /**
   * Shows "typing…" and the like. Best effort and outside the outbox: it
   * spends no message budget, and an indicator retried seconds later would be
   * stale, so a failure is logged at debug level and not retried.
   */
  async sendChatAction(chatId: number, action: ChatAction, options: { threadId?: number | null } = {}): Promise<boolean> {
    try {
      return await this.api.sendChatAction(chatId, action, options.threadId == null ? {} : { message_thread_id: options.threadId });
    } catch (error) {
      this.log.debug({ event: "telegram.chat_action_failed", chat_id: chatId, error: describeError(error) }, "chat action failed");
      return false;
    }
  }

  getMe(): Promise<UserFromGetMe | null> {
    return this.outbox.enqueue({
      chatId: null,
      priority: PRIORITY.send,
      label: "getMe",
      execute: async () => {
        const me = await this.api.getMe();
        checkAnswer(MeSchema, "getMe", me);
        return me;
      },
    });
  }

  getChat(chatId: number): Promise<ChatFullInfo | null> {
    return this.outbox.enqueue({
      chatId: null,
      priority: PRIORITY.send,
      label: "getChat",
      execute: async () => {
        const chat = await this.api.getChat(chatId);
        checkAnswer(ChatSchema, "getChat", chat);
        return chat;
      },
    });
  }

  getChatMember(chatId: number, userId: number): Promise<ChatMember | null> {
    return this.outbox.enqueue({
      chatId: null,
      priority: PRIORITY.send,
      label: "getChatMember",
      execute: async () => {
        const member = await this.api.getChatMember(chatId, userId);
        checkAnswer(MemberSchema, "getChatMember", member);
        return member;
      },
    });
  }

  /**
   * `text` with the secrets this client keeps out of the chat replaced. The
   * client applies it to everything it posts anyway; the surface also applies
   * it to the markdown before trimming and splitting, which could otherwise
   * cut a secret in two halves that no longer match.
   */
  redact(text: string): string {
    return this.redactor.redact(text);
  }

  /** Closes the outbox; by default pending sends, edits and deletes still go out first. */
  close(options?: CloseOptions): Promise<void> {
    return this.outbox.close(options);
  }

  private async send(chatId: number, text: string, options: TelegramSendOptions): Promise<MessageRef> {
    const safe = this.redacted(text, options.entities);
    const message = await this.api.sendMessage(chatId, safe.text, {
      link_preview_options: { is_disabled: true },
      ...(safe.entities === undefined ? {} : { entities: safe.entities }),
      ...placement(chatId, options),
      ...(options.replyMarkup === undefined ? {} : { reply_markup: options.replyMarkup }),
    });
    checkAnswer(SentMessageSchema, "sendMessage", message);
    return { chatId: message.chat.id, messageId: message.message_id, threadId: message.message_thread_id ?? threadOf(options) };
  }

  private async edit(ref: MessageRef, text: string, options: EditOptions): Promise<EditOutcome | null> {
    try {
      const safe = this.redacted(text, options.entities);
      await this.api.editMessageText(ref.chatId, ref.messageId, safe.text, {
        link_preview_options: { is_disabled: true },
        ...(safe.entities === undefined ? {} : { entities: safe.entities }),
        ...(options.replyMarkup === undefined ? {} : { reply_markup: options.replyMarkup }),
      });
      return { kind: "edited" };
    } catch (error) {
      // Telegram refuses an edit to the text already shown; the wanted state is there.
      if (isNotModified(error)) return { kind: "edited" };
      if (!isEditTargetMissing(error)) throw error;
      const context = { event: "telegram.edit_target_missing", chat_id: ref.chatId, message_id: ref.messageId, resend: options.sendIfMissing === true };
      this.log.info(context, "message to edit is gone");
      if (options.sendIfMissing !== true) return null;
      const resend: TelegramSendOptions = {
        threadId: ref.threadId,
        ...(options.entities === undefined ? {} : { entities: options.entities }),
        ...(options.replyMarkup === undefined ? {} : { replyMarkup: options.replyMarkup }),
      };
      // Not awaited here: the send queues behind this op in the same lane.
      return { kind: "resent", sent: this.sendMessage(ref.chatId, text, resend) };
    }
  }

  /**
   * The text as it may be posted: secrets replaced, entities moved to match,
   * and, should the markers have made it longer than Telegram takes, cut to fit.
   */
  private redacted(text: string, entities: MessageEntity[] | undefined): { text: string; entities: MessageEntity[] | undefined } {
    const safe = this.redactor.redactWithEntities(text, entities ?? []);
    if (safe.text === text && entities === undefined) return { text, entities };
    const fitted = safe.text.length > text.length ? fit(safe) : safe;
    return { text: fitted.text, entities: entities === undefined && fitted.entities.length === 0 ? undefined : fitted.entities };
  }
}

/** The thread a send goes to: the one asked for, else the replied-to message's. */
function threadOf(options: SendOptions): number | null {
  return options.threadId !== undefined ? options.threadId : (options.replyTo?.threadId ?? null);
}

/** Where a send lands: its reply (only within the chat), thread and notification. */
function placement(chatId: number, options: SendOptions): Record<string, unknown> {
  const replyTo = options.replyTo?.chatId === chatId ? options.replyTo : null;
  const threadId = threadOf(options);
  return {
    ...(replyTo === null ? {} : { reply_parameters: { message_id: replyTo.messageId, allow_sending_without_reply: true } }),
    ...(threadId === null ? {} : { message_thread_id: threadId }),
    ...(options.notify === false ? { disable_notification: true } : {}),
  };
}
