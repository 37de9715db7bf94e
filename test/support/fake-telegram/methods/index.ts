// Every method the fake serves. Telegram matches method names
// case-insensitively; the call log records the canonical spelling.
import { BOT_METHODS } from "./bot.js";
import { CHAT_METHODS } from "./chats.js";
import type { MethodHandler } from "./context.js";
import { MESSAGE_METHODS } from "./messages.js";

export type { MethodContext, MethodHandler } from "./context.js";

const ALL: Record<string, MethodHandler> = { ...BOT_METHODS, ...MESSAGE_METHODS, ...CHAT_METHODS };

const BY_LOWER = new Map(Object.entries(ALL).map(([name, handler]) => [name.toLowerCase(), { name, handler }]));

/** The names of the methods the fake serves. */
export const METHOD_NAMES: readonly string[] = Object.keys(ALL);

export function findMethod(name: string): { name: string; handler: MethodHandler } | undefined {
  return BY_LOWER.get(name.toLowerCase());
}
