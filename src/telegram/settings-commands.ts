/**
 * `/agent`, `/model`, `/reasoning` and `/trigger` (spec §15.5–15.8): show or
 * change a chat's default engine, its per-engine model and reasoning
 * overrides, and whether it answers every message or only mentions. Settings
 * are per chat and kept in `telegram_chat_prefs_state.json`; in groups only
 * admins change them. (Forum topics, where upstream keeps a second layer of
 * these settings, are not part of this build, so every scope is the chat.)
 */
import { splitArgs } from "../core/slash.js";
import type { IncomingMessage } from "./incoming.js";
import { ambientContext, resolveEngine, settingsPermission, type BridgeServices } from "./services.js";
import type { OverrideField } from "./state/index.js";

export const REASONING_LEVELS = ["minimal", "low", "medium", "high", "xhigh"] as const;

export type SettingsCommand = "agent" | "model" | "reasoning" | "trigger";

export function isSettingsCommand(command: string): command is SettingsCommand {
  return command === "agent" || command === "model" || command === "reasoning" || command === "trigger";
}

/** Runs one settings command; resolves with the reply text. */
export function settingsCommand(services: BridgeServices, command: SettingsCommand, message: IncomingMessage, argsText: string): Promise<string> {
  const args = splitArgs(argsText);
  switch (command) {
    case "agent":
      return agentCommand(services, message, args);
    case "model":
      return overrideCommand(services, message, args, "model");
    case "reasoning":
      return overrideCommand(services, message, args, "reasoning");
    case "trigger":
      return triggerCommand(services, message, args);
  }
}

const AGENT_USAGE = "usage: `/agent`, `/agent set <engine>`, or `/agent clear`";

async function agentCommand(services: BridgeServices, message: IncomingMessage, args: string[]): Promise<string> {
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
  const project = ambient?.project ?? services.config().settings.default_project;
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

interface OverrideWords {
  usage: string;
  /** `model` / `reasoning`, as in the reply texts. */
  noun: string;
  /** `model overrides` / `reasoning overrides`, for the permission texts. */
  what: string;
  /** What the `/new` hint calls the change. */
  cleanStart: string;
}

const OVERRIDE_WORDS: Record<OverrideField, OverrideWords> = {
  model: {
    usage: "usage: `/model`, `/model set <model>`, `/model set <engine> <model>`, or `/model clear [engine]`",
    noun: "model",
    what: "model override",
    cleanStart: "the new model",
  },
  reasoning: {
    usage: "usage: `/reasoning`, `/reasoning set <level>`, `/reasoning set <engine> <level>`, or `/reasoning clear [engine]`",
    noun: "reasoning",
    what: "reasoning override",
    cleanStart: "the new setting",
  },
};

async function overrideCommand(services: BridgeServices, message: IncomingMessage, args: string[], field: OverrideField): Promise<string> {
  const words = OVERRIDE_WORDS[field];
  const engineIds = services.engines.ids();
  const isEngine = (word: string | undefined): word is string => word !== undefined && engineIds.includes(word.toLowerCase());
  const [action, ...rest] = args;
  if (action === undefined || (action === "show" && rest.length === 0)) return showOverride(services, message, field);

  if (action === "set") {
    if (rest.length === 0 || (rest.length === 1 && isEngine(rest[0]))) return words.usage;
    const denied = await permissionText(services, message, `${words.what}s`, `${words.what} permissions`, `changing ${words.what}s`);
    if (denied !== null) return denied;
    let engine: string;
    let value: string;
    if (rest.length >= 2 && isEngine(rest[0])) {
      engine = rest[0].toLowerCase();
      value = rest.slice(1).join(" ");
    } else {
      engine = await scopeEngine(services, message);
      value = rest.join(" ");
    }
    if (field === "reasoning") {
      value = value.toLowerCase();
      if (!(REASONING_LEVELS as readonly string[]).includes(value)) {
        return `unknown reasoning level \`${value}\`.\navailable levels: ${REASONING_LEVELS.join(", ")}`;
      }
    }
    await services.chatPrefs.setOverride(message.chatId, engine, field, value);
    return `chat ${words.noun} override set to \`${value}\` for \`${engine}\`.\nIf you want a clean start on ${words.cleanStart}, run \`/new\`.`;
  }

  if (action === "clear" && rest.length <= 1) {
    const denied = await permissionText(services, message, `${words.what}s`, `${words.what} permissions`, `changing ${words.what}s`);
    if (denied !== null) return denied;
    const named = rest[0];
    if (named !== undefined && !isEngine(named)) return unknownEngine(services, named);
    const engine = named === undefined ? await scopeEngine(services, message) : named.toLowerCase();
    await services.chatPrefs.setOverride(message.chatId, engine, field, null);
    return `chat ${words.noun} override cleared.`;
  }
  return words.usage;
}

async function showOverride(services: BridgeServices, message: IncomingMessage, field: OverrideField): Promise<string> {
  const ambient = await ambientContext(services, message.chatId);
  const { engine, source } = await resolveEngine(services, message.chatId, null, ambient?.project ?? services.config().settings.default_project);
  const value = (await services.chatPrefs.getEngineOverrides(message.chatId, engine))?.[field] ?? null;
  const lines = [
    `engine: ${engine} (${source})`,
    `${field}: ${value ?? "default"} (${value === null ? "no override" : "chat default"})`,
    `defaults: topic: none, chat: ${value ?? "none"}`,
    `available engines: ${availableList(services)}`,
  ];
  if (field === "reasoning") lines.push(`available levels: ${REASONING_LEVELS.join(", ")}`);
  return lines.join("\n\n");
}

const TRIGGER_USAGE = "usage: `/trigger`, `/trigger all`, `/trigger mentions`, or `/trigger clear`";

async function triggerCommand(services: BridgeServices, message: IncomingMessage, args: string[]): Promise<string> {
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

/** The engine a bare `/model set x` applies to: the one this chat's next new session would use. */
async function scopeEngine(services: BridgeServices, message: IncomingMessage): Promise<string> {
  const ambient = await ambientContext(services, message.chatId);
  return (await resolveEngine(services, message.chatId, null, ambient?.project ?? services.config().settings.default_project)).engine;
}

async function permissionText(services: BridgeServices, message: IncomingMessage, subject: string, verification: string, change: string): Promise<string | null> {
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

function unknownEngine(services: BridgeServices, engine: string): string {
  return `unknown engine \`${engine}\`.\navailable engines: \`${services.engines.ids().join(", ")}\``;
}

function availableList(services: BridgeServices): string {
  return services.engines.ids().join(", ");
}
