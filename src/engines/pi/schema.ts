/**
 * The parts of pi's `--mode json` lines that the translator relies on (real
 * 0.73 streams in fixtures/engines/pi_*.jsonl, older ones in
 * fixtures/takopi-upstream/pi_*.jsonl).
 *
 * Loose on purpose: unknown fields pass, incidental fields of the wrong type
 * are dropped (`.catch(undefined)`), and only what a line is for is required.
 */
import * as z from "zod";

const optionalString = z.string().optional().catch(undefined);
const optionalNumber = z.number().optional().catch(undefined);

export const LineSchema = z.looseObject({ type: z.string() });

/** First line of pi ≥ 0.6x: `{type:"session", version, id, timestamp, cwd}`; `id` is the full session uuid. */
export const SessionHeaderSchema = z.looseObject({
  id: z.string().min(1),
  cwd: optionalString,
});

export const ToolExecutionStartSchema = z.looseObject({
  toolCallId: z.string().min(1),
  toolName: optionalString,
  args: z.unknown().optional(),
});

export const ToolExecutionEndSchema = z.looseObject({
  toolCallId: z.string().min(1),
  toolName: optionalString,
  result: z.unknown().optional(),
  isError: z.boolean().optional().catch(undefined),
});

/** An agent message; only assistant messages matter (text, usage, stop reason). */
export const MessageSchema = z.looseObject({
  role: optionalString,
  content: z.unknown().optional(),
  usage: z.record(z.string(), z.unknown()).optional().catch(undefined),
  /** `stop` | `toolUse` | `length` | `error` | `aborted`. */
  stopReason: optionalString,
  errorMessage: optionalString,
});
export type PiMessage = z.infer<typeof MessageSchema>;

export const MessageEndSchema = z.looseObject({ message: MessageSchema });

/** `messages` holds only this agent run's new messages. */
export const AgentEndSchema = z.looseObject({
  messages: z.array(z.unknown()).optional().catch(undefined),
});

/** Emitted after a failed attempt's `agent_end`, before the next attempt's `agent_start`. */
export const AutoRetryStartSchema = z.looseObject({
  attempt: optionalNumber,
  maxAttempts: optionalNumber,
  delayMs: optionalNumber,
  errorMessage: optionalString,
});

/**
 * Ends a retry sequence: `success:true` after the successful attempt's
 * `agent_end`, or `success:false` with `finalError` after the last failed one.
 */
export const AutoRetryEndSchema = z.looseObject({
  success: z.boolean(),
  attempt: optionalNumber,
  finalError: optionalString,
});

/** Types pi prints that carry nothing takopi shows. */
export const IGNORED_TYPES: ReadonlySet<string> = new Set([
  "agent_start",
  "turn_start",
  "turn_end",
  "message_start",
  "message_update",
  "tool_execution_update",
  "auto_compaction_start",
  "auto_compaction_end",
  "compaction_start",
  "compaction_end",
  "queue_update",
]);
