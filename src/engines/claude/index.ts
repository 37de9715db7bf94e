/**
 * Claude Code (`claude -p --input-format stream-json --output-format
 * stream-json --verbose`, the prompt a user message on stdin): the backend —
 * argv, environment, resume lines. Runs go through ClaudeSessionRunner
 * (session-runner.ts), which keeps stdin open for permission prompts, steers
 * and interrupts. The JSONL translator is in translator.ts, the input shapes
 * in schema.ts, the stdin protocol in protocol.ts.
 */
import type { EngineBackend, EngineTranslator, PreparedRun, RunRequest, TranslatorContext } from "../backend.js";
import { ClaudeConfigSchema, type ClaudeConfig } from "./schema.js";
import { resumeCodec } from "../resume-lines.js";
import { ClaudeTranslator } from "./translator.js";
import { userMessageLine } from "./protocol.js";
import { ClaudeSessionRunner } from "./session-runner.js";

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
 * Permission modes in which claude asks before some tools (`default`: every tool not
 * pre-approved; `acceptEdits`: commands; `plan`: leaving plan mode): their questions are
 * routed to the chat with `--permission-prompt-tool stdio`. Without it `claude -p` refuses
 * such tools on its own; `bypassPermissions`/`dontAsk` never ask.
 */
const ASKING_MODES = new Set(["default", "acceptEdits", "plan"]);

/** Flag settings with an `ask` rule for Bash (Claude Code 2.1.330: rules go deny > ask > allow). */
const ASK_BASH_SETTINGS = JSON.stringify({ permissions: { ask: ["Bash"] } });

/** Whether runs with `config` ask the chat before tools (`--permission-prompt-tool stdio`). */
export function asksPermission(config: ClaudeConfig): boolean {
  return !config.dangerously_skip_permissions && config.permission_mode !== undefined && ASKING_MODES.has(config.permission_mode);
}

/**
 * Builds `claude -p --input-format stream-json --output-format stream-json --verbose
 * --replay-user-messages [...]`; the prompt goes on stdin as a stream-json user message
 * (userMessageLine), and stdin stays open while the run goes on (session-runner.ts).
 * `--replay-user-messages` echoes each message claude takes in: how takopi knows a steer
 * joined the running turn or waits for the next one.
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
  const args = ["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--replay-user-messages"];
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
  if (asksPermission(config)) {
    args.push("--permission-prompt-tool", "stdio");
    // claude runs read-only commands (`echo hi`, `ls`) unasked; an `ask` rule makes every Bash call ask,
    // as takopi promises when Bash is not in allowed_tools (an ask rule would outrank `Bash(git:*)` too).
    if (!config.allowed_tools.some((tool) => tool === "Bash" || tool.startsWith("Bash("))) args.push("--settings", ASK_BASH_SETTINGS);
  }
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
  projectKeys: ["permission_mode", "allowed_tools", "dangerously_skip_permissions"],
  capabilities: { reasoning: CLAUDE_REASONING_LEVELS, approvals: true, steer: true },
  ...claudeResume,
  prepareRun(request: RunRequest, config: ClaudeConfig, env: NodeJS.ProcessEnv): PreparedRun {
    return {
      invocation: { command: "claude", args: buildClaudeArgs(request, config), stdin: userMessageLine(request.prompt), env: claudeEnv(env, config) },
      // Until the init event names the model, the configured one is the best title.
      translatorContext: { presetToken: null, title: config.model ?? null },
    };
  },
  createTranslator(context: TranslatorContext): EngineTranslator {
    return new ClaudeTranslator(context);
  },
  createRunner(options) {
    // Every run is a session, one-shot prompts included: a steer may come to any of them.
    return new ClaudeSessionRunner(options);
  },
};

export default claudeBackend;
