/**
 * Which project (and worktree) a `/file` command or an upload works in:
 * resolved like a prompt — directives, a `ctx:` line in the replied-to
 * message, the chat's bound context, the chat's project or the default one —
 * and then the run's directory, a worktree for `@branch` (core/worktrees.ts).
 */
import { realpath } from "node:fs/promises";
import { DirectiveError, resolveMessage, type RunContext } from "../../core/directives.js";
import { plainPromptProject } from "../../core/plain-prompt.js";
import { resolveRunCwd, WorktreeError } from "../../core/worktrees.js";
import { systemErrorMessage } from "../../util/errors.js";
import type { IncomingMessage } from "../incoming.js";
import { ambientContext, describeContext, type BridgeServices } from "../services.js";

/** The project directory files go to and come from, or the reply saying why there is none. */
export type FileRoot = { ok: true; context: RunContext; label: string; root: string; rest: string } | { ok: false; reply: string };

/**
 * The context a message works in when it names none. This is the one place
 * file transfer asks; forum topics extend it with the topic's bound context.
 */
export async function messageAmbientContext(services: Pick<BridgeServices, "config" | "chatPrefs">, message: IncomingMessage): Promise<RunContext | null> {
  return ambientContext(services, message.chatId);
}

/**
 * Resolves the directives at the start of `text` (`/app @feature docs/`) into
 * the directory to work in; `rest` is what follows them.
 */
export async function resolveFileRoot(services: BridgeServices, message: IncomingMessage, text: string, purpose: "upload" | "download"): Promise<FileRoot> {
  const settings = services.config().settings;
  let resolved;
  try {
    resolved = resolveMessage({
      text,
      replyText: message.replyTo?.text ?? null,
      ambient: await messageAmbientContext(services, message),
      defaultProject: plainPromptProject(settings, message.chatId),
      names: { engineIds: services.engines.ids(), projects: Object.keys(settings.projects) },
      codecs: [],
    });
  } catch (error) {
    if (error instanceof DirectiveError) return { ok: false, reply: `error:\n${error.message}` };
    throw error;
  }
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
