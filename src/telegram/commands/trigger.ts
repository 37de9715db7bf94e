/**
 * `/trigger`: whether a chat, or a forum topic, answers every message or
 * only those that address the bot. A topic's own mode beats its chat's,
 * `all` included (upstream cannot say `all` in a topic of a mentions-only chat).
 */
import { RESERVED_CHAT_COMMAND_IDS } from "../../plugins/ids.js";
import type { IncomingMessage } from "../incoming.js";
import { effectiveTrigger, messageScope, scopeLayer, scopeSettings } from "../scope.js";
import type { BridgeServices } from "../services.js";
import { permissionText } from "./settings.js";

const TRIGGER_USAGE = "usage: `/trigger`, `/trigger all`, `/trigger mentions`, or `/trigger clear`";

export async function triggerCommand(services: BridgeServices, message: IncomingMessage, args: readonly string[]): Promise<string> {
  const [action, ...rest] = args;
  if (action === undefined || (action === "show" && rest.length === 0)) {
    const { trigger } = await scopeSettings(services, message);
    const { mode, source } = effectiveTrigger(trigger);
    return [`trigger: ${mode} (${source})`, `defaults: topic: ${trigger.topic ?? "none"}, chat: ${trigger.chat ?? "none"}`, "available: all, mentions"].join("\n\n");
  }
  if (rest.length > 0 || (action !== "all" && action !== "mentions" && action !== "clear")) return TRIGGER_USAGE;
  const denied = await permissionText(services, message, "trigger settings", "trigger permissions", "changing trigger mode");
  if (denied !== null) return denied;
  const scope = messageScope(services, message);
  const layer = scopeLayer(services, scope);
  if (action === "clear") {
    await layer.setTriggerMode(null);
    return scope.kind === "topic" ? "topic trigger mode cleared (using chat default)." : "chat trigger mode reset to `all`.";
  }
  await layer.setTriggerMode(action);
  return `${scope.kind} trigger mode set to \`${action}\``;
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
