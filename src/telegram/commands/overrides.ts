/**
 * `/model` and `/reasoning`: show or change the per-engine model and
 * reasoning overrides of a chat, or of a forum topic (whose fields beat the
 * chat's, field by field). The two commands differ only in their words and,
 * for reasoning, the levels accepted: each engine's backend declares its own
 * (upstream had one fixed list for all).
 */
import type { IncomingMessage } from "../incoming.js";
import { messageScope, scopeLayer } from "../scope.js";
import type { BridgeServices } from "../services.js";
import type { OverrideField } from "../state/index.js";
import { engineCapabilities } from "../../engines/backend.js";
import { availableList, permissionText, scopeEngine, unknownEngine } from "./settings.js";

/**
 * Upstream's fixed list, still what an engine that takes no level may store:
 * its runs then start with the "not supported; ignoring" note.
 */
export const UPSTREAM_REASONING_LEVELS: readonly string[] = ["minimal", "low", "medium", "high", "xhigh"];

/** The levels `engine` takes, or null when it takes none (or did not load). */
export function reasoningLevels(services: Pick<BridgeServices, "engines">, engine: string): readonly string[] | null {
  const status = services.engines.status(engine);
  if (status === null || status.status === "load_error") return null;
  return engineCapabilities(status.backend).reasoning;
}

/** The refusal for a level `engine` does not take, or null when it may be stored. */
export function reasoningLevelRefusal(levels: readonly string[] | null, engine: string, level: string): string | null {
  const accepted = levels ?? UPSTREAM_REASONING_LEVELS;
  if (accepted.includes(level)) return null;
  const forEngine = levels === null ? "" : ` for ${engine}`;
  return `unknown reasoning level \`${level}\`${forEngine}.\navailable levels: ${accepted.join(", ")}`;
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

export async function overrideCommand(services: BridgeServices, message: IncomingMessage, args: readonly string[], field: OverrideField): Promise<string> {
  const words = OVERRIDE_WORDS[field];
  const engineIds = services.engines.ids();
  const isEngine = (word: string | undefined): word is string => word !== undefined && engineIds.includes(word.toLowerCase());
  const [action, ...rest] = args;
  if (action === undefined || (action === "show" && rest.length === 0)) return showOverride(services, message, field);
  const scope = messageScope(services, message);

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
      engine = (await scopeEngine(services, message)).engine;
      value = rest.join(" ");
    }
    if (field === "reasoning") {
      value = value.toLowerCase();
      const refusal = reasoningLevelRefusal(reasoningLevels(services, engine), engine, value);
      if (refusal !== null) return refusal;
    }
    await scopeLayer(services, scope).setOverride(engine, field, value);
    return `${scope.kind} ${words.noun} override set to \`${value}\` for \`${engine}\`.\nIf you want a clean start on ${words.cleanStart}, run \`/new\`.`;
  }

  if (action === "clear" && rest.length <= 1) {
    const denied = await permissionText(services, message, `${words.what}s`, `${words.what} permissions`, `changing ${words.what}s`);
    if (denied !== null) return denied;
    const named = rest[0];
    if (named !== undefined && !isEngine(named)) return unknownEngine(services, named);
    const engine = named === undefined ? (await scopeEngine(services, message)).engine : named.toLowerCase();
    await scopeLayer(services, scope).setOverride(engine, field, null);
    return scope.kind === "topic" ? `topic ${words.noun} override cleared (using chat default).` : `chat ${words.noun} override cleared.`;
  }
  return words.usage;
}

async function showOverride(services: BridgeServices, message: IncomingMessage, field: OverrideField): Promise<string> {
  const { engine, source, settings } = await scopeEngine(services, message);
  const topic = settings.overrides.topic[engine]?.[field] ?? null;
  const chat = settings.overrides.chat[engine]?.[field] ?? null;
  const value = topic ?? chat;
  const lines = [
    `engine: ${engine} (${source})`,
    `${field}: ${value ?? "default"} (${topic !== null ? "topic override" : chat !== null ? "chat default" : "no override"})`,
    `defaults: topic: ${topic ?? "none"}, chat: ${chat ?? "none"}`,
    `available engines: ${availableList(services)}`,
  ];
  if (field === "reasoning") {
    const levels = reasoningLevels(services, engine);
    lines.push(levels === null ? `available levels: none (${engine} takes no reasoning level)` : `available levels: ${levels.join(", ")}`);
  }
  return lines.join("\n\n");
}
