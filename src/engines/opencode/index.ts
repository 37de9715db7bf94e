/**
 * OpenCode (`opencode run --format json`, prompt on stdin).
 *
 * OpenCode prints one JSON object per finished *part* of the conversation:
 * `step_start`, `text`, `reasoning`, `tool_use`, `step_finish` and `error`.
 * There is no session-start event; every line carries the session id
 * (`sessionID`, `ses_…`), which is the resume token.
 *
 * Things the runner has to know (seen running OpenCode itself):
 * - OpenCode retries 5xx responses and mid-stream errors **forever**, with a
 *   growing backoff and nothing on stdout (a stream error prints a fresh
 *   `step_start` per attempt and never a `step_finish`). Only the runner's own
 *   timeout or a user cancel ends such a run; the translator cannot tell a
 *   retry loop from a slow model.
 * - A SIGTERM'd run stops after `step_start` with a signal exit and no
 *   terminal event; {@link OpenCodeTranslator.finish} then reports a failed run.
 * - OpenCode leaves tool subprocesses running when it is killed: kill the group.
 */
import * as z from "zod";
import type { EngineBackend, EngineTranslator, PreparedRun, RunRequest, TranslatorContext } from "../backend.js";
import { resumeCodec } from "../resume-lines.js";
import { OpenCodeTranslator } from "./translator.js";

const ENGINE = "opencode";

export const OpenCodeConfigSchema = z.object({
  /** `provider/model`; a chat `/model` override wins. */
  model: z.string().optional(),
});
export type OpenCodeConfig = z.infer<typeof OpenCodeConfigSchema>;

const codec = resumeCodec({
  engine: ENGINE,
  format: (value) => `opencode --session ${value}`,
  pattern: /^\s*`?opencode(?:\s+run)?\s+(?:--session|-s)\s+(?<token>ses_[A-Za-z0-9]+)`?\s*$/,
});

/**
 * Builds `opencode run --format json --thinking [...]`; the prompt goes on stdin.
 *
 * Not on the command line: Linux refuses one argument over 128 KiB (E2BIG), which forty
 * forwarded messages reach. OpenCode 1.18.33, run against the fake LLM server: with no
 * message argument, `run` takes stdin as the message byte for byte (whitespace kept, a
 * leading `-` is plain text, so the `--` upstream needs is gone); 160 KiB arrive whole. An
 * argument and stdin together are sent as `<argument>\n<stdin>`; with neither it exits 1
 * ("You must provide a message or a command").
 */
export function buildOpenCodeArgs(request: RunRequest, config: OpenCodeConfig): string[] {
  // --thinking only makes opencode print reasoning parts (1.18 hides them otherwise),
  // so the progress shows reasoning as it does for codex and claude.
  const args = ["run", "--format", "json", "--thinking"];
  if (request.resume !== null) args.push("--session", request.resume.value);
  const model = request.options?.model ?? config.model;
  if (model !== undefined && model !== "") args.push("--model", model);
  return args;
}

export const opencodeBackend: EngineBackend<OpenCodeConfig> = {
  id: ENGINE,
  cliCommand: "opencode",
  installHint: "npm install -g opencode-ai",
  configSchema: OpenCodeConfigSchema,
  capabilities: { reasoning: null },
  ...codec,
  prepareRun(request: RunRequest, config: OpenCodeConfig, env: NodeJS.ProcessEnv): PreparedRun {
    // The session title is the model when one is chosen, else "opencode", as upstream titles it.
    const model = request.options?.model ?? config.model;
    return {
      invocation: { command: "opencode", args: buildOpenCodeArgs(request, config), stdin: request.prompt, env: { ...env } },
      translatorContext: { presetToken: null, title: model !== undefined && model !== "" ? model : null },
    };
  },
  createTranslator(context: TranslatorContext): EngineTranslator {
    return new OpenCodeTranslator(context);
  },
};

export default opencodeBackend;
