/**
 * A prompt as long as the ones that used to hang: forty forwarded Telegram
 * messages (each under Telegram's 4096-character limit) under a one-line
 * request, about 160 KiB in all. Every message is numbered and ends with a
 * marker, and the text has non-ASCII letters, so a copy that lost, reordered
 * or re-encoded any part of it does not match.
 */

/** Telegram's limit on one message's text (UTF-16 code units). */
export const TELEGRAM_MAX_TEXT = 4096;

/** `count` distinct forwarded texts of exactly `length` characters each. */
export function forwardedTexts(count = 40, length = TELEGRAM_MAX_TEXT): string[] {
  return Array.from({ length: count }, (_, index) => {
    const head = `forward ${index + 1}/${count}: `;
    const tail = ` [end of forward ${index + 1}]`;
    const filler = `naïve café notes ${index + 1}; `.repeat(Math.ceil(length / 20)).slice(0, length - head.length - tail.length);
    return `${head}${filler}${tail}`;
  });
}

/** The request and its forwards, joined as takopi joins them (a blank line between). */
export function longPrompt(request = "summarize these", forwards: readonly string[] = forwardedTexts()): string {
  return [request, ...forwards].join("\n\n");
}

/** Whether some string inside `value` (a parsed request body) contains `text` whole. */
export function containsWhole(value: unknown, text: string): boolean {
  if (typeof value === "string") return value.includes(text);
  if (Array.isArray(value)) return value.some((item) => containsWhole(item, text));
  if (typeof value === "object" && value !== null) return Object.values(value).some((item) => containsWhole(item, text));
  return false;
}
