// reply_markup validation: inline keyboards (the bridge's cancel buttons),
// reply keyboards, keyboard removal and force-reply.
import { badRequest } from "./errors.js";
import { isObject } from "./util.js";
import type { JsonObject } from "./types.js";

const INLINE_ACTIONS = [
  "url",
  "callback_data",
  "web_app",
  "login_url",
  "switch_inline_query",
  "switch_inline_query_current_chat",
  "switch_inline_query_chosen_chat",
  "copy_text",
  "callback_game",
  "pay",
];

const CANT_PARSE = "can't parse reply keyboard markup JSON object";

function rows(value: unknown): unknown[][] {
  if (!Array.isArray(value)) throw badRequest(CANT_PARSE);
  const list = value as unknown[];
  return list.map((row) => {
    if (!Array.isArray(row)) throw badRequest(CANT_PARSE);
    return row as unknown[];
  });
}

function checkInlineButton(button: unknown): void {
  if (!isObject(button) || typeof button.text !== "string") throw badRequest(CANT_PARSE);
  if (button.text === "") throw badRequest("text must be non-empty");
  const actions = INLINE_ACTIONS.filter((key) => button[key] !== undefined);
  if (actions.length !== 1) throw badRequest("text buttons are unallowed in the inline keyboard");
  if (button.callback_data !== undefined) {
    const data = button.callback_data;
    // Telegram's limit is 1-64 bytes, not characters.
    if (typeof data !== "string" || data === "" || Buffer.byteLength(data, "utf8") > 64) throw badRequest("BUTTON_DATA_INVALID");
  }
}

/**
 * A validated reply_markup, or undefined when absent. An empty inline
 * keyboard means "no keyboard", as it does for Telegram.
 */
export function checkReplyMarkup(raw: unknown): JsonObject | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) throw badRequest(CANT_PARSE);
  if (raw.inline_keyboard !== undefined) {
    const keyboard = rows(raw.inline_keyboard);
    keyboard.forEach((row) => {
      row.forEach(checkInlineButton);
    });
    return keyboard.every((row) => row.length === 0) ? undefined : raw;
  }
  if (raw.keyboard !== undefined) {
    for (const row of rows(raw.keyboard)) {
      for (const button of row) {
        if (typeof button !== "string" && !(isObject(button) && typeof button.text === "string")) throw badRequest(CANT_PARSE);
      }
    }
    return raw;
  }
  if (raw.remove_keyboard === true || raw.force_reply === true) return raw;
  throw badRequest(CANT_PARSE);
}
