/**
 * `/agent`: show or change a chat's default engine.
 */
import type { IncomingMessage } from "../incoming.js";
import { ambientContext, resolveEngine, type BridgeServices } from "../services.js";
import { availableList, permissionText, unknownEngine } from "./settings.js";
import { plainPromptProject } from "../../core/plain-prompt.js";

const AGENT_USAGE = "usage: `/agent`, `/agent set <engine>`, or `/agent clear`";

export async function agentCommand(services: BridgeServices, message: IncomingMessage, args: readonly string[]): Promise<string> {
  const [action, ...rest] = args;
  if (action === undefined || (action === "show" && rest.length === 0)) return showAgent(services, message);
  if (action === "set" && rest.length === 1) {
    const denied = await permissionText(services, message, "engine defaults", "engine permissions", "changing default engines");
    if (denied !== null) return denied;
    const engine = (rest[0] as string).toLowerCase();
    if (!services.engines.ids().includes(engine)) return unknownEngine(services, engine);
    await services.chatPrefs.setDefaultEngine(message.chatId, engine);
    return `chat default engine set to \`${engine}\``;
  }
  if (action === "clear" && rest.length === 0) {
    const denied = await permissionText(services, message, "engine defaults", "engine permissions", "changing default engines");
    if (denied !== null) return denied;
    await services.chatPrefs.setDefaultEngine(message.chatId, null);
    return "chat default engine cleared.";
  }
  return AGENT_USAGE;
}

async function showAgent(services: BridgeServices, message: IncomingMessage): Promise<string> {
  const ambient = await ambientContext(services, message.chatId);
  const project = ambient?.project ?? plainPromptProject(services.config().settings, message.chatId);
  const { engine, source } = await resolveEngine(services, message.chatId, null, project);
  const overrides = await services.chatPrefs.getEngineOverrides(message.chatId, engine);
  const chatDefault = await services.chatPrefs.getDefaultEngine(message.chatId);
  const projectDefault = project === null ? null : (services.config().settings.projects[project]?.default_engine ?? null);
  return [
    `engine: ${engine} (${source})`,
    `model: ${overrides?.model ?? "default"} (${overrides?.model == null ? "no override" : "chat default"})`,
    `reasoning: ${overrides?.reasoning ?? "default"} (${overrides?.reasoning == null ? "no override" : "chat default"})`,
    `defaults: topic: none, chat: ${chatDefault ?? "none"}, project: ${projectDefault ?? "none"}, global: ${services.defaultEngine()}`,
    `available: ${availableList(services)}`,
  ].join("\n\n");
}
