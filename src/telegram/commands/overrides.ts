/**
 * `/model` and `/reasoning`: show or change a chat's
 * per-engine model and reasoning overrides. The two commands differ only in
 * their words and, for reasoning, the levels accepted.
 */
import type { IncomingMessage } from "../incoming.js";
import { ambientContext, resolveEngine, type BridgeServices } from "../services.js";
import type { OverrideField } from "../state/index.js";
import { availableList, permissionText, scopeEngine, unknownEngine } from "./settings.js";
import { plainPromptProject } from "../../core/plain-prompt.js";

export const REASONING_LEVELS = ["minimal", "low", "medium", "high", "xhigh"] as const;

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

export async function overrideCommand(services: BridgeServices, message: IncomingMessage, args: readonly string[], field: OverrideField): Promise<string> {
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
  const { engine, source } = await resolveEngine(services, message.chatId, null, ambient?.project ?? plainPromptProject(services.config().settings, message.chatId));
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
