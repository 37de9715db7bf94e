/**
 * What the settings commands (`/agent`, `/model`, `/reasoning`, `/trigger`)
 * share: who may change a chat's settings, which engine a bare `/model set`
 * applies to, and the texts naming engines. Settings are per chat and kept in
 * `telegram_chat_prefs_state.json`; in a forum topic they are the topic's
 * (`telegram_topics_state.json`) and beat the chat's. In groups only admins
 * change them. Which scope a message is in comes from scope.ts.
 */
import type { IncomingMessage } from "../incoming.js";
import { scopeSettings, type ScopeSettings } from "../scope.js";
import { chooseEngine, settingsPermission, type BridgeServices, type EngineSource } from "../services.js";
import { plainPromptProject } from "../../core/plain-prompt.js";

/**
 * The engine this scope's next new session would use (a bare `/model set x`
 * applies to it), why, and the scope's settings. A topic never assumes a
 * default project.
 */
export async function scopeEngine(services: BridgeServices, message: IncomingMessage): Promise<{ engine: string; source: EngineSource; project: string | null; settings: ScopeSettings }> {
  const settings = await scopeSettings(services, message);
  const fallback = settings.scope.kind === "topic" ? null : plainPromptProject(services.config().settings, message.chatId);
  const project = settings.ambient?.project ?? fallback;
  return { ...chooseEngine(services, null, settings.defaults, project), project, settings };
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
