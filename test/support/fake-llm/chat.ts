// OpenAI Chat Completions dialect (`POST …/chat/completions`), as spoken to
// OpenCode (`@ai-sdk/openai-compatible`) and Pi's `openai-completions` provider.
import { findCwd, planFor, type Conversation, type ToolSpec } from "./scenarios.js";
import { asArray, getObject, getString, isObject, makeId, nowSeconds, splitHalves, textOf, type JsonObject, type Reply } from "./util.js";

export const CHAT_ERRORS = {
  401: {
    error: {
      message: "Incorrect API key provided (fake-llm 401)",
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

const USAGE = { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 };

export function chatConversation(body: unknown, headers: Record<string, unknown>): Conversation {
  const obj = isObject(body) ? body : {};
  const messages = asArray(obj.messages);
  let lastUser = -1;
  messages.forEach((m, i) => {
    if (isObject(m) && m.role === "user") lastUser = i;
  });
  const toolResults = messages
    .slice(lastUser + 1)
    .filter((m) => isObject(m) && m.role === "tool")
    .map((m) => (isObject(m) ? textOf(m.content) : ""));
  const history = messages
    .slice(0, Math.max(lastUser, 0))
    .filter((m) => isObject(m) && m.role === "assistant")
    .map((m) => (isObject(m) ? textOf(m.content) : ""))
    .join("\n");
  const tools: ToolSpec[] = [];
  for (const tool of asArray(obj.tools)) {
    const fn = getObject(tool, "function");
    const name = getString(fn, "name");
    if (name === undefined) continue;
    tools.push({ name, kind: "function", schema: getObject(fn, "parameters") ?? null });
  }
  return { tools, toolResults, history, cwd: findCwd(body, headers), streaming: obj.stream === true };
}

export async function handleChat(reply: Reply, body: unknown, scenario: string, conv: Conversation): Promise<void> {
  const plan = planFor(scenario, conv);
  const id = makeId("chatcmpl");
  const created = nowSeconds();
  const model = getString(body, "model") ?? "fake-model";

  if (plan.kind === "error") {
    reply.json(plan.status, CHAT_ERRORS[plan.status]);
    return;
  }
  if (plan.kind === "unknown_scenario") {
    reply.json(400, { error: { message: `fake-llm: unknown scenario ${plan.scenario}`, type: "invalid_request_error" } });
    return;
  }
  if (plan.kind === "tool" && plan.call.kind !== "function") {
    reply.json(400, { error: { message: "fake-llm: chat completions only support function tools", type: "invalid_request_error" } });
    return;
  }
  const toolCall =
    plan.kind === "tool" && plan.call.kind === "function"
      ? { id: makeId("call"), type: "function", function: { name: plan.call.name, arguments: plan.call.arguments } }
      : null;

  if (!conv.streaming) {
    if (plan.kind === "streamerr") {
      reply.json(500, { error: { message: "fake stream error", type: "server_error", param: null, code: null } });
      return;
    }
    if (plan.kind === "text" && plan.slow) await reply.timers.sleep(reply.slowMs);
    let message: JsonObject;
    let finish: string;
    if (toolCall) {
      message = { role: "assistant", content: null, tool_calls: [toolCall] };
      finish = "tool_calls";
    } else {
      message = { role: "assistant", content: plan.kind === "text" ? plan.text : "" };
      if (plan.kind === "text" && plan.reasoning !== null) message.reasoning_content = plan.reasoning;
      finish = "stop";
    }
    reply.json(200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{ index: 0, message, finish_reason: finish }],
      usage: USAGE,
    });
    return;
  }

  const chunk = (delta: JsonObject, finish: string | null = null): void => {
    reply.sse(null, {
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  };
  reply.startSse();
  chunk({ role: "assistant", content: "" });

  if (plan.kind === "streamerr") {
    reply.sse(null, { error: { message: "fake-llm injected stream failure", type: "server_error" } });
    reply.end();
    return;
  }
  if (toolCall) {
    chunk({ tool_calls: [{ index: 0, id: toolCall.id, type: "function", function: { name: toolCall.function.name, arguments: "" } }] });
    chunk({ tool_calls: [{ index: 0, function: { arguments: toolCall.function.arguments } }] });
    chunk({}, "tool_calls");
  } else if (plan.kind === "text") {
    if (plan.reasoning !== null) chunk({ reasoning_content: plan.reasoning });
    const [first, second] = splitHalves(plan.text);
    chunk({ content: first });
    if (plan.slow) {
      await reply.timers.sleep(reply.slowMs);
      if (reply.gone()) return;
    }
    chunk({ content: second });
    chunk({}, "stop");
  }
  const streamOptions = getObject(body, "stream_options");
  if (streamOptions?.include_usage === true) {
    reply.sse(null, { id, object: "chat.completion.chunk", created, model, choices: [], usage: USAGE });
  }
  reply.sseRaw("[DONE]");
  reply.end();
}
