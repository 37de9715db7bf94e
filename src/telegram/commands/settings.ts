/**
 * What the settings commands (`/agent`, `/model`, `/reasoning`, `/trigger`)
 * share: who may change a chat's settings, which engine a bare `/model set`
 * applies to, and the texts naming engines. Settings are per chat and kept in
 * `telegram_chat_prefs_state.json`; in groups only admins change them.
 * (Forum topics, where upstream keeps a second layer of these settings, are
 * not part of this build, so every scope is the chat.)
 */
import type { IncomingMessage } from "../incoming.js";
import { ambientContext, resolveEngine, settingsPermission, type BridgeServices } from "../services.js";
import { plainPromptProject } from "../../core/plain-prompt.js";

/** The engine a bare `/model set x` applies to: the one this chat's next new session would use. */
export async function scopeEngine(services: BridgeServices, message: IncomingMessage): Promise<string> {
  const ambient = await ambientContext(services, message.chatId);
  return (await resolveEngine(services, message.chatId, null, ambient?.project ?? plainPromptProject(services.config().settings, message.chatId))).engine;
}

export async function permissionText(services: BridgeServices, message: IncomingMessage, subject: string, verification: string, change: string): Promise<string | null> {
  switch (await settingsPermission(services, message)) {
    case "no_sender":
      return `cannot verify sender for ${subject}.`;
    case "unverified":
      return `failed to verify ${verification}.`;
    case "not_admin":
      return `${change} is restricted to group admins.`;
    case null:
      return null;
  }
}

export function unknownEngine(services: BridgeServices, engine: string): string {
  return `unknown engine \`${engine}\`.\navailable engines: \`${services.engines.ids().join(", ")}\``;
}

export function availableList(services: BridgeServices): string {
  return services.engines.ids().join(", ");
}
