/**
 * `/agent`: show or change the default engine of a chat, or of a forum topic
 * (which beats its chat's).
 */
import type { IncomingMessage } from "../incoming.js";
import { messageScope, scopeLayer } from "../scope.js";
import type { BridgeServices } from "../services.js";
import { availableList, permissionText, scopeEngine, unknownEngine } from "./settings.js";

const AGENT_USAGE = "usage: `/agent`, `/agent set <engine>`, or `/agent clear`";

export async function agentCommand(services: BridgeServices, message: IncomingMessage, args: readonly string[]): Promise<string> {
  const [action, ...rest] = args;
  if (action === undefined || (action === "show" && rest.length === 0)) return showAgent(services, message);
  const scope = messageScope(services, message);
  if (action === "set" && rest.length === 1) {
    const denied = await permissionText(services, message, "engine defaults", "engine permissions", "changing default engines");
    if (denied !== null) return denied;
    const engine = (rest[0] as string).toLowerCase();
    if (!services.engines.ids().includes(engine)) return unknownEngine(services, engine);
    await scopeLayer(services, scope).setDefaultEngine(engine);
    return `${scope.kind} default engine set to \`${engine}\``;
  }
  if (action === "clear" && rest.length === 0) {
    const denied = await permissionText(services, message, "engine defaults", "engine permissions", "changing default engines");
    if (denied !== null) return denied;
    await scopeLayer(services, scope).setDefaultEngine(null);
    return `${scope.kind} default engine cleared.`;
  }
  return AGENT_USAGE;
}

async function showAgent(services: BridgeServices, message: IncomingMessage): Promise<string> {
  const { engine, source, project, settings } = await scopeEngine(services, message);
  const projectDefault = project === null ? null : (services.config().settings.projects[project]?.default_engine ?? null);
  const topic = settings.overrides.topic[engine];
  const chat = settings.overrides.chat[engine];
  const describe = (field: "model" | "reasoning"): string => {
    const value = topic?.[field] ?? chat?.[field] ?? null;
    const from = topic?.[field] != null ? "topic override" : chat?.[field] != null ? "chat default" : "no override";
    return `${field}: ${value ?? "default"} (${from})`;
  };
  return [
    `engine: ${engine} (${source})`,
    describe("model"),
    describe("reasoning"),
    `defaults: topic: ${settings.defaults.topic ?? "none"}, chat: ${settings.defaults.chat ?? "none"}, project: ${projectDefault ?? "none"}, global: ${services.defaultEngine()}`,
    `available: ${availableList(services)}`,
  ].join("\n\n");
}
