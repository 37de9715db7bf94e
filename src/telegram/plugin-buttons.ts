/**
 * Plugins' inline buttons: each button's `data` goes to Telegram as
 * `p:<plugin>:<data>` (callbacks.ts), so a press finds its way back to the
 * plugin that put it there, and only to that plugin's `callback`.
 */
import type { InlineKeyboardMarkup } from "grammy/types";
import type { InlineButton } from "../core/chat.js";
import { dispatchCallback } from "../plugins/commands.js";
import { STALE_BUTTON } from "./callbacks.js";
import type { IncomingCallback } from "./incoming.js";
import type { BridgeServices } from "./services.js";

/** The callback-data prefix of every plugin button. */
export const PLUGIN_CALLBACK_PREFIX = "p:";

/** Telegram's limit on `callback_data`, in bytes of UTF-8. */
export const CALLBACK_DATA_MAX_BYTES = 64;

/** Said when a plugin's `callback` threw. */
export const BUTTON_FAILED = "that button failed.";

/**
 * The keyboard for a plugin's buttons. Throws (a bug in the plugin, for its
 * author to see) on a button without text or whose namespaced data would
 * exceed Telegram's 64 bytes.
 */
export function pluginKeyboard(pluginId: string, rows: readonly (readonly InlineButton[])[]): InlineKeyboardMarkup {
  if (!Array.isArray(rows)) throw new TypeError("buttons must be rows of buttons: [[{ text, data }]]");
  return {
    inline_keyboard: rows.map((row) => {
      if (!Array.isArray(row)) throw new TypeError("buttons must be rows of buttons: [[{ text, data }]]");
      return row.map((button: InlineButton) => {
        if (typeof button.text !== "string" || button.text.trim() === "") throw new TypeError("a button needs a text");
        if (typeof button.data !== "string") throw new TypeError(`button '${button.text}' needs a data string`);
        const data = `${PLUGIN_CALLBACK_PREFIX}${pluginId}:${button.data}`;
        const bytes = Buffer.byteLength(data, "utf8");
        if (bytes > CALLBACK_DATA_MAX_BYTES) {
          const room = CALLBACK_DATA_MAX_BYTES - Buffer.byteLength(`${PLUGIN_CALLBACK_PREFIX}${pluginId}:`, "utf8");
          throw new RangeError(`button '${button.text}': data is ${Buffer.byteLength(button.data, "utf8")} bytes; plugin ${pluginId}'s buttons take at most ${room} (Telegram's callback_data limit is 64 bytes with the 'p:${pluginId}:' prefix)`);
        }
        return { text: button.text, callback_data: data };
      });
    }),
  };
}

/** `p:<plugin>:<data>` → the plugin and its data; null when the press is not a plugin button. */
export function parsePluginData(data: string | null): { pluginId: string; data: string } | null {
  if (data?.startsWith(PLUGIN_CALLBACK_PREFIX) !== true) return null;
  const rest = data.slice(PLUGIN_CALLBACK_PREFIX.length);
  const colon = rest.indexOf(":");
  if (colon <= 0) return null;
  return { pluginId: rest.slice(0, colon), data: rest.slice(colon + 1) };
}

/**
 * A press on a plugin's button (access was checked by the bridge): the
 * plugin's `callback` gets it, and the press is always answered — by the
 * plugin, else with no text; "that button failed." when the plugin threw;
 * the stale-button note for an unknown plugin or one without `callback`.
 */
export async function pluginButtonPressed(services: BridgeServices, press: IncomingCallback): Promise<void> {
  const parsed = parsePluginData(press.data);
  let answered = false;
  const answer = async (text?: string, options: { alert?: boolean } = {}): Promise<void> => {
    if (answered) return;
    answered = true;
    await services.client.answerCallbackQuery(press.id, { ...(text === undefined ? {} : { text }), ...(options.alert === true ? { showAlert: true } : {}) });
  };
  if (parsed === null) {
    await answer(STALE_BUTTON);
    return;
  }
  const message = { chatId: press.chatId, messageId: press.messageId, threadId: press.threadId };
  const runtime = services.runtimeFor(parsed.pluginId);
  const outcome = await dispatchCallback(
    { pluginId: parsed.pluginId, data: parsed.data, message, senderId: press.senderId },
    {
      plugins: services.plugins,
      config: services.config(),
      runtime,
      executor: runtime.executorAt({ chatId: press.chatId, threadId: press.threadId }),
      answer,
      // Replies go in the button's chat and thread, to the button's message unless told otherwise.
      reply: (text, options = {}) =>
        runtime.send(press.chatId, text, {
          ...options,
          replyTo: options.replyTo === undefined ? message : options.replyTo,
          threadId: options.threadId === undefined ? press.threadId : options.threadId,
        }),
      log: services.log,
    },
  );
  if (outcome === "stale") await answer(STALE_BUTTON);
  else if (outcome === "failed") await answer(BUTTON_FAILED);
  else await answer();
}
