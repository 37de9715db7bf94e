// OpenAI Responses API dialect (`POST …/responses`), as spoken to Codex and
// Pi's `openai-responses` provider.
import { findCwd, planFor, type Conversation, type Plan, type ToolCall, type ToolSpec } from "./scenarios.js";
import {
  asArray,
  getString,
  isObject,
  makeId,
  nowSeconds,
  splitHalves,
  textOf,
  type JsonObject,
  type Reply,
} from "./util.js";

export const RESPONSES_ERRORS = {
  401: {
    error: {
      message: "Incorrect API key provided: fake (fake-llm 401)",
      type: "invalid_request_error",
      param: null,
      code: "invalid_api_key",
    },
  },
  500: {
    error: {
      message: "The server had an error while processing your request (fake-llm 500)",
      type: "server_error",
      param: null,
      code: null,
    },
  },
} as const;

const USAGE = {
  input_tokens: 42,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 7,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 49,
};

function isUserMessage(item: unknown): boolean {
  if (!isObject(item) || item.role !== "user") return false;
  return item.type === undefined || item.type === "message";
}

export function responsesConversation(body: unknown, headers: Record<string, unknown>): Conversation {
  const obj = isObject(body) ? body : {};
  const rawInput = obj.input;
  const input: unknown[] =
    typeof rawInput === "string" ? [{ role: "user", content: rawInput }] : asArray(rawInput);
  let lastUser = -1;
  input.forEach((item, i) => {
    if (isUserMessage(item)) lastUser = i;
  });
  const toolResults: string[] = [];
  for (const item of input.slice(lastUser + 1)) {
    const type = getString(item, "type");
    if (type?.endsWith("_output") === true && isObject(item)) toolResults.push(textOf(item.output));
  }
  const history = input
    .slice(0, Math.max(lastUser, 0))
    .filter((item) => isObject(item) && item.role === "assistant")
    .map((item) => (isObject(item) ? textOf(item.content) : ""))
    .join("\n");
  const tools: ToolSpec[] = [];
  for (const tool of asArray(obj.tools)) {
    if (!isObject(tool)) continue;
    const type = getString(tool, "type");
    if (type === "local_shell") {
      tools.push({ name: "local_shell", kind: "local_shell", schema: null });
      continue;
    }
    const name = getString(tool, "name");
    if (name === undefined) continue;
    const schema = isObject(tool.parameters) ? tool.parameters : null;
    tools.push({ name, kind: type === "custom" ? "custom" : "function", schema });
  }
  return { tools, toolResults, history, cwd: findCwd(body, headers), streaming: obj.stream === true };
}

function outputItem(call: ToolCall): JsonObject {
  switch (call.kind) {
    case "function":
      return {
        type: "function_call",
        id: makeId("fc"),
        call_id: makeId("call"),
        name: call.name,
        arguments: call.arguments,
        status: "completed",
      };
    case "custom":
      return {
        type: "custom_tool_call",
        id: makeId("ctc"),
        call_id: makeId("call"),
        name: call.name,
        input: call.input,
        status: "completed",
      };
    case "local_shell":
      return {
        type: "local_shell_call",
        id: makeId("lsh"),
        call_id: makeId("call"),
        status: "completed",
        action: { type: "exec", command: call.command, env: {} },
      };
  }
}

function reasoningItem(id: string, text: string): JsonObject {
  return { type: "reasoning", id, summary: [{ type: "summary_text", text }], content: [], encrypted_content: null };
}

function messageItem(id: string, text: string): JsonObject {
  return {
    type: "message",
    id,
    status: "completed",
    role: "assistant",
    content: [{ type: "output_text", text, annotations: [] }],
  };
}

