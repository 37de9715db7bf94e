/**
 * The chat commands built into the bridge, one file each. A command answers
 * with the text of its reply; the router sends it. `/cancel` (cancel.ts) is
 * routed on its own: it acts on a run and usually needs no reply.
 *
 * To add one: write `commands/<name>.ts` exporting a handler, add it here,
 * and add its id to RESERVED_CHAT_COMMAND_IDS (src/plugins/ids.ts) so no
 * plugin or project alias can take it.
 */
import { splitArgs } from "../../core/slash.js";
import type { IncomingMessage } from "../incoming.js";
import type { BridgeServices } from "../services.js";
import { agentCommand } from "./agent.js";
import { ctxCommand } from "./ctx.js";
import { fileCommand } from "./file.js";
import { newCommand } from "./new.js";
import { overrideCommand } from "./overrides.js";
import { topicCommand } from "./topic.js";
import { triggerCommand } from "./trigger.js";

export { cancelButton, cancelCommand } from "./cancel.js";

/** A built-in command: resolves with the reply's text (markdown), or "" when it answered otherwise (`/file get` sends a document). */
export type ChatCommand = (services: BridgeServices, message: IncomingMessage, argsText: string) => Promise<string>;

export const BUILTIN_COMMANDS: ReadonlyMap<string, ChatCommand> = new Map<string, ChatCommand>([
  ["new", (services, message) => newCommand(services, message)],
  ["ctx", ctxCommand],
  ["file", fileCommand],
  ["agent", (services, message, argsText) => agentCommand(services, message, splitArgs(argsText))],
  ["model", (services, message, argsText) => overrideCommand(services, message, splitArgs(argsText), "model")],
  ["reasoning", (services, message, argsText) => overrideCommand(services, message, splitArgs(argsText), "reasoning")],
  ["trigger", (services, message, argsText) => triggerCommand(services, message, splitArgs(argsText))],
  ["topic", topicCommand],
]);
