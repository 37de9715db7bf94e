/**
 * A prompt (as typed, directives and all) → the job that runs it: which
 * engine and session, which project and worktree, the chat's or topic's
 * overrides — or the one line telling the person why it cannot run. Shared by
 * typed prompts (router.ts) and plugin runs (the executor), so both follow
 * the same routing rules. Submitting the job is the caller's part.
 */
import { DirectiveError, resolveMessage } from "../core/directives.js";
import { plainPromptTarget, type PlainPromptTarget } from "../core/plain-prompt.js";
import type { ResumeToken } from "../core/events.js";
import type { JobSpec } from "../core/scheduler.js";
import type { MessageRef } from "../core/chat.js";
import { resolveRunCwd, WorktreeError } from "../core/worktrees.js";
import type { RunOptions } from "../engines/backend.js";
import { withReasoningNote } from "./reasoning-note.js";
import { effectiveOverrides, storeSession, type ScopeSettings } from "./scope.js";
import { chooseEngine, contextFooter, telegramSettings, type BridgeServices } from "./services.js";
import { topicBindingCheck } from "./topics/binding.js";

export interface PromptInput {
  /** The message the run answers (its progress and final message reply to it, in its thread). */
  source: MessageRef;
  /** The prompt with its directives. */
  text: string;
  /** Text of the message replied to, for its resume line and context; null when none. */
  replyText: string | null;
  /** The session a reply to a running progress message continues. */
  replyResume: ResumeToken | null;
  /** A project chosen outside the text (a project button); null: the chat's default. */
  project: string | null;
  /** The chat's or topic's settings. */
  settings: ScopeSettings;
}

export type PromptPlan =
  | { kind: "job"; spec: JobSpec; engine: string }
  /** It cannot run: say `error:` and this. */
  | { kind: "error"; text: string }
  /** It does not run, and this is why (not an error: an unbound topic). */
  | { kind: "reply"; text: string }
  /** A new session that names no project where there are several: ask which. */
  | { kind: "choose"; target: Extract<PlainPromptTarget, { kind: "choose" | "no_projects" }> };

export async function planPrompt(services: BridgeServices, input: PromptInput): Promise<PromptPlan> {
  const { engines } = services;
  const config = services.config();
  const telegram = telegramSettings(services);
  const projects = config.settings.projects;
  const codecs = engines.codecs(services.defaultEngine());
  const { settings } = input;
  const { ambient, sessions } = settings;
  const target: PlainPromptTarget = input.project === null ? plainPromptTarget(config.settings, input.source.chatId) : { kind: "project", alias: input.project };
  let resolved;
  try {
    resolved = resolveMessage({
      text: input.text,
      replyText: input.replyText,
      ambient,
      defaultProject: target.kind === "project" ? target.alias : null,
      names: { engineIds: engines.ids(), projects: Object.keys(projects) },
      codecs,
    });
  } catch (error) {
    if (error instanceof DirectiveError) return { kind: "error", text: error.message };
    throw error;
  }
  // In a forum topic: directives naming a context bind the topic; an unbound topic does not run.
  const unbound = await topicBindingCheck(services, settings, resolved);
  if (unbound !== null) return { kind: "reply", text: unbound };

  // A new session that names no project, where takopi's own directory is no place to run: ask.
  const unplaced = resolved.resumeToken === null && input.replyResume === null && resolved.context?.project == null && resolved.prompt.trim() !== "";
  if (unplaced && (target.kind === "choose" || target.kind === "no_projects")) return { kind: "choose", target };

  let resume = resolved.resumeToken ?? input.replyResume;
  let engine: string;
  if (resume !== null) {
    engine = resume.engine;
  } else {
    engine = chooseEngine(services, resolved.engineOverride, settings.defaults, resolved.context?.project ?? null).engine;
    const stored = sessions?.[engine];
    if (stored !== undefined) resume = { engine, value: stored };
  }
  const runner = engines.runner(engine);
  if (runner === null) {
    const status = engines.status(engine);
    const why = status === null ? `unknown engine '${engine}'` : status.status === "ok" ? "unavailable" : `${status.detail}\n${status.fix}`;
    return { kind: "error", text: `engine ${engine} cannot run: ${why}` };
  }
  if (resume === null && resolved.prompt.trim() === "") {
    return { kind: "error", text: "nothing to do: write the prompt after the directives, e.g. `/" + engine + " fix the failing test`" };
  }

  let cwd: string;
  try {
    cwd = (await resolveRunCwd(resolved.context, projects)) ?? process.cwd();
  } catch (error) {
    if (error instanceof WorktreeError) return { kind: "error", text: error.message };
    throw error;
  }

  const overrides = effectiveOverrides(settings, engine);
  const runOptions: RunOptions = {};
  if (overrides.model !== null) runOptions.model = overrides.model;
  if (overrides.reasoning !== null) runOptions.reasoning = overrides.reasoning;
  const projectConfig = engines.projectConfig(engine, resolved.context?.project ?? null);
  if (projectConfig !== null) runOptions.config = projectConfig;
  // With a stored session (a topic's or a chat's) the resume line may be hidden (`show_resume_line = false`).
  const showResume = telegram.show_resume_line || sessions === null;
  const spec: JobSpec = {
    runner: withReasoningNote(runner, runOptions),
    source: input.source,
    prompt: resolved.prompt,
    resume,
    cwd,
    runOptions,
    contextLine: contextFooter(services, resolved.context),
    resumeCodecs: codecs,
    project: resolved.context?.project ?? null,
    branch: resolved.context?.branch ?? null,
    onThreadKnown: (token) => {
      storeSession(services, settings, token).catch((error: unknown) => {
        services.log.error({ event: "telegram.session_store_failed", err: error }, "could not store the session");
      });
    },
  };
  if (!showResume) spec.formatResume = () => "";
  return { kind: "job", spec, engine };
}
