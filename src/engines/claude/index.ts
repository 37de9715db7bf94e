/**
 * Claude Code (`claude -p --output-format stream-json --verbose`, prompt on
 * stdin): the backend — argv, environment, resume lines. The JSONL translator is in
 * translator.ts, the input shapes in schema.ts.
 */
import type { EngineBackend, EngineTranslator, PreparedRun, RunRequest, TranslatorContext } from "../backend.js";
import { ClaudeConfigSchema, type ClaudeConfig } from "./schema.js";
import { resumeCodec } from "../resume-lines.js";
import { ClaudeTranslator } from "./translator.js";

export { ClaudeConfigSchema, type ClaudeConfig } from "./schema.js";

const ENGINE = "claude";

/**
 * What claude takes for `--effort <level>` (sent as `output_config.effort`).
 * Claude Code turns any other value silently into `medium`, so takopi checks
 * the level itself before it gets here.
 */
export const CLAUDE_REASONING_LEVELS: readonly string[] = ["low", "medium", "high", "xhigh", "max"];

const claudeResume = resumeCodec({
  engine: ENGINE,
  format: (value) => `claude --resume ${value}`,
  pattern: /^\s*`?claude\s+(?:--resume|-r)\s+(?<token>[^`\s]+)`?\s*$/,
});

/**
 * Builds `claude -p --output-format stream-json --verbose [...]`; the prompt goes on stdin.
 *
 * Not on the command line: Linux refuses one argument over 128 KiB (E2BIG), which forty
 * forwarded messages reach. Claude Code 2.1.330, run against the fake LLM server: with no
 * prompt argument, `-p` takes stdin as the prompt byte for byte (whitespace kept; a leading
 * `-` is plain text, and no positional follows the variadic `--allowedTools` for it to
 * swallow, so the `--` upstream needs is gone); 160 KiB arrive whole. An argument and stdin
 * together are sent as `<argument>\n<stdin>`; with neither it exits 1 ("Input must be
 * provided either through stdin or as a prompt argument when using --print").
 */
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
  const effort = request.options?.reasoning;
  if (effort !== undefined && effort !== "") args.push("--effort", effort);
  if (config.allowed_tools.length > 0) args.push("--allowedTools", config.allowed_tools.join(","));
  if (config.permission_mode !== undefined) args.push("--permission-mode", config.permission_mode);
  if (config.dangerously_skip_permissions) args.push("--dangerously-skip-permissions");
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
  capabilities: { reasoning: CLAUDE_REASONING_LEVELS },
  ...claudeResume,
  prepareRun(request: RunRequest, config: ClaudeConfig, env: NodeJS.ProcessEnv): PreparedRun {
    return {
      invocation: { command: "claude", args: buildClaudeArgs(request, config), stdin: request.prompt, env: claudeEnv(env, config) },
      // Until the init event names the model, the configured one is the best title.
      translatorContext: { presetToken: null, title: config.model ?? null },
    };
  },
  createTranslator(context: TranslatorContext): EngineTranslator {
    return new ClaudeTranslator(context);
  },
};

export default claudeBackend;
