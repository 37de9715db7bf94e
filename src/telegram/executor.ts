/**
 * The plugin executor (`RunExecutor`, src/plugins/types.ts): engine runs a
 * plugin asks for, routed by `planPrompt` exactly as a typed prompt and run by
 * the same scheduler — so a run on a busy session queues, `/cancel`, the
 * cancel button, `/reload` and shutdown reach it like any other run.
 *
 * - `emit`: the run is shown in an allowed chat exactly as a typed prompt's.
 *   Unless the request names a message to answer (`replyTo`), the executor
 *   first posts the prompt, silently, under the plugin's label, and the run
 *   replies to that — so the progress message, the final answer with its
 *   resume line and a reply to continue all work as for a typed prompt.
 * - `capture`: the same run on a surface that shows nothing; the answer comes
 *   back in the result. A capture run starts its own session (unless the
 *   request resumes one) and is not remembered as the chat's session: an
 *   invisible run must not change what the person's next message continues.
 *
 * Nothing here throws at a plugin: a bad request (unknown engine or project,
 * conflicting directives, a chat that is not allowed) is `ok: false` with a
 * one-line `error`.
 */
import type { ChatSurface, MessageRef } from "../core/chat.js";
import { DirectiveError, parseDirectives } from "../core/directives.js";
import type { RunResult } from "../core/run-message.js";
import type { ExecutorOptions, ExecutorRequest, ExecutorResult, RunExecutor } from "../plugins/types.js";
import { errorMessage } from "../util/errors.js";
import { accessPolicy } from "./access.js";
import { planPrompt } from "./prompt-job.js";
import { scopeSettings } from "./scope.js";
import { telegramSettings, type BridgeServices } from "./services.js";

/** A chat and forum topic: where an `emit` run goes when its request names no chat. */
export interface ExecutorPlace {
  chatId: number;
  threadId: number | null;
}

export interface ExecutorDeps {
  /** The bridge's services (a function: the runtime that carries the executor is built before them). */
  services(): BridgeServices;
  /** The plugin the runs are for: in the default label and the logs; null for the bridge's own runtime. */
  pluginId: string | null;
  /** The command's or button's chat and topic; null: the main chat. */
  place: ExecutorPlace | null;
  /**
   * Aborted when the bridge begins to stop: runs are cancelled at once and no
   * new one starts. (Shutdown waits for the plugin commands in flight before
   * it cancels runs, and a command may be waiting for its run.)
   */
  stopping: AbortSignal;
}

export function telegramExecutor(deps: ExecutorDeps): RunExecutor {
  const run = async (request: ExecutorRequest, options: ExecutorOptions = {}): Promise<ExecutorResult> => {
    try {
      return await runOne(deps, request, options);
    } catch (error) {
      deps.services().log.error({ event: "executor.failed", plugin: deps.pluginId, err: error }, "a plugin's run failed unexpectedly");
      return failed(request, errorMessage(error));
    }
  };
  return {
    run,
    async runMany(requests, options = {}) {
      const parallel = Math.max(1, Math.floor(options.parallel ?? 1) || 1);
      const results: ExecutorResult[] = new Array<ExecutorResult>(requests.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < requests.length) {
          const index = next++;
          results[index] = await run(requests[index] as ExecutorRequest, options);
        }
      };
      await Promise.all(Array.from({ length: Math.min(parallel, requests.length) }, worker));
      return results;
    },
  };
}

/** Whether the bot may post in `chatId`: the main chat, a project's chat, or an allowed user's private chat. */
export function isAllowedChat(services: Pick<BridgeServices, "config">, chatId: number): boolean {
  const policy = accessPolicy(telegramSettings(services), services.config().settings.projects);
  return policy.chatIds.has(chatId) || policy.allowedUserIds.has(chatId);
}

