/**
 * Codex: the backend — argv, resume lines, capabilities. Runs over
 * `codex exec --json` (EngineRunner with the argv below; the default) or
 * `codex app-server` (`[codex] backend = "app-server"`: appserver-runner.ts). The JSONL
 * translator is in translator.ts (app-server notifications are rewritten into
 * its input by appserver-translator.ts), the input shapes in schema.ts.
 */
import type { EngineBackend, EngineTranslator, PreparedRun, RunRequest, TranslatorContext } from "../backend.js";
import { CodexConfigSchema, type CodexConfig } from "./schema.js";
import { resumeCodec } from "../resume-lines.js";
import { CodexStreamTranslator } from "./appserver-translator.js";
import { AppServerRunner } from "./appserver-runner.js";

export { CodexConfigSchema, displayCommand, findExecOnlyFlag, type CodexConfig } from "./schema.js";

const ENGINE = "codex";

const codexResume = resumeCodec({
  engine: ENGINE,
  format: (value) => `codex resume ${value}`,
  pattern: /^\s*`?codex\s+resume\s+(?<token>[^`\s]+)`?\s*$/,
});

/** What codex takes for `-c model_reasoning_effort=<level>`. */
export const CODEX_REASONING_LEVELS: readonly string[] = ["minimal", "low", "medium", "high", "xhigh"];

/** Builds `codex <extra_args> [--profile] [--model] [-c effort] exec --json … [resume <id>] -`. */
export function buildCodexArgs(request: RunRequest, config: CodexConfig): string[] {
  const args = [...config.extra_args];
  if (config.profile !== undefined) args.push("--profile", config.profile);
  const model = request.options?.model ?? config.model;
  if (model !== undefined && model !== "") args.push("--model", model);
  const reasoning = request.options?.reasoning;
  if (reasoning !== undefined && reasoning !== "") args.push("-c", `model_reasoning_effort=${reasoning}`);
  args.push("exec", "--json", "--skip-git-repo-check", "--color=never");
  if (request.resume !== null) {
    if (request.resume.engine !== ENGINE) {
      throw new Error(`resume token is for engine '${request.resume.engine}', not '${ENGINE}'`);
    }
    args.push("resume", request.resume.value);
  }
  args.push("-");
  return args;
}

export const codexBackend: EngineBackend<CodexConfig> = {
  id: ENGINE,
  cliCommand: "codex",
  installHint: "npm install -g @openai/codex",
  configSchema: CodexConfigSchema,
  projectKeys: ["approval_policy"],
  // Over app-server only: the exec runner (EngineRunner) has no `steer` and codex exec never asks, which the
  // bridge sees as `typeof runner.steer !== "function"` and as approval_policy "never" (warned at createRunner).
  capabilities: { reasoning: CODEX_REASONING_LEVELS, approvals: true, steer: true },
  stderrNoise: [
    /^WARNING: proceeding, even though we could not create PATH aliases\b/,
    /^Reading additional input from stdin\.\.\.\s*$/,
  ],
  ...codexResume,
  prepareRun(request: RunRequest, config: CodexConfig, env: NodeJS.ProcessEnv): PreparedRun {
    return {
      invocation: { command: "codex", args: buildCodexArgs(request, config), stdin: request.prompt, env: { ...env } },
      // The session is titled after the profile when one is configured, as upstream does.
      translatorContext: { presetToken: null, title: config.profile ?? null },
    };
  },
  createTranslator(context: TranslatorContext): EngineTranslator {
    // Either backend's stream: a recording of `codex exec --json` or of app-server notifications.
    return new CodexStreamTranslator(context);
  },
  createRunner(options) {
    if (options.config.backend !== "app-server") {
      // `codex exec` has no channel to ask on and runs with approval policy never whatever it is told (codex 0.169).
      if (options.config.approval_policy !== "never") {
        options.log?.warn({ approval_policy: options.config.approval_policy }, `[codex] approval_policy = "${options.config.approval_policy}" needs backend = "app-server"; codex exec cannot ask and runs as "never"`);
      }
      return null;
    }
    const { backend, config, env, command, graceMs, log, redactor } = options;
    return new AppServerRunner({ backend, config, ...(env ? { env } : {}), ...(command ? { command } : {}), ...(graceMs !== undefined ? { graceMs } : {}), ...(log ? { log } : {}), ...(redactor ? { redactor } : {}) });
  },
};

export default codexBackend;
