/**
 * Claude Code (`claude -p --output-format stream-json --verbose`): the
 * backend — argv, environment, resume lines. The JSONL translator is in
 * translator.ts, the input shapes in schema.ts.
 */
import type { EngineBackend, EngineTranslator, PreparedRun, RunRequest, TranslatorContext } from "../backend.js";
import { ClaudeConfigSchema, type ClaudeConfig } from "./schema.js";
import { resumeCodec } from "../resume-lines.js";
import { ClaudeTranslator } from "./translator.js";

export { ClaudeConfigSchema, type ClaudeConfig } from "./schema.js";

const ENGINE = "claude";

const claudeResume = resumeCodec({
  engine: ENGINE,
  format: (value) => `claude --resume ${value}`,
  pattern: /^\s*`?claude\s+(?:--resume|-r)\s+(?<token>[^`\s]+)`?\s*$/,
});

/** Builds `claude -p --output-format stream-json --verbose [...] -- <prompt>`. */
export function buildClaudeArgs(request: RunRequest, config: ClaudeConfig): string[] {
  const args = ["-p", "--output-format", "stream-json", "--verbose"];
  if (request.resume !== null) {
    if (request.resume.engine !== ENGINE) {
      throw new Error(`resume token is for engine '${request.resume.engine}', not '${ENGINE}'`);
    }
    args.push("--resume", request.resume.value);
  }
  const model = request.options?.model ?? config.model;
  if (model !== undefined && model !== "") args.push("--model", model);
  if (config.allowed_tools.length > 0) args.push("--allowedTools", config.allowed_tools.join(","));
  if (config.permission_mode !== undefined) args.push("--permission-mode", config.permission_mode);
  if (config.dangerously_skip_permissions) args.push("--dangerously-skip-permissions");
  // After `--`, a prompt starting with `-` stays a prompt (and is not read as more --allowedTools).
  args.push("--", request.prompt);
  return args;
}

/** The parent environment, minus ANTHROPIC_API_KEY unless API billing is wanted, as upstream does. */
export function claudeEnv(env: NodeJS.ProcessEnv, config: ClaudeConfig): NodeJS.ProcessEnv {
  const out = { ...env };
  if (!config.use_api_billing) delete out.ANTHROPIC_API_KEY;
  return out;
}

export const claudeBackend: EngineBackend<ClaudeConfig> = {
  id: ENGINE,
  cliCommand: "claude",
  installHint: "npm install -g @anthropic-ai/claude-code",
  configSchema: ClaudeConfigSchema,
  capabilities: { reasoning: null },
  ...claudeResume,
  prepareRun(request: RunRequest, config: ClaudeConfig, env: NodeJS.ProcessEnv): PreparedRun {
    return {
      invocation: { command: "claude", args: buildClaudeArgs(request, config), stdin: null, env: claudeEnv(env, config) },
      // Until the init event names the model, the configured one is the best title.
      translatorContext: { presetToken: null, title: config.model ?? null },
    };
  },
  createTranslator(context: TranslatorContext): EngineTranslator {
    return new ClaudeTranslator(context);
  },
};

export default claudeBackend;
