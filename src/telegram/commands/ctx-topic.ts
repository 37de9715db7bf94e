/**
 * `/ctx` inside a forum topic: show what the topic is bound to and what a
 * prompt there would run in, bind it (renaming the topic), or unbind it.
 */
import { resolveMessage } from "../../core/directives.js";
import type { IncomingMessage } from "../incoming.js";
import { scopeSettings } from "../scope.js";
import { describeContext, projectsOf, type BridgeServices } from "../services.js";
import { parseTopicContext } from "../topics/args.js";
import { bindTopic } from "../topics/binding.js";
import { ctxSetUsage, scopeLabel, topicsScope, topicUsage } from "../topics/settings.js";

const CTX_UNKNOWN = "unknown `/ctx` command. use `/ctx`, `/ctx set`, or `/ctx clear`.";

export async function topicCtxCommand(services: BridgeServices, message: IncomingMessage, args: readonly string[]): Promise<string> {
  const settings = await scopeSettings(services, message);
  const { scope, chatProject } = settings;
  if (scope.kind !== "topic") return "this command only works inside a topic.";
  const [action, ...rest] = args;
  if (action === undefined || (action === "show" && rest.length === 0)) {
    const resolved = resolveMessage({
      text: "",
      ambient: settings.ambient,
      // A topic never falls back to default_project.
      defaultProject: null,
      names: { engineIds: services.engines.ids(), projects: Object.keys(projectsOf(services)) },
      codecs: [],
    });
    const lines = [
      `topics: enabled (scope=${scopeLabel(topicsScope(services.config()))})`,
      `bound ctx: ${describeContext(settings.topicBinding)}`,
      `resolved ctx: ${describeContext(resolved.context)} (source: ${resolved.contextSource})`,
    ];
    if (chatProject === null && settings.topicBinding === null) {
      lines.push(`note: unbound topic — bind with ${usageOf(topicUsage(chatProject))} or ${usageOf(ctxSetUsage(chatProject))}`);
    }
    const engines = Object.keys(settings.sessions ?? {}).sort();
    lines.push(`sessions: ${engines.length > 0 ? engines.join(", ") : "none"}`);
    return lines.join("\n");
  }
  if (action === "clear" && rest.length === 0) {
    await services.topics.clearContext(scope.chatId, scope.threadId);
    return "topic binding cleared.";
  }
  if (action !== "set") return CTX_UNKNOWN;
  const usage = ctxSetUsage(chatProject);
  if (rest.length === 0 && chatProject === null) return usage;
  const context = parseTopicContext(rest, { aliases: Object.keys(projectsOf(services)), chatProject, requireBranch: false });
  if ("error" in context) return `error:\n${context.error}\n${usage}`;
  await bindTopic(services, scope.chatId, scope.threadId, context);
  return `topic bound to \`${describeContext(context)}\``;
}

function usageOf(usage: string): string {
  return usage.replace(/^usage: /, "");
}
