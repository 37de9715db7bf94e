/**
 * The parts of `claude -p --output-format stream-json --verbose` output the
 * claude translator relies on, as loose zod schemas. Fields we
 * only pass through are lenient (`.catch`) so one odd value does not cost the
 * whole event.
 *
 * Observed with Claude Code 2.1.330 and the older stream of upstream takopi.
 */
import * as z from "zod";

export const ClaudeEnvelopeSchema = z.looseObject({ type: z.string() });

export const SystemSchema = z.looseObject({ subtype: z.string().nullish().catch(null) });

export const SystemInitSchema = z.looseObject({
  session_id: z.string().min(1),
  model: z.string().nullish().catch(null),
});

/** Keys of the init event copied into `started.meta`, the ones upstream copies. */
export const INIT_META_KEYS = ["cwd", "tools", "permissionMode", "output_style", "apiKeySource", "mcp_servers"] as const;

/** `system/permission_denied` (Claude Code 2.1.330+). */
export const PermissionDeniedSchema = z.looseObject({
  tool_name: z.string().nullish().catch(null),
  tool_use_id: z.string().nullish().catch(null),
  message: z.string().nullish().catch(null),
});

const ParentToolUseId = z.string().nullish().catch(null);

export const AssistantSchema = z.looseObject({
  message: z.looseObject({ content: z.array(z.unknown()) }),
  parent_tool_use_id: ParentToolUseId,
});

export const UserSchema = z.looseObject({
  message: z.looseObject({ content: z.union([z.string(), z.array(z.unknown())]) }),
  parent_tool_use_id: ParentToolUseId,
});

export const BlockSchema = z.looseObject({ type: z.string() });

export const ToolUseBlockSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  input: z.unknown().optional(),
});

export const ThinkingBlockSchema = z.looseObject({
  thinking: z.string(),
  signature: z.string().nullish().catch(null),
});

export const TextBlockSchema = z.looseObject({ text: z.string() });

export const ToolResultBlockSchema = z.looseObject({
  tool_use_id: z.string().min(1),
  content: z.unknown().optional(),
  is_error: z.boolean().nullish().catch(null),
});

const OptionalNumber = z.number().nullish().catch(null);

export const ResultSchema = z.looseObject({
  subtype: z.string().nullish().catch(null),
  is_error: z.boolean().nullish().catch(null),
  session_id: z.string().nullish().catch(null),
  result: z.string().nullish().catch(null),
  usage: z.record(z.string(), z.unknown()).nullish().catch(null),
  total_cost_usd: OptionalNumber,
  duration_ms: OptionalNumber,
  duration_api_ms: OptionalNumber,
  num_turns: OptionalNumber,
  /** Set on API failures, which arrive as `subtype:"success"` with `is_error:true`. */
  api_error_status: OptionalNumber,
  /** `error_during_execution` explains itself here, with an empty `result`. */
  errors: z.array(z.unknown()).nullish().catch(null),
  permission_denials: z.array(z.unknown()).nullish().catch(null),
});

export const DEFAULT_ALLOWED_TOOLS: readonly string[] = ["Bash", "Read", "Edit", "Write"];

/** The `[claude]` table of takopi.toml. */
export const ClaudeConfigSchema = z.object({
  /** Default `--model`; a chat `/model` override wins. */
  model: z.string().min(1).optional(),
  /**
   * `--allowedTools`, comma-joined; an empty list omits the flag. Pre-approved: with a
   * `permission_mode` that asks, the chat is asked about the others — and about every
   * Bash call when no entry names Bash (index.ts adds an `ask` rule for it).
   */
  allowed_tools: z.array(z.string().min(1), { error: "expected a list of strings" }).default(() => [...DEFAULT_ALLOWED_TOOLS]),
  dangerously_skip_permissions: z.boolean().default(false),
  /** Keep ANTHROPIC_API_KEY in the environment (bill the API instead of the subscription). */
  use_api_billing: z.boolean().default(false),
  /**
   * `--permission-mode <m>`. `default`, `acceptEdits` and `plan` route claude's permission
   * prompts, questions (AskUserQuestion) and plan approvals (ExitPlanMode) to the chat
   * (`--permission-prompt-tool stdio`, unless `dangerously_skip_permissions`); unset, claude -p
   * refuses what it would ask about.
   */
  permission_mode: z.string().min(1).optional(),
});
export type ClaudeConfig = z.output<typeof ClaudeConfigSchema>;

/** One entry of `result.permission_denials` (older CLIs report denials only here). */
export const PermissionDenialSchema = z.looseObject({
  tool_name: z.string().nullish().catch(null),
  tool_use_id: z.string().nullish().catch(null),
});

/** Short description of a schema failure for a warning's detail. */
export function issuesText(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}