async function runOne(deps: ExecutorDeps, request: ExecutorRequest, options: ExecutorOptions): Promise<ExecutorResult> {
  const services = deps.services();
  const mode: string = options.mode ?? "emit";
  if (mode !== "emit" && mode !== "capture") return failed(request, `unknown mode '${mode}': use "emit" or "capture"`);
  if (typeof request.prompt !== "string") return failed(request, "a request needs a prompt (a string)");

  const replyTo = request.replyTo ?? null;
  const chatId = request.chatId ?? replyTo?.chatId ?? deps.place?.chatId ?? telegramSettings(services).chat_id;
  if (!isAllowedChat(services, chatId)) return failed(request, `chat ${chatId} is not an allowed chat`);
  if (replyTo !== null && replyTo.chatId !== chatId) return failed(request, `replyTo is a message in chat ${replyTo.chatId}, not in chat ${chatId}`);
  const threadId = request.threadId !== undefined ? request.threadId : replyTo !== null ? replyTo.threadId : deps.place?.chatId === chatId ? deps.place.threadId : null;

  if (deps.stopping.aborted) return failed(request, "takopi is shutting down");
  const text = promptText(services, request);
  if (text.kind === "error") return failed(request, text.error);
  if (aborted(options.signal)) return cancelled(request);

  const settings = await scopeSettings(services, { chatId, isPrivate: chatId > 0, senderId: null, threadId });
  // A capture run neither continues nor replaces the chat's stored session (see above).
  const planned = mode === "capture" ? { ...settings, sessions: null } : settings;
  const provisional: MessageRef = { chatId, messageId: 0, threadId };
  const plan = await planPrompt(services, { source: provisional, text: text.text, replyText: request.resume ?? null, replyResume: null, project: null, settings: planned });
  if (plan.kind === "error" || plan.kind === "reply") return failed(request, oneLine(plan.text));
  if (plan.kind === "choose") {
    const known = plan.target.kind === "choose" ? ` (one of: ${plan.target.projects.join(", ")})` : "";
    return failed(request, `no project to run in: name one with \`project\`${known}`);
  }
  const { spec, engine } = plan;

  if (mode === "capture") {
    spec.surface = SILENT_SURFACE;
    delete spec.onThreadKnown;
  } else if (replyTo !== null) {
    spec.source = { chatId, messageId: replyTo.messageId, threadId };
  } else {
    const label = request.label ?? (deps.pluginId === null ? "▶ run from a plugin" : `▶ run from /${deps.pluginId}`);
    const posted = await services.client.sendMessage(chatId, `${label}\n${shown(request.prompt)}`, { threadId, notify: false });
    if (posted === null) return { ...failed(request, `could not post the run's message in chat ${chatId}`), engine };
    spec.source = posted;
  }
  // The signal may have fired while the run's message was posted.
  if (aborted(options.signal)) return { ...cancelled(request), engine };

  const job = services.scheduler.submit(spec);
  services.log.info(
    { event: "run.submitted", run: job.id, chat_id: chatId, engine, plugin: deps.pluginId, mode, resume: spec.resume?.value ?? null, queued: job.queued, cwd: spec.cwd },
    job.queued ? "plugin run queued behind its session" : "plugin run started",
  );
  const cancel = (): void => {
    services.scheduler.cancel(job.id);
  };
  const signals = [options.signal, deps.stopping].filter((signal) => signal !== undefined);
  for (const signal of signals) signal.addEventListener("abort", cancel, { once: true });
  if (aborted(deps.stopping)) cancel(); // it began to stop while the run was being set up
  let result: RunResult;
  try {
    result = await job.done;
  } finally {
    for (const signal of signals) signal.removeEventListener("abort", cancel);
  }
  const status = result.status === "done" ? "ok" : result.status;
  return {
    ok: status === "ok",
    status,
    answer: result.answer ?? "",
    // The plugin gets the resume line even where the chat hides it (`show_resume_line = false`).
    resume: result.resume === null ? null : spec.runner.backend.formatResume(result.resume),
    engine,
    error: status === "ok" ? null : status === "cancelled" ? "cancelled" : (result.error ?? "the run failed"),
    usage: result.usage == null ? null : { ...result.usage, runs: 1 },
    message: mode === "emit" ? result.message : null,
  };
}

/**
 * The request as a typed message: the prompt's own directives, with the
 * request's `engine`, `project` and `branch` in place of the ones it names.
 */
function promptText(services: BridgeServices, request: ExecutorRequest): { kind: "ok"; text: string } | { kind: "error"; error: string } {
  const engines = services.engines.ids();
  const projects = Object.keys(services.config().settings.projects);
  const engine = request.engine === undefined ? null : engines.find((id) => id.toLowerCase() === request.engine?.toLowerCase());
  if (engine === undefined) return { kind: "error", error: `unknown engine '${String(request.engine)}' (known: ${engines.join(", ")})` };
  const project = request.project === undefined ? null : projects.find((alias) => alias.toLowerCase() === request.project?.toLowerCase());
  if (project === undefined) return { kind: "error", error: `unknown project '${String(request.project)}' (known: ${projects.join(", ") || "none"})` };
  const branch = request.branch ?? null;
  if (branch !== null && (branch === "" || /\s/.test(branch))) return { kind: "error", error: `bad branch '${branch}': a branch name has no spaces` };
  let parsed;
  try {
    parsed = parseDirectives(request.prompt, { engineIds: engines, projects });
  } catch (error) {
    if (error instanceof DirectiveError) return { kind: "error", error: oneLine(error.message) };
    throw error;
  }
  const picked = [engine ?? parsed.engine, project ?? parsed.project].filter((name) => name !== null).map((name) => `/${name}`);
  const at = branch ?? parsed.branch;
  if (at !== null) picked.push(`@${at}`);
  return { kind: "ok", text: picked.length === 0 ? parsed.prompt : `${picked.join(" ")} ${parsed.prompt}` };
}

function failed(request: Partial<ExecutorRequest> | undefined, error: string): ExecutorResult {
  return { ok: false, status: "error", answer: "", resume: null, engine: request?.engine ?? "", error, usage: null, message: null };
}

function cancelled(request: ExecutorRequest): ExecutorResult {
  return { ...failed(request, "cancelled"), status: "cancelled" };
}

/** Room for the prompt in the run's message (Telegram takes 4096 characters); the engine still gets all of it. */
const SHOWN_PROMPT_CHARS = 3500;

function shown(prompt: string): string {
  if (prompt.length <= SHOWN_PROMPT_CHARS) return prompt;
  const cut = prompt.slice(0, SHOWN_PROMPT_CHARS);
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`; // never half an emoji
}

function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Errors reach plugins as one line (planPrompt's may carry a fix on a second line). */
function oneLine(text: string): string {
  return text.split("\n").map((line) => line.trim()).filter((line) => line !== "").join(" — ");
}

/** A `capture` run's surface: nothing is posted, edited or deleted. */
const SILENT_SURFACE: ChatSurface = {
  send: () => Promise.resolve(null),
  edit: () => Promise.resolve(null),
  editLive: () => Promise.resolve(null),
  delete: () => Promise.resolve(false),
};
