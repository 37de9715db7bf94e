/**
 * `/trigger`: whether a chat answers every message or only
 * mentions of the bot.
 */
import { RESERVED_CHAT_COMMAND_IDS } from "../../plugins/ids.js";
import type { IncomingMessage } from "../incoming.js";
import type { BridgeServices } from "../services.js";
import { permissionText } from "./settings.js";

const TRIGGER_USAGE = "usage: `/trigger`, `/trigger all`, `/trigger mentions`, or `/trigger clear`";

export async function triggerCommand(services: BridgeServices, message: IncomingMessage, args: readonly string[]): Promise<string> {
  const [action, ...rest] = args;
  if (action === undefined || (action === "show" && rest.length === 0)) {
    const mode = await services.chatPrefs.getTriggerMode(message.chatId);
    return [`trigger: ${mode ?? "all"} (${mode === null ? "default" : "chat default"})`, `defaults: topic: none, chat: ${mode ?? "none"}`, "available: all, mentions"].join(
      "\n\n",
    );
  }
  if (rest.length > 0 || !["all", "mentions", "clear"].includes(action)) return TRIGGER_USAGE;
  const denied = await permissionText(services, message, "trigger settings", "trigger permissions", "changing trigger mode");
  if (denied !== null) return denied;
  if (action === "clear") {
    await services.chatPrefs.setTriggerMode(message.chatId, null);
    return "chat trigger mode reset to `all`.";
  }
  await services.chatPrefs.setTriggerMode(message.chatId, action);
  return `chat trigger mode set to \`${action}\``;
}

/** An explicit invocation in a mentions-only chat: a mention, a reply to the bot, or a known command. */
export function addressesBot(services: BridgeServices, message: IncomingMessage, command: string | null): boolean {
  const username = services.botUsername?.toLowerCase() ?? null;
  if (username !== null && message.text.toLowerCase().includes(`@${username}`)) return true;
  const reply = message.replyTo;
  if (reply !== null && (reply.fromBot || (username !== null && reply.senderUsername?.toLowerCase() === username))) return true;
  if (command === null) return false;
  return (
    RESERVED_CHAT_COMMAND_IDS.includes(command) ||
    services.plugins.find("command", command)?.enabled === true ||
    services.engines.available().includes(command) ||
    Object.hasOwn(services.config().settings.projects, command)
  );
}
