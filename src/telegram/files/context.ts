/**
 * Which project (and worktree) a `/file` command or an upload works in:
 * resolved like a prompt — directives, a `ctx:` line in the replied-to
 * message, the topic's or chat's bound context, the chat's project or the
 * default one (never in a topic) — and then the run's directory, a worktree
 * for `@branch` (core/worktrees.ts). In a forum topic, directives bind the
 * topic as a prompt's do, and an unbound topic says how to bind it.
 */
import { realpath } from "node:fs/promises";
import { DirectiveError, resolveMessage, type RunContext } from "../../core/directives.js";
import { plainPromptProject } from "../../core/plain-prompt.js";
import { resolveRunCwd, WorktreeError } from "../../core/worktrees.js";
import { systemErrorMessage } from "../../util/errors.js";
import type { IncomingMessage } from "../incoming.js";
import { scopeSettings } from "../scope.js";
import { describeContext, type BridgeServices } from "../services.js";
import { topicBindingCheck } from "../topics/binding.js";

/** The project directory files go to and come from, or the reply saying why there is none. */
export type FileRoot = { ok: true; context: RunContext; label: string; root: string; rest: string } | { ok: false; reply: string };

/**
 * Resolves the directives at the start of `text` (`/app @feature docs/`) into
 * the directory to work in; `rest` is what follows them.
 */
export async function resolveFileRoot(services: BridgeServices, message: IncomingMessage, text: string, purpose: "upload" | "download"): Promise<FileRoot> {
  const settings = services.config().settings;
  const scope = await scopeSettings(services, message);
  let resolved;
  try {
    resolved = resolveMessage({
      text,
      replyText: message.replyTo?.text ?? null,
      ambient: scope.ambient,
      defaultProject: scope.scope.kind === "topic" ? null : plainPromptProject(settings, message.chatId),
      names: { engineIds: services.engines.ids(), projects: Object.keys(settings.projects) },
      codecs: [],
    });
  } catch (error) {
    if (error instanceof DirectiveError) return { ok: false, reply: `error:\n${error.message}` };
    throw error;
  }
  const unbound = await topicBindingCheck(services, scope, resolved);
  if (unbound !== null) return { ok: false, reply: unbound };
  const context = resolved.context;
  if (context?.project == null) return { ok: false, reply: `no project context available for file ${purpose}.` };
  let root: string | null;
  try {
    root = await resolveRunCwd(context, settings.projects);
  } catch (error) {
    if (error instanceof WorktreeError) return { ok: false, reply: `error:\n${error.message}` };
    throw error;
  }
  if (root === null) return { ok: false, reply: `no project context available for file ${purpose}.` };
  // A project whose directory is gone (or unreadable) is the config's problem; say which directory.
  const missing = await realpath(root).then(
    () => null,
    (error: unknown) => systemErrorMessage(error),
  );
  if (missing !== null) return { ok: false, reply: `error:\ncannot open the project directory ${root}: ${missing}` };
  return { ok: true, context, label: describeContext(context), root, rest: resolved.prompt };
}
