/**
 * The parts of OpenCode's `run --format json` lines that the translator relies
 * on (real 1.18 streams in fixtures/engines/opencode_*.jsonl).
 *
 * Schemas are loose: unknown fields pass through, and incidental fields with
 * an unexpected type are dropped (`.catch(undefined)`) instead of failing the
 * whole line. Only what a line is *for* is required — a `text` line without
 * text, or a `tool_use` without a state, fails and becomes one warning.
 */
import * as z from "zod";

const optionalString = z.string().optional().catch(undefined);
const optionalNumber = z.number().optional().catch(undefined);

/** Every line: a type, and (in practice always) the session id. */
export const LineSchema = z.looseObject({
  type: z.string(),
  sessionID: optionalString,
});

export const TextLineSchema = z.looseObject({
  part: z.looseObject({ id: optionalString, text: z.string() }),
});

/** `reasoning` parts (OpenCode ≥ 1.18 prints them without `--thinking`). */
export const ReasoningLineSchema = z.looseObject({
  part: z.looseObject({ id: optionalString, text: z.string() }),
});

export const ToolUseLineSchema = z.looseObject({
  part: z.looseObject({
    id: optionalString,
    callID: optionalString,
    tool: optionalString,
    state: z.looseObject({
      /** `completed` | `error` in 1.18; older versions also printed `pending` / `running`. */
      status: optionalString,
      input: z.unknown().optional(),
      title: optionalString,
      output: z.unknown().optional(),
      error: z.unknown().optional(),
      metadata: z.unknown().optional(),
    }),
  }),
});
export type ToolUseLine = z.infer<typeof ToolUseLineSchema>;

const TokensSchema = z.looseObject({
  input: optionalNumber,
  output: optionalNumber,
  reasoning: optionalNumber,
  cache: z.looseObject({ read: optionalNumber, write: optionalNumber }).optional().catch(undefined),
});

export const StepFinishLineSchema = z.looseObject({
  part: z
    .looseObject({
      /** `stop` ends the run; `tool-calls` means another step follows; older versions may omit it. */
      reason: optionalString,
      tokens: TokensSchema.optional().catch(undefined),
      cost: optionalNumber,
    })
    .optional()
    .catch(undefined),
});
export type StepFinishLine = z.infer<typeof StepFinishLineSchema>;

/** `{error: {name, data: {message, statusCode?, isRetryable?}}}`; upstream also accepted `message`. */
export const ErrorLineSchema = z.looseObject({
  error: z.unknown().optional(),
  message: z.unknown().optional(),
});
