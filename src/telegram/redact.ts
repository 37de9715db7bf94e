/**
 * Keeps the bot token out of logs. The token is part of
 * every Bot API URL, and network errors quote the URL they failed on, so any
 * error object or string that passed near a request may carry it.
 */
import type { Logger } from "../util/log.js";

/** `bot<id>:<secret>` as it appears in Bot API URLs. */
const URL_TOKEN = /bot\d+:[A-Za-z0-9_-]+/g;
/** A bare `<id>:<secret>` (BotFather secrets are 35 characters; 10 is a safe floor). */
const BARE_TOKEN = /\d+:[A-Za-z0-9_-]{10,}/g;

/** The text with every token-shaped substring (and each given secret verbatim) replaced. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== "") out = out.split(secret).join("[REDACTED]");
  }
  return out.replace(URL_TOKEN, "bot[REDACTED]").replace(BARE_TOKEN, "[REDACTED_TOKEN]");
}

/**
 * A copy of `value` that is safe to log: strings redacted, errors turned into
 * plain objects (name, message, stack, code, cause and own fields), cycles cut.
 * Errors are flattened because a logger's error serializer would otherwise
 * read their unredacted `message` and `stack`.
 */
export function redactValue(value: unknown, secrets: readonly string[] = [], seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return redactText(value, secrets);
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return "[Circular]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((item: unknown) => redactValue(item, secrets, seen));
  const out: Record<string, unknown> = {};
  if (value instanceof Error) {
    out.type = value.name;
    out.message = redactText(value.message, secrets);
    if (value.stack !== undefined) out.stack = redactText(value.stack, secrets);
    if (value.cause !== undefined) out.cause = redactValue(value.cause, secrets, seen);
  }
  for (const [key, item] of Object.entries(value)) {
    out[key] = redactValue(item, secrets, seen);
  }
  return out;
}

/**
 * A child of `log` whose every logged object is redacted before it is
 * written, so a field that unexpectedly carries a URL (an error's cause, a
 * payload) cannot leak the token. Log messages themselves are not rewritten:
 * always pass a fixed message string rather than letting pino take one from
 * an error.
 */
export function redactingLogger(log: Logger, secrets: readonly string[]): Logger {
  const kept = secrets.filter((s) => s !== "");
  return log.child(
    {},
    {
      formatters: {
        log: (object: object) => redactValue(object, kept) as Record<string, unknown>,
      },
    },
  );
}
