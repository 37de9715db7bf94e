/**
 * `/ctx` outside forum topics: bind a chat to a project and
 * branch so that plain messages run there, show the binding, or clear it.
 * Inside a topic, ctx-topic.ts answers.
 */
import { resolveMessage, type RunContext } from "../../core/directives.js";
import { splitArgs } from "../../core/slash.js";
import type { IncomingMessage } from "../incoming.js";
import { ambientContext, chatProject, describeContext, projectsOf, type BridgeServices } from "../services.js";
import { plainPromptProject } from "../../core/plain-prompt.js";
import { messageScope } from "../scope.js";
import { topicCtxCommand } from "./ctx-topic.js";

const CTX_UNKNOWN = "unknown `/ctx` command. use `/ctx`, `/ctx set`, or `/ctx clear`.";

export async function ctxCommand(services: BridgeServices, message: IncomingMessage, argsText: string): Promise<string> {
  const args = splitArgs(argsText);
  if (messageScope(services, message).kind === "topic") return topicCtxCommand(services, message, args);
  const [action, ...rest] = args;
  if (action === undefined || (action === "show" && rest.length === 0)) return showContext(services, message);
  if (action === "clear" && rest.length === 0) {
    await services.chatPrefs.setContext(message.chatId, null);
    return "chat context cleared.";
  }
  if (action !== "set") return CTX_UNKNOWN;
  const boundProject = chatProject(services, message.chatId);
  const usage = boundProject === null ? "usage: `/ctx set <project> [@branch]`" : "usage: `/ctx set [@branch]`";
  const parsed = parseContextArgs(services, rest, boundProject, message.chatId);
  if (typeof parsed === "string") return `error:\n${parsed}\n${usage}`;
  await services.chatPrefs.setContext(message.chatId, parsed);
  return `chat bound to \`${describeContext(parsed)}\``;
}

async function showContext(services: BridgeServices, message: IncomingMessage): Promise<string> {
  const bound = await services.chatPrefs.getContext(message.chatId);
  const config = services.config();
  const resolved = resolveMessage({
    text: "",
    ambient: await ambientContext(services, message.chatId),
    defaultProject: plainPromptProject(config.settings, message.chatId),
    names: { engineIds: services.engines.ids(), projects: Object.keys(config.settings.projects) },
    codecs: [],
  });
  const source = resolved.contextSource === "ambient" && bound !== null ? "bound" : resolved.contextSource;
  const lines = [`bound ctx: ${describeContext(bound)}`, `resolved ctx: ${describeContext(resolved.context)} (source: ${source})`];
  if (bound === null) lines.push("note: no bound context — bind with `/ctx set <project> [@branch]`");
  return lines.join("\n");
}

/** `[project] [@branch]` → a context, or the reason it is not one. */
function parseContextArgs(services: BridgeServices, args: readonly string[], boundProject: string | null, chatId: number): RunContext | string {
  if (args.length > 2) return "too many arguments";
  let project: string | null = null;
  let branch: string | null = null;
  for (const [index, arg] of args.entries()) {
    if (arg.startsWith("@")) {
      if (arg.length === 1) return "branch must be prefixed with @";
      branch = arg.slice(1);
    } else if (index === 0) {
      project = arg.toLowerCase();
    } else {
      return "branch must be prefixed with @";
    }
  }
  project ??= boundProject ?? plainPromptProject(services.config().settings, chatId);
  if (project === null) return "project is required";
  if (!Object.hasOwn(projectsOf(services), project)) return `unknown project '${project}'`;
  if (boundProject !== null && project !== boundProject) return `project mismatch for this chat; expected '${boundProject}'.`;
  return { project, branch };
}
