// Anthropic Messages dialect (`POST …/messages`), as spoken to Claude Code and
// Pi's `anthropic-messages` provider.
import { findCwd, planFor, type Conversation, type ToolSpec } from "./scenarios.js";
import { asArray, getString, isObject, makeId, splitHalves, textOf, type JsonObject, type Reply } from "./util.js";

export const ANTHROPIC_ERRORS = {
  401: { type: "error", error: { type: "authentication_error", message: "invalid x-api-key (fake-llm 401)" } },
  500: { type: "error", error: { type: "api_error", message: "Internal server error (fake-llm 500)" } },
} as const;

export const THINKING_SIGNATURE = "ZmFrZS1zaWduYXR1cmU=";

const USAGE = { input_tokens: 42, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

function hasToolResult(message: unknown): boolean {
  if (!isObject(message)) return false;
  return asArray(message.content).some((block) => isObject(block) && block.type === "tool_result");
}

/** Visible text of a message, skipping thinking blocks and tool calls. */
function messageText(message: JsonObject): string {
  const content = message.content;
  if (typeof content === "string") return content;
  return asArray(content)
    .filter((block) => isObject(block) && block.type === "text")
    .map((block) => textOf(block))
    .join("");
}

export function anthropicConversation(body: unknown, headers: Record<string, unknown>): Conversation {
  const obj = isObject(body) ? body : {};
  const messages = asArray(obj.messages);
  let lastUser = -1;
  messages.forEach((m, i) => {
    if (isObject(m) && m.role === "user" && !hasToolResult(m)) lastUser = i;
  });
  const toolResults: string[] = [];
  for (const m of messages.slice(lastUser + 1)) {
    if (!isObject(m) || m.role !== "user") continue;
    for (const block of asArray(m.content)) {
      if (isObject(block) && block.type === "tool_result") toolResults.push(textOf(block.content));
    }
  }
  const history = messages
    .slice(0, Math.max(lastUser, 0))
    .filter((m): m is JsonObject => isObject(m) && m.role === "assistant")
    .map(messageText)
    .join("\n");
  const tools: ToolSpec[] = [];
  for (const tool of asArray(obj.tools)) {
    const name = getString(tool, "name");
    if (name === undefined || !isObject(tool)) continue;
    tools.push({ name, kind: "function", schema: isObject(tool.input_schema) ? tool.input_schema : null });
  }
  return { tools, toolResults, history, cwd: findCwd(body, headers), streaming: obj.stream === true };
}

export async function handleAnthropic(reply: Reply, body: unknown, scenario: string, conv: Conversation): Promise<void> {
  const plan = planFor(scenario, conv);
  const requestId = { "request-id": makeId("req") };
  const model = getString(body, "model") ?? "claude-fake";
  const id = makeId("msg");

  if (plan.kind === "error") {
    reply.json(plan.status, ANTHROPIC_ERRORS[plan.status], requestId);
    return;
  }
  if (plan.kind === "unknown_scenario") {
    reply.json(
      400,
      { type: "error", error: { type: "invalid_request_error", message: `fake-llm: unknown scenario ${plan.scenario}` } },
      requestId,
    );
    return;
  }
  if (plan.kind === "tool" && plan.call.kind !== "function") {
    reply.json(
      400,
      { type: "error", error: { type: "invalid_request_error", message: "fake-llm: only function tools here" } },
      requestId,
    );
    return;
  }
  const toolUse =
    plan.kind === "tool" && plan.call.kind === "function"
      ? { type: "tool_use", id: makeId("toolu"), name: plan.call.name, input: JSON.parse(plan.call.arguments) as unknown }
      : null;
  const stopReason = toolUse ? "tool_use" : "end_turn";

  if (!conv.streaming) {
    if (plan.kind === "streamerr") {
      reply.json(500, { type: "error", error: { type: "api_error", message: "fake stream error" } }, requestId);
      return;
    }
    if (plan.kind === "text" && plan.slow) await reply.timers.sleep(reply.slowMs);
    const content: JsonObject[] = [];
    if (toolUse) content.push(toolUse);
    else if (plan.kind === "text") {
      if (plan.reasoning !== null) content.push({ type: "thinking", thinking: plan.reasoning, signature: THINKING_SIGNATURE });
      content.push({ type: "text", text: plan.text });
    }
    reply.json(
      200,
      { id, type: "message", role: "assistant", model, content, stop_reason: stopReason, stop_sequence: null, usage: USAGE },
      requestId,
    );
    return;
  }

  const emit = (type: string, data: JsonObject = {}): void => {
    reply.sse(type, { type, ...data });
  };
  reply.startSse();
  emit("message_start", {
    message: {
      id,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...USAGE, output_tokens: 1 },
    },
  });
  if (plan.kind === "streamerr") {
    emit("error", { error: { type: "overloaded_error", message: "fake-llm injected stream failure" } });
    reply.end();
    return;
  }
  emit("ping");

  let index = 0;
  if (toolUse) {
    emit("content_block_start", { index, content_block: { ...toolUse, input: {} } });
    emit("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: JSON.stringify(toolUse.input) } });
  } else if (plan.kind === "text") {
    if (plan.reasoning !== null) {
      emit("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } });
      emit("content_block_delta", { index, delta: { type: "thinking_delta", thinking: plan.reasoning } });
      emit("content_block_delta", { index, delta: { type: "signature_delta", signature: THINKING_SIGNATURE } });
      emit("content_block_stop", { index });
      index++;
    }
    emit("content_block_start", { index, content_block: { type: "text", text: "" } });
    const [first, second] = splitHalves(plan.text);
    emit("content_block_delta", { index, delta: { type: "text_delta", text: first } });
    if (plan.slow) {
      await reply.timers.sleep(reply.slowMs);
      if (reply.gone()) return;
    }
    emit("content_block_delta", { index, delta: { type: "text_delta", text: second } });
  }
  emit("content_block_stop", { index });
  emit("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 7 } });
  emit("message_stop");
  reply.end();
}
