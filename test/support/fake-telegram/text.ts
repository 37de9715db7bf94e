// Message text and entity rules. Telegram measures text and entity offsets in
// UTF-16 code units, which are JavaScript string indices; an entity that ends
// inside a surrogate pair is the classic code-point/UTF-16 mix-up, so the fake
// rejects it rather than rendering garbage the way a real client would.
import { badRequest } from "./errors.js";
import { isObject } from "./util.js";
import type { TgMessageEntity, TgUser } from "./types.js";

export const MAX_TEXT_LENGTH = 4096;
export const MAX_CAPTION_LENGTH = 1024;

const ENTITY_TYPES = new Set([
  "mention",
  "hashtag",
  "cashtag",
  "bot_command",
  "url",
  "email",
  "phone_number",
  "bold",
  "italic",
  "underline",
  "strikethrough",
  "spoiler",
  "blockquote",
  "expandable_blockquote",
  "code",
  "pre",
  "text_link",
  "text_mention",
  "custom_emoji",
]);

const PARSE_MODES = new Set(["markdown", "markdownv2", "html"]);

/** Message text: present, not blank, at most 4096 UTF-16 code units. */
export function checkMessageText(text: string | undefined): string {
  if (text === undefined || text.trim() === "") throw badRequest("message text is empty");
  if (text.length > MAX_TEXT_LENGTH) throw badRequest("message is too long");
  return text;
}

/** A caption: optional, at most 1024 UTF-16 code units. */
export function checkCaption(caption: string | undefined): string | undefined {
  if (caption === undefined || caption === "") return undefined;
  if (caption.length > MAX_CAPTION_LENGTH) throw badRequest("message caption is too long");
  return caption;
}

export function checkParseMode(mode: string | undefined): string | undefined {
  if (mode === undefined || mode === "") return undefined;
  if (!PARSE_MODES.has(mode.toLowerCase())) throw badRequest(`unsupported parse_mode "${mode}"`);
  return mode;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** True when index `i` falls between the two halves of a surrogate pair. */
function splitsPair(text: string, i: number): boolean {
  return i > 0 && i < text.length && isHighSurrogate(text.charCodeAt(i - 1)) && !isHighSurrogate(text.charCodeAt(i));
}

/**
 * Validates an `entities` / `caption_entities` parameter against its text:
 * known types, integer offsets, ranges inside the text, boundaries outside
 * surrogate pairs, and the extra field each type needs.
 */
export function checkEntities(text: string, raw: unknown): TgMessageEntity[] | undefined {
  if (raw === undefined) return undefined;
  const fail = (what: string): never => {
    throw badRequest(`can't parse entities: ${what}`);
  };
  if (!Array.isArray(raw)) return fail("entities must be an array");
  const list = raw as unknown[];
  return list.map((entity, i): TgMessageEntity => {
    if (!isObject(entity)) return fail(`entity ${i} is not an object`);
    const { type, offset, length } = entity;
    if (typeof type !== "string" || !ENTITY_TYPES.has(type)) return fail(`entity ${i} has unsupported type ${JSON.stringify(type)}`);
    if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0) return fail(`entity ${i} (${type}) has a bad offset`);
    if (typeof length !== "number" || !Number.isInteger(length) || length < 1) return fail(`entity ${i} (${type}) has a bad length`);
    if (offset + length > text.length) {
      return fail(
        `entity ${i} (${type}) at offset ${offset} with length ${length} ends after the text (${text.length} UTF-16 code units)`,
      );
    }
    if (splitsPair(text, offset) || splitsPair(text, offset + length)) {
      return fail(`entity ${i} (${type}) at offset ${offset} with length ${length} splits a UTF-16 surrogate pair`);
    }
    if (type === "text_link" && typeof entity.url !== "string") return fail(`text_link entity ${i} has no url`);
    if (type === "text_mention" && !isObject(entity.user)) return fail(`text_mention entity ${i} has no user`);
    if (type === "custom_emoji" && typeof entity.custom_emoji_id !== "string") return fail(`custom_emoji entity ${i} has no id`);
    const out: TgMessageEntity = { type, offset, length };
    if (typeof entity.url === "string") out.url = entity.url;
    if (isObject(entity.user)) out.user = entity.user as unknown as TgUser;
    if (typeof entity.language === "string") out.language = entity.language;
    if (typeof entity.custom_emoji_id === "string") out.custom_emoji_id = entity.custom_emoji_id;
    return out;
  });
}

const AUTO_ENTITY = /(?<=^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?|@[A-Za-z0-9_]{5,32}|https?:\/\/\S+)/g;

/**
 * The entities Telegram derives from plain user text: bot commands (which
 * grammY's `bot.command` relies on), @mentions and URLs.
 */
export function detectEntities(text: string): TgMessageEntity[] {
  const out: TgMessageEntity[] = [];
  for (const match of text.matchAll(AUTO_ENTITY)) {
    const token = match[0];
    const type = token.startsWith("/") ? "bot_command" : token.startsWith("@") ? "mention" : "url";
    out.push({ type, offset: match.index, length: token.length });
  }
  return out;
}

/** Entity lists compared the way "message is not modified" needs (absent = empty). */
export function sameEntities(a: readonly TgMessageEntity[] | undefined, b: readonly TgMessageEntity[] | undefined): boolean {
  return stableJson(a ?? []) === stableJson(b ?? []);
}

/** JSON with object keys sorted, for structural comparison. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (!isObject(v)) return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]));
  });
}
