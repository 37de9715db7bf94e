/**
 * What takopi writes to a claude stream-json session's stdin, and the control
 * messages it reads back (`--input-format stream-json --permission-prompt-tool
 * stdio`, the wire the Agent SDK speaks). Observed with Claude Code 2.1.330:
 *
 * - a user message starts a turn, or joins the running one: during a tool it
 *   is delivered after the tool result, during plain streaming it is queued as
 *   the next turn. With `--replay-user-messages` each is echoed back
 *   (`isReplay: true`) once claude takes it in;
 * - `control_request` `can_use_tool` asks before a tool runs; the answer is a
 *   `control_response` with the same `request_id`; `control_cancel_request`
 *   withdraws a question nobody answered yet (the turn was interrupted);
 * - our `control_request` `interrupt` ends the turn (`result`
 *   `error_during_execution`) and kills a running Bash.
 */
import * as z from "zod";

/** One line of stdin: a user message (the prompt, or a steer into the running turn). */
export function userMessageLine(text: string): string {
  return `${JSON.stringify({ type: "user", message: { role: "user", content: text }, parent_tool_use_id: null, session_id: "" })}\n`;
}

/** The interrupt request: ends the running turn. */
export function interruptLine(requestId: string): string {
  return `${JSON.stringify({ type: "control_request", request_id: requestId, request: { subtype: "interrupt" } })}\n`;
}

/** A successful answer to claude's control request `requestId`. */
export function controlResponseLine(requestId: string, response: Record<string, unknown>): string {
  return `${JSON.stringify({ type: "control_response", response: { subtype: "success", request_id: requestId, response } })}\n`;
}

/** A refusal of a control request takopi does not serve (hook callbacks, SDK MCP messages). */
export function controlErrorLine(requestId: string, error: string): string {
  return `${JSON.stringify({ type: "control_response", response: { subtype: "error", request_id: requestId, error } })}\n`;
}

export const ControlRequestSchema = z.looseObject({
  request_id: z.string().min(1),
  request: z.looseObject({ subtype: z.string() }),
});

export const ControlCancelSchema = z.looseObject({ request_id: z.string().min(1) });

const OptionalString = z.string().nullish().catch(null);

/** `can_use_tool`: the tool, its input, and claude's suggestions for an "always allow". */
export const CanUseToolSchema = z.looseObject({
  tool_name: z.string().min(1),
  input: z.record(z.string(), z.unknown()).catch({}),
  description: OptionalString,
  decision_reason: OptionalString,
  blocked_path: OptionalString,
  tool_use_id: OptionalString,
  permission_suggestions: z.array(z.unknown()).nullish().catch(null),
});
export type CanUseTool = z.output<typeof CanUseToolSchema>;

/** A user message as `--replay-user-messages` echoes it: the prompt or a steer, taken in. */
export function isReplayedPrompt(value: Record<string, unknown>): boolean {
  if (value.type !== "user" || value.isReplay !== true) return false;
  const message = value.message;
  if (typeof message !== "object" || message === null) return false;
  const content = (message as Record<string, unknown>).content;
  // Tool results are never replays; a prompt is a string, or text blocks.
  return typeof content === "string" || (Array.isArray(content) && !content.some((block) => isRecord(block) && block.type === "tool_result"));
}

/** The tool_use blocks of an assistant message (id, name, input). */
export function toolUses(value: Record<string, unknown>): { id: string; name: string; input: Record<string, unknown> }[] {
  return blocks(value, "tool_use").flatMap((block) =>
    typeof block.id === "string" && typeof block.name === "string" ? [{ id: block.id, name: block.name, input: isRecord(block.input) ? block.input : {} }] : [],
  );
}

/** The tool_use ids a user message answers. */
export function toolResultIds(value: Record<string, unknown>): string[] {
  return blocks(value, "tool_result").flatMap((block) => (typeof block.tool_use_id === "string" ? [block.tool_use_id] : []));
}

function blocks(value: Record<string, unknown>, type: string): Record<string, unknown>[] {
  const message = value.message;
  if (!isRecord(message) || !Array.isArray(message.content)) return [];
  return message.content.filter((block): block is Record<string, unknown> => isRecord(block) && block.type === type);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
