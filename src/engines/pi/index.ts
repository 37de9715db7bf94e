/**
 * Pi (`pi --print --mode json`, prompt on stdin).
 *
 * Session tokens. A new run gets a session file path invented by takopi
 * (`--session <path>`, {@link newPiSessionPath}), handed to the translator as
 * the preset token. Pi ≥ 0.6x prints a `session` header first whose `id` is the
 * session's full uuid; the translator announces *that* id (not the path, and
 * not the 8-character prefix upstream takopi used) as the resume token:
 * `pi --session <full uuid>` resumes it exactly (pi looks ids up by exact match
 * before prefix match), while a prefix may become ambiguous and a path is long
 * and tied to one machine's layout. Pi versions without the header keep the
 * path as the token, as upstream does. A token we were asked to resume is never
 * rewritten.
 *
 * Failure and retries. Pi exits 0 when a turn fails: the failure is an
 * assistant message with `stopReason:"error"`. With retries enabled, every
 * attempt is its own `agent_start … agent_end` group:
 *
 *     agent_end(failed) auto_retry_start agent_start … agent_end(ok) auto_retry_end(success)
 *     agent_end(failed) auto_retry_start … agent_end(failed) auto_retry_end(success:false, finalError)
 *
 * So a successful `agent_end` completes the run at once, but a failed one is
 * held: dropped when `auto_retry_start` follows, emitted on
 * `auto_retry_end(success:false)` or at the end of the stream.
 *
 * Cancellation: a SIGTERM'd pi exits 143 in the middle of the stream with no
 * `agent_end`; {@link PiTranslator.finish} reports a failed run.
 */
import * as z from "zod";
import type { EngineBackend, EngineTranslator, PreparedRun, RunRequest, TranslatorContext } from "../backend.js";
import { newPiSessionPath, piResumeCodec } from "./session.js";
import { PiTranslator } from "./translator.js";

const ENGINE = "pi";

export const PiConfigSchema = z.object({
  /** Passed before takopi's own arguments. */
  extra_args: z.array(z.string()).default([]),
  model: z.string().optional(),
  provider: z.string().optional(),
});
export type PiConfig = z.infer<typeof PiConfigSchema>;

/**
 * Builds `pi <extra_args> --print --mode json [...] --session <token>`; the prompt goes on stdin.
 *
 * Not on the command line: Linux refuses one argument over 128 KiB (E2BIG), which forty
 * forwarded messages reach, and pi reads an argument starting with `-` as a flag (it has no
 * `--`; upstream put a space before such a prompt) and one starting with `@` as a file to
 * attach. Pi 0.73.1, run against the fake LLM server: with `--print` and a stdin that is not a
 * TTY, pi takes stdin as the prompt, trimmed of leading and trailing whitespace and otherwise
 * as written (`-` and `@` are plain text there); 160 KiB arrive whole. Stdin and an argument
 * together are joined with nothing between them (`<stdin><argument>`), so never pass both;
 * an empty stdin and no argument make pi exit 0 having sent nothing.
 */
export function buildPiArgs(request: RunRequest, config: PiConfig, sessionToken: string): string[] {
  const args = [...config.extra_args, "--print", "--mode", "json"];
  if (config.provider !== undefined && config.provider !== "") args.push("--provider", config.provider);
  const model = request.options?.model ?? config.model;
  if (model !== undefined && model !== "") args.push("--model", model);
  args.push("--session", sessionToken);
  return args;
}

/** The parent environment plus `NO_COLOR=1` and `CI=1`, each only when absent. */
export function piEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  out.NO_COLOR ??= "1";
  out.CI ??= "1";
  return out;
}

/** The model and provider a run uses, for `started.meta`; null when neither is set. */
function piRunMeta(request: RunRequest, config: PiConfig): Record<string, unknown> | null {
  const model = request.options?.model ?? config.model;
  const meta: Record<string, unknown> = {};
  if (model !== undefined && model !== "") meta.model = model;
  if (config.provider !== undefined && config.provider !== "") meta.provider = config.provider;
  return Object.keys(meta).length > 0 ? meta : null;
}

export const piBackend: EngineBackend<PiConfig> = {
  id: ENGINE,
  cliCommand: "pi",
  installHint: "npm install -g @mariozechner/pi-coding-agent",
  configSchema: PiConfigSchema,
  capabilities: { reasoning: null },
  ...piResumeCodec,
  prepareRun(request: RunRequest, config: PiConfig, env: NodeJS.ProcessEnv): PreparedRun {
    const childEnv = piEnv(env);
    // A new session gets a file of our choosing; the translator announces it (or the header's id).
    const token = request.resume === null ? newPiSessionPath(request.cwd, childEnv) : request.resume.value;
    const presetToken = request.resume === null ? token : null;
    return {
      invocation: { command: "pi", args: buildPiArgs(request, config, token), stdin: request.prompt, env: childEnv },
      translatorContext: { presetToken, title: null, meta: piRunMeta(request, config) },
    };
  },
  createTranslator(context: TranslatorContext): EngineTranslator {
    return new PiTranslator(context);
  },
};

export default piBackend;
