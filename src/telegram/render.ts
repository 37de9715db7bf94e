/**
 * Markdown parts → Telegram messages, with their buttons: the body is
 * trimmed or split on its markdown source, each message is rendered to text and
 * entities, and every message is guaranteed to fit Telegram's text limit.
 */
import type { InlineKeyboardMarkup } from "grammy/types";
import type { ChatMessage, MessageMarkup } from "../core/chat.js";
import { assembleMarkdown, MAX_BODY_CHARS, trimBody, type MarkdownParts, type MessageOverflow } from "../render/final.js";
import { closeOpenFence, safeCut } from "../render/markdown-source.js";
import { splitMarkdownBody } from "../render/split.js";
import { renderMarkdown, type MessageEntity, type RenderedText } from "./markdown.js";

/** Telegram's limit on a message's text, in UTF-16 code units, after entity parsing. */
export const TELEGRAM_TEXT_LIMIT = 4096;

/** What `sendMessage`/`editMessageText` get: plain text plus entities (never `parse_mode`). */
export type RenderedMessage = RenderedText;

/** A message as Telegram shows it: the primary message, then follow-ups of a split body. */
export type RenderedMessages = [RenderedMessage, ...RenderedMessage[]];

/** Core's description of a run message, rendered the one way every surface renders it. */
export function renderChatMessage(message: Pick<ChatMessage, "parts" | "overflow">): RenderedMessages {
  return prepareTelegram(message.parts, { overflow: message.overflow ?? "trim" });
}

export interface PrepareOptions {
  overflow?: MessageOverflow;
  /** Defaults to {@link MAX_BODY_CHARS}, counted on the markdown source. */
  maxBodyChars?: number;
}

/** The callback data of the progress message's cancel button. */
export const CANCEL_CALLBACK_DATA = "takopi:cancel";

/** On progress messages: one `cancel` button. */
export const CANCEL_MARKUP: InlineKeyboardMarkup = deepFreeze({
  inline_keyboard: [[{ text: "cancel", callback_data: CANCEL_CALLBACK_DATA }]],
});

/** The callback data of a `queued` message's steer button. */
export const STEER_CALLBACK_DATA = "takopi:steer";

/** On a `queued` message whose running turn takes steering: steer, then cancel. */
export const STEER_MARKUP: InlineKeyboardMarkup = deepFreeze({
  inline_keyboard: [[{ text: "steer into the running turn", callback_data: STEER_CALLBACK_DATA }], [{ text: "cancel", callback_data: CANCEL_CALLBACK_DATA }]],
});

/** On final and cancelled messages: an empty keyboard, which removes the button from an edited message. */
export const CLEAR_MARKUP: InlineKeyboardMarkup = deepFreeze({ inline_keyboard: [] });

/** Shared constants handed to API calls: freezing makes an accidental edit throw instead of leaking. */
function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (typeof child === "object" && child !== null) deepFreeze(child as object);
  Object.freeze(value);
  return value;
}

/**
 * The keyboard for a message's markup. Telegram keeps a keyboard an edit
 * leaves out, so "no buttons" is an explicit empty keyboard.
 */
export function replyMarkup(markup: MessageMarkup | undefined): InlineKeyboardMarkup {
  return markup === "cancel" ? CANCEL_MARKUP : markup === "steer" ? STEER_MARKUP : CLEAR_MARKUP;
}

/**
 * Renders `parts` as Telegram messages; the first is the primary one (sent or
 * edited in place), the rest are follow-ups. Header and footer are never cut,
 * so the resume line survives any answer.
 *
 * - `trim` (default): one message, the body cut to `maxBodyChars` with an open
 *   code fence or code span closed (see `trimBody`).
 * - `split`: the body in chunks of `maxBodyChars` (`splitMarkdownBody`); every
 *   message gets the footer, and messages after the first get the header
 *   `<header> · continued (i/N)`.
 *
 * In both modes a code fence the body itself leaves open is closed at its end,
 * so the footer never renders as code.
 *
 * Rendering can make text longer than its source (list numbers, indentation),
 * and a header or footer can be long, so each message is checked against
 * {@link TELEGRAM_TEXT_LIMIT} and the body budget shrunk until it fits. Only if
 * header and footer alone exceed the limit is the rendered text itself cut.
 */
export function prepareTelegram(parts: MarkdownParts, options: PrepareOptions = {}): RenderedMessages {
  const maxBodyChars = Math.max(1, Math.floor(options.maxBodyChars ?? MAX_BODY_CHARS));
  const body = parts.body != null && parts.body.trim() !== "" ? parts.body : null;
  if (body === null) return [fit(renderMarkdown(assembleMarkdown({ ...parts, body: null })))];
  return options.overflow === "split" ? prepareSplit(parts, body, maxBodyChars) : [prepareTrimmed(parts, body, maxBodyChars)];
}

function prepareTrimmed(parts: MarkdownParts, source: string, maxBodyChars: number): RenderedMessage {
  const body = closeOpenFence(source);
  let budget = maxBodyChars;
  for (;;) {
    const trimmed = trimBody(body, budget);
    const rendered = renderMarkdown(assembleMarkdown({ ...parts, body: trimmed }));
    const excess = rendered.text.length - TELEGRAM_TEXT_LIMIT;
    if (excess <= 0 || budget === 0) return fit(rendered);
    budget = Math.max(0, Math.min(budget, trimmed.length) - excess);
  }
}

/** Smallest chunk size worth splitting into; below it, the frame is the problem, not the body. */
const MIN_SPLIT_CHARS = 256;

function prepareSplit(parts: MarkdownParts, body: string, maxBodyChars: number): RenderedMessages {
  let limit = maxBodyChars;
  for (;;) {
    const chunks = splitMarkdownBody(body, limit);
    if (chunks.length === 0) return [fit(renderMarkdown(assembleMarkdown({ ...parts, body: null })))];
    const messages = chunks.map((chunk, index) =>
      renderMarkdown(
        assembleMarkdown({
          header: index === 0 ? parts.header : continuedHeader(parts.header, index + 1, chunks.length),
          body: chunk,
          footer: parts.footer ?? null,
        }),
      ),
    );
    const excess = Math.max(0, ...messages.map((message) => message.text.length)) - TELEGRAM_TEXT_LIMIT;
    const next = limit - excess;
    // One message per chunk, and there is at least one chunk.
    if (excess <= 0 || next < Math.min(MIN_SPLIT_CHARS, limit)) return messages.map((message) => fit(message)) as RenderedMessages;
    limit = next;
  }
}

function continuedHeader(header: string, index: number, total: number): string {
  const marker = `continued (${index}/${total})`;
  return header === "" ? marker : `${header} · ${marker}`;
}

/**
 * The last resort for a message still over the limit: the text cut with `…`,
 * entities cut at the same point (which keeps their nesting valid) and dropped
 * when nothing of them is left.
 */
export function fit(message: RenderedMessage, limit: number = TELEGRAM_TEXT_LIMIT): RenderedMessage {
  if (message.text.length <= limit) return message;
  const end = safeCut(message.text, limit - 1);
  const entities: MessageEntity[] = [];
  for (const entity of message.entities) {
    if (entity.offset >= end) continue;
    entities.push({ ...entity, length: Math.min(entity.length, end - entity.offset) });
  }
  return { text: `${message.text.slice(0, end)}…`, entities };
}