export async function handleResponses(reply: Reply, body: unknown, scenario: string, conv: Conversation): Promise<void> {
  const plan: Plan = planFor(scenario, conv);
  const model = getString(body, "model") ?? "fake-model";
  const base: JsonObject = {
    id: makeId("resp"),
    object: "response",
    created_at: nowSeconds(),
    model,
    status: "in_progress",
    output: [],
    usage: null,
    error: null,
    incomplete_details: null,
    tools: [],
    parallel_tool_calls: false,
  };

  if (plan.kind === "error") {
    reply.json(plan.status, RESPONSES_ERRORS[plan.status]);
    return;
  }
  if (plan.kind === "unknown_scenario") {
    reply.json(400, { error: { message: `fake-llm: unknown scenario ${plan.scenario}`, type: "invalid_request_error" } });
    return;
  }
  if (!conv.streaming) {
    if (plan.kind === "streamerr") {
      reply.json(500, { error: { message: "fake stream error", type: "server_error", param: null, code: null } });
      return;
    }
    if (plan.kind === "text" && plan.slow) await reply.timers.sleep(reply.slowMs);
    const output: JsonObject[] = [];
    let outputText = "";
    if (plan.kind === "tool") {
      output.push(outputItem(plan.call));
    } else {
      if (plan.reasoning !== null) output.push(reasoningItem(makeId("rs"), plan.reasoning));
      output.push(messageItem(makeId("msg"), plan.text));
      outputText = plan.text;
    }
    reply.json(200, { ...base, status: "completed", output, usage: USAGE, output_text: outputText });
    return;
  }

  let seq = 0;
  const emit = (type: string, data: JsonObject): void => {
    reply.sse(type, { type, sequence_number: seq++, ...data });
  };
  reply.startSse();
  emit("response.created", { response: base });
  emit("response.in_progress", { response: base });

  if (plan.kind === "streamerr") {
    emit("response.failed", {
      response: {
        ...base,
        status: "failed",
        error: { code: "server_error", message: "fake-llm injected stream failure" },
      },
    });
    reply.end();
    return;
  }

  const output: JsonObject[] = [];
  if (plan.kind === "tool") {
    const item = outputItem(plan.call);
    const id = String(item.id);
    if (plan.call.kind === "function") {
      emit("response.output_item.added", { output_index: 0, item: { ...item, arguments: "", status: "in_progress" } });
      emit("response.function_call_arguments.delta", { item_id: id, output_index: 0, delta: plan.call.arguments });
      emit("response.function_call_arguments.done", { item_id: id, output_index: 0, arguments: plan.call.arguments });
    } else if (plan.call.kind === "custom") {
      emit("response.output_item.added", { output_index: 0, item: { ...item, input: "", status: "in_progress" } });
      emit("response.custom_tool_call_input.delta", { item_id: id, output_index: 0, delta: plan.call.input });
      emit("response.custom_tool_call_input.done", { item_id: id, output_index: 0, input: plan.call.input });
    } else {
      emit("response.output_item.added", { output_index: 0, item });
    }
    emit("response.output_item.done", { output_index: 0, item });
    output.push(item);
  } else {
    let index = 0;
    if (plan.reasoning !== null) {
      const rsId = makeId("rs");
      const part = { item_id: rsId, output_index: index, summary_index: 0 };
      emit("response.output_item.added", {
        output_index: index,
        item: { type: "reasoning", id: rsId, summary: [], content: [], encrypted_content: null },
      });
      emit("response.reasoning_summary_part.added", { ...part, part: { type: "summary_text", text: "" } });
      emit("response.reasoning_summary_text.delta", { ...part, delta: plan.reasoning });
      emit("response.reasoning_summary_text.done", { ...part, text: plan.reasoning });
      emit("response.reasoning_summary_part.done", { ...part, part: { type: "summary_text", text: plan.reasoning } });
      const item = reasoningItem(rsId, plan.reasoning);
      emit("response.output_item.done", { output_index: index, item });
      output.push(item);
      index++;
    }
    const msgId = makeId("msg");
    const where = { item_id: msgId, output_index: index, content_index: 0 };
    emit("response.output_item.added", {
      output_index: index,
      item: { type: "message", id: msgId, status: "in_progress", role: "assistant", content: [] },
    });
    emit("response.content_part.added", { ...where, part: { type: "output_text", text: "", annotations: [] } });
    const [first, second] = splitHalves(plan.text);
    emit("response.output_text.delta", { ...where, delta: first, logprobs: [] });
    if (plan.slow) {
      await reply.timers.sleep(reply.slowMs);
      if (reply.gone()) return;
    }
    emit("response.output_text.delta", { ...where, delta: second, logprobs: [] });
    emit("response.output_text.done", { ...where, text: plan.text, logprobs: [] });
    emit("response.content_part.done", { ...where, part: { type: "output_text", text: plan.text, annotations: [] } });
    const item = messageItem(msgId, plan.text);
    emit("response.output_item.done", { output_index: index, item });
    output.push(item);
  }
  emit("response.completed", { response: { ...base, status: "completed", output, usage: USAGE } });
  reply.end();
}
