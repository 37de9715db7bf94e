/**
 * The one redaction of secrets, applied to every text takopi sends to a chat
 * (in the Telegram client), every log line (in the logger's destination) and
 * the engine stderr it logs or shows. It replaces
 *
 * - each known secret value (the bot token, configured API keys, the values
 *   of secret-named variables in takopi's environment; see `names.ts`),
 *   also in its JSON-escaped form, by `[REDACTED:<name>]`, and
 * - anything shaped like a Telegram bot token (`<digits>:<30+ of A-Z a-z 0-9 _ ->`),
 *   and whatever follows `/bot<digits>:` in a URL (a Bot API URL's token, however
 *   short or odd, and one no redactor was told about) by `[REDACTED:bot_token]`,
 *
 * so a diagnosis line keeps its words and says what was there:
 * `401 Unauthorized: invalid key [REDACTED:OPENAI_API_KEY]`.
 *
 * Cost: one `indexOf` scan of the text per secret plus one linear regex scan,
 * O(n·k) for n characters and k secrets. Overlapping and nested matches are
 * merged, so no part of a secret survives next to another one.
 */

/** Values shorter than this are never treated as secrets: replacing every `true` or `local` would wreck text and find nothing. */
export const MIN_SECRET_LENGTH = 8;

/** A secret value and the name it was found under (an environment variable or a config key), for `[REDACTED:<name>]`. */
export interface NamedSecret {
  name: string;
  value: string;
}

/**
 * A bot token: the bot's id, a colon, the secret (35 characters from BotFather).
 * Not preceded by a digit, so a long run of digits is tried once, not at every position.
 */
const BOT_TOKEN_SHAPE = /(?<!\d)\d{5,16}:[A-Za-z0-9_-]{30,}/g;

/**
 * The token in a Bot API URL (`…/bot<id>:<secret>/getUpdates`, the colon maybe
 * percent-encoded): a backstop for tokens of any other shape.
 */
const BOT_URL_TOKEN = /(?<=\/bot)\d+(?::|%3[Aa])[^/\s"'?#&\\]+/g;

/** Whether `text` contains something shaped like a bot token. */
export function containsBotToken(text: string): boolean {
  BOT_TOKEN_SHAPE.lastIndex = 0;
  return BOT_TOKEN_SHAPE.test(text);
}

export function redactionMarker(name: string): string {
  return `[REDACTED:${name}]`;
}

/** A span of text to replace: [start, end) in UTF-16 code units. */
interface Span {
  start: number;
  end: number;
  name: string;
}

/** What Telegram calls a MessageEntity, as far as redaction is concerned (offsets in UTF-16 code units). */
export interface TextEntity {
  offset: number;
  length: number;
  url?: string;
}

export class Redactor {
  /** Value → the name it was first registered under. */
  readonly #names = new Map<string, string>();

  /** A redactor that knows `secrets` (too-short values are skipped). */
  static of(secrets: Iterable<NamedSecret>): Redactor {
    return new Redactor().addAll(secrets);
  }

  /**
   * Registers one secret; a value already known keeps its first name. Values
   * shorter than MIN_SECRET_LENGTH are ignored. Returns this, for chaining.
   */
  add(name: string, value: string | null | undefined): this {
    if (value == null || value.length < MIN_SECRET_LENGTH) return this;
    for (const form of [value, JSON.stringify(value).slice(1, -1)]) {
      if (!this.#names.has(form)) this.#names.set(form, name);
    }
    return this;
  }

  addAll(secrets: Iterable<NamedSecret>): this {
    for (const secret of secrets) this.add(secret.name, secret.value);
    return this;
  }

  /** Whether `value` is a registered secret. */
  has(value: string): boolean {
    return this.#names.has(value);
  }

  /** The text with every secret and token-shaped substring replaced. */
  redact(text: string): string {
    return this.redactWithEntities(text, []).text;
  }

  /**
   * Redacts `text` and moves `entities` to match: an entity around a secret
   * now spans its marker, one after it shifts by the change in length, one
   * left empty is dropped. A `text_link` URL is redacted as well.
   */
  redactWithEntities<E extends TextEntity>(text: string, entities: readonly E[]): { text: string; entities: E[] } {
    const spans = this.#spans(text);
    const links = entities.map((entity) => (entity.url === undefined ? entity : { ...entity, url: this.redact(entity.url) }));
    if (spans.length === 0) return { text, entities: links };

    const parts: string[] = [];
    // Where each replaced span starts and ends in the new text.
    const moved: { start: number; end: number }[] = [];
    let from = 0;
    let length = 0;
    for (const span of spans) {
      const marker = redactionMarker(span.name);
      parts.push(text.slice(from, span.start), marker);
      const start = length + span.start - from;
      moved.push({ start, end: start + marker.length });
      length = start + marker.length;
      from = span.end;
    }
    parts.push(text.slice(from));

    /** A position in the old text → the new one; inside a span, its marker's start or end. */
    const position = (old: number, side: "start" | "end"): number => {
      let shift = 0;
      for (const [index, span] of spans.entries()) {
        const target = moved[index] as { start: number; end: number };
        if (old <= span.start) break;
        if (old < span.end) return side === "start" ? target.start : target.end;
        shift = target.end - span.end;
      }
      return old + shift;
    };
    const out: E[] = [];
    for (const entity of links) {
      const start = position(entity.offset, "start");
      const end = position(entity.offset + entity.length, "end");
      if (end > start) out.push({ ...entity, offset: start, length: end - start });
    }
    return { text: parts.join(""), entities: out };
  }

  /**
   * A copy of `value` safe to log: strings redacted, errors turned into plain
   * objects (name, message, stack, cause, own fields), cycles cut. Errors are
   * flattened because a logger's error serializer would otherwise read their
   * unredacted `message` and `stack`.
   */
  redactValue(value: unknown, seen = new WeakSet<object>()): unknown {
    if (typeof value === "string") return this.redact(value);
    if (typeof value !== "object" || value === null) return value;
    if (seen.has(value)) return "[Circular]";
    seen.add(value);
    if (Array.isArray(value)) return value.map((item: unknown) => this.redactValue(item, seen));
    const out: Record<string, unknown> = {};
    if (value instanceof Error) {
      out.type = value.name;
      out.message = this.redact(value.message);
      if (value.stack !== undefined) out.stack = this.redact(value.stack);
      if (value.cause !== undefined) out.cause = this.redactValue(value.cause, seen);
    }
    for (const [key, item] of Object.entries(value)) out[key] = this.redactValue(item, seen);
    return out;
  }

  /** The spans to replace, sorted and merged; the name of a merged span is that of its earliest, longest part. */
  #spans(text: string): Span[] {
    const found: Span[] = [];
    for (const [value, name] of this.#names) {
      for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) found.push({ start: at, end: at + value.length, name });
    }
    for (const shape of [BOT_TOKEN_SHAPE, BOT_URL_TOKEN]) {
      shape.lastIndex = 0;
      for (let match = shape.exec(text); match !== null; match = shape.exec(text)) {
        found.push({ start: match.index, end: match.index + match[0].length, name: "bot_token" });
      }
    }
    if (found.length === 0) return found;
    // Known secrets were pushed first; the stable sort keeps them ahead of an equal token-shaped span.
    found.sort((a, b) => a.start - b.start || b.end - a.end);
    const merged: Span[] = [];
    for (const span of found) {
      const last = merged[merged.length - 1];
      if (last !== undefined && span.start < last.end) last.end = Math.max(last.end, span.end);
      else merged.push({ ...span });
    }
    return merged;
  }
}
