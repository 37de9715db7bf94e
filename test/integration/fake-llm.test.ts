// The fake LLM server itself, over real HTTP on 127.0.0.1: each dialect's
// stream shape, tool choice from the request's tool schema, errors, and the
// blackhole proxy. Control routes and recording: fake-llm-control.test.ts.
import { request } from "node:http";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { ANTHROPIC_ERRORS, APPLY_PATCH, CHAT_ERRORS, RESPONSES_ERRORS } from "../support/fake-llm.js";
import { postJson, postSse, useFakeLlm } from "../support/fake-llm-client.js";
import { get, str, types } from "../support/sse.js";

const llm = useFakeLlm({ slowMs: 300 });

const CODEX_TOOLS = [
  {
    type: "function",
    name: "exec_command",
    parameters: { type: "object", properties: { cmd: { type: "string" }, workdir: { type: "string" } }, required: ["cmd"] },
  },
  { type: "custom", name: "apply_patch", format: { type: "grammar" } },
];
const CHAT_TOOLS = [
  { type: "function", function: { name: "read", parameters: { type: "object", properties: { filePath: { type: "string" } } } } },
  { type: "function", function: { name: "bash", parameters: { type: "object", properties: { command: { type: "string" } } } } },
  {
    type: "function",
    function: {
      name: "write",
      parameters: { type: "object", properties: { filePath: { type: "string" }, content: { type: "string" } } },
    },
  },
];
const CLAUDE_TOOLS = [
  {
    name: "Bash",
    input_schema: {
      type: "object",
      properties: { command: { type: "string" }, description: { type: "string" } },
      required: ["command"],
    },
  },
  {
    name: "Write",
    input_schema: { type: "object", properties: { file_path: { type: "string" }, content: { type: "string" } } },
  },
];

describe("OpenAI Responses", () => {
  it("streams text with the documented event sequence", async () => {
    const { res, events } = await postSse(`${llm().scenarioUrl("text")}/responses`, { model: "gpt-5.5", stream: true, input: "say hello" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(types(events)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    events.forEach((e, i) => {
      expect(e.event).toBe(get(e.data, "type"));
      expect(get(e.data, "sequence_number")).toBe(i);
    });
    const deltas = events.filter((e) => e.event === "response.output_text.delta").map((e) => get(e.data, "delta"));
    expect(deltas).toEqual(["hello fr", "om fake"]);
    const completed = events.at(-1)?.data;
    expect(get(completed, "response", "status")).toBe("completed");
    expect(get(completed, "response", "model")).toBe("gpt-5.5");
    expect(get(completed, "response", "output", 0, "content", 0, "text")).toBe("hello from fake");
    expect(get(completed, "response", "usage", "total_tokens")).toBe(49);
  });

  it("calls exec_command with {cmd}, then checks the tool output", async () => {
    const url = `${llm().scenarioUrl("tool")}/responses`;
    const input = [{ type: "message", role: "user", content: [{ type: "input_text", text: "run echo hi" }] }];
    const { events } = await postSse(url, { stream: true, input, tools: CODEX_TOOLS });
    expect(types(events)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const item = get(events[5]?.data, "item");
    expect(item).toMatchObject({ type: "function_call", name: "exec_command", status: "completed" });
    expect(JSON.parse(String(get(item, "arguments")))).toEqual({ cmd: "echo hi" });
    const callId = get(item, "call_id");

    const followUp = async (output: string): Promise<unknown> => {
      const res = await postJson(url, {
        stream: false,
        tools: CODEX_TOOLS,
        input: [...input, item, { type: "function_call_output", call_id: callId, output }],
      });
      return res.json();
    };
    expect(get(await followUp("Process exited with code 0\nOutput:\nhi\n"), "output_text")).toBe("the command printed hi");
    expect(get(await followUp("command not found"), "output_text")).toBe("the command did not print hi");
  });

  it("writes the file through a freeform apply_patch custom tool call", async () => {
    const { events } = await postSse(`${llm().scenarioUrl("edit")}/responses`, {
      stream: true,
      input: [{ role: "user", content: "<cwd>/work/x</cwd> create hello.txt" }],
      tools: CODEX_TOOLS,
    });
    expect(types(events)).toContain("response.custom_tool_call_input.delta");
    const done = events.find((e) => e.event === "response.output_item.done");
    expect(get(done?.data, "item")).toMatchObject({ type: "custom_tool_call", name: "apply_patch", input: APPLY_PATCH });
  });

  it("streams a reasoning summary before the text", async () => {
    const { events } = await postSse(`${llm().scenarioUrl("reason")}/responses`, { stream: true, input: "think" });
    const added = events.filter((e) => e.event === "response.output_item.added").map((e) => get(e.data, "item", "type"));
    expect(added).toEqual(["reasoning", "message"]);
    const summary = events.find((e) => e.event === "response.reasoning_summary_text.done");
    expect(get(summary?.data, "text")).toBe("**Planning** the answer");
  });

  it("answers non-streaming requests with output_text", async () => {
    const res = await postJson(`${llm().scenarioUrl("text")}/responses`, { input: "hi" });
    const body: unknown = await res.json();
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(body).toMatchObject({ object: "response", status: "completed", output_text: "hello from fake", model: "fake-model" });
  });

  it("fails a stream with response.failed in streamerr", async () => {
    const { events } = await postSse(`${llm().scenarioUrl("streamerr")}/responses`, { stream: true, input: "hi" });
    expect(types(events)).toEqual(["response.created", "response.in_progress", "response.failed"]);
    expect(get(events[2]?.data, "response", "error", "message")).toBe("fake-llm injected stream failure");
  });
});

describe("OpenAI Chat Completions", () => {
  it("streams text as data-only chunks, usage and [DONE]", async () => {
    const { res, events } = await postSse(`${llm().scenarioUrl("text")}/chat/completions`, {
      model: "fake-model",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "say hello" }],
    });
    expect(res.status).toBe(200);
    expect(events.every((e) => e.event === null)).toBe(true);
    expect(events.at(-1)?.data).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => e.data);
    expect(get(chunks[0], "choices", 0, "delta")).toEqual({ role: "assistant", content: "" });
    const text = chunks.map((c) => str(get(c, "choices", 0, "delta", "content"))).join("");
    expect(text).toBe("hello from fake");
    expect(chunks.map((c) => get(c, "choices", 0, "finish_reason")).filter((f) => f !== null && f !== undefined)).toEqual(["stop"]);
    expect(get(chunks.at(-1), "choices")).toEqual([]);
    expect(get(chunks.at(-1), "usage")).toEqual({ prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 });
    for (const c of chunks) expect(get(c, "object")).toBe("chat.completion.chunk");
  });

  it("calls bash with a string command, then answers from the tool message", async () => {
    const url = `${llm().scenarioUrl("tool")}/chat/completions`;
    const messages = [{ role: "user", content: "run echo hi" }];
    const { events } = await postSse(url, { stream: true, messages, tools: CHAT_TOOLS });
    const deltas = events.slice(0, -1).map((e) => get(e.data, "choices", 0, "delta"));
    expect(get(deltas[1], "tool_calls", 0)).toMatchObject({ index: 0, type: "function", function: { name: "bash", arguments: "" } });
    const args = String(get(deltas[2], "tool_calls", 0, "function", "arguments"));
    expect(JSON.parse(args)).toEqual({ command: "echo hi" });
    expect(get(events.at(-2)?.data, "choices", 0, "finish_reason")).toBe("tool_calls");
    expect(get(events.at(-1), "data")).toBe("[DONE]");

    const res = await postJson(url, {
      messages: [
        ...messages,
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "bash", arguments: args } }] },
        { role: "tool", tool_call_id: "call_1", content: "hi\n" },
      ],
      tools: CHAT_TOOLS,
    });
    expect(get(await res.json(), "choices", 0, "message", "content")).toBe("the command printed hi");
  });

  it("writes hello.txt with an absolute filePath under the announced cwd", async () => {
    const res = await postJson(`${llm().scenarioUrl("edit")}/chat/completions`, {
      messages: [
        { role: "system", content: "Working directory: /srv/repo\nPlatform: linux" },
        { role: "user", content: "create hello.txt" },
      ],
      tools: CHAT_TOOLS,
    });
    const call = get(await res.json(), "choices", 0, "message", "tool_calls", 0, "function");
    expect(get(call, "name")).toBe("write");
    expect(JSON.parse(String(get(call, "arguments")))).toEqual({ filePath: "/srv/repo/hello.txt", content: "hi\n" });
  });

  it("resume answers from the history before the last user message", async () => {
    const url = `${llm().scenarioUrl("resume")}/chat/completions`;
    const withHistory = await postJson(url, {
      messages: [
        { role: "user", content: "say hello" },
        { role: "assistant", content: "hello from fake" },
        { role: "user", content: "did you keep history?" },
      ],
    });
    expect(get(await withHistory.json(), "choices", 0, "message", "content")).toBe("resumed with history");
    const without = await postJson(url, { messages: [{ role: "user", content: "did you keep history?" }] });
    expect(get(await without.json(), "choices", 0, "message", "content")).toBe("no history");
  });

  it("streams reasoning_content before the text in reason", async () => {
    const { events } = await postSse(`${llm().scenarioUrl("reason")}/chat/completions`, { stream: true, messages: [] });
    expect(get(events[1]?.data, "choices", 0, "delta")).toEqual({ reasoning_content: "**Planning** the answer" });
  });
});

describe("Anthropic Messages", () => {
  it("streams text with the documented event sequence", async () => {
    const { res, events } = await postSse(`${llm().scenarioUrl("text", "")}/v1/messages`, {
      model: "claude-opus-5-5",
      stream: true,
      messages: [{ role: "user", content: "say hello" }],
    });
    expect(res.status).toBe(200);
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    for (const e of events) expect(get(e.data, "type")).toBe(e.event);
    expect(get(events[0]?.data, "message", "model")).toBe("claude-opus-5-5");
    const text = events.map((e) => str(get(e.data, "delta", "text"))).join("");
    expect(text).toBe("hello from fake");
    expect(get(events[6]?.data, "delta", "stop_reason")).toBe("end_turn");
  });

  it("calls Bash with {command, description}, then answers from the tool_result", async () => {
    const url = `${llm().scenarioUrl("tool", "")}/v1/messages`;
    const messages = [{ role: "user", content: [{ type: "text", text: "run echo hi" }] }];
    const { events } = await postSse(url, { stream: true, messages, tools: CLAUDE_TOOLS });
    const start = events.find((e) => e.event === "content_block_start");
    expect(get(start?.data, "content_block")).toMatchObject({ type: "tool_use", name: "Bash", input: {} });
    const json = events.find((e) => get(e.data, "delta", "type") === "input_json_delta");
    const input: unknown = JSON.parse(String(get(json?.data, "delta", "partial_json")));
    expect(input).toEqual({ command: "echo hi", description: "Print hi" });
    expect(get(events.find((e) => e.event === "message_delta")?.data, "delta", "stop_reason")).toBe("tool_use");

    const id = get(start?.data, "content_block", "id");
    const res = await postJson(url, {
      messages: [
        ...messages,
        { role: "assistant", content: [{ type: "tool_use", id, name: "Bash", input }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: "hi" }] },
      ],
      tools: CLAUDE_TOOLS,
    });
    expect(get(await res.json(), "content", 0)).toEqual({ type: "text", text: "the command printed hi" });
  });

  it("writes hello.txt through Write with an absolute file_path", async () => {
    const res = await postJson(`${llm().scenarioUrl("edit", "")}/v1/messages`, {
      system: [{ type: "text", text: "<env>\nWorking directory: /home/u/repo\n</env>" }],
      messages: [{ role: "user", content: "create hello.txt" }],
      tools: CLAUDE_TOOLS,
    });
    const block = get(await res.json(), "content", 0);
    expect(block).toMatchObject({ type: "tool_use", name: "Write", input: { file_path: "/home/u/repo/hello.txt", content: "hi\n" } });
  });

  it("streams a signed thinking block before the text in reason", async () => {
    const { events } = await postSse(`${llm().scenarioUrl("reason", "")}/v1/messages`, { stream: true, messages: [] });
    const deltaTypes = events.filter((e) => e.event === "content_block_delta").map((e) => get(e.data, "delta", "type"));
    expect(deltaTypes).toEqual(["thinking_delta", "signature_delta", "text_delta", "text_delta"]);
  });

  it("sends an error event mid-stream in streamerr, and 500 when not streaming", async () => {
    const url = `${llm().scenarioUrl("streamerr", "")}/v1/messages`;
    const { events } = await postSse(url, { stream: true, messages: [] });
    expect(events.map((e) => e.event)).toEqual(["message_start", "error"]);
    const res = await postJson(url, { messages: [] });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ type: "error", error: { type: "api_error", message: "fake stream error" } });
  });
});

describe("errors", () => {
  it("answers error401 with each provider's body", async () => {
    const responses = await postJson(`${llm().scenarioUrl("error401")}/responses`, { stream: true, input: "hi" });
    expect(responses.status).toBe(401);
    expect(await responses.json()).toEqual(RESPONSES_ERRORS[401]);

    const chat = await postJson(`${llm().scenarioUrl("error401")}/chat/completions`, { stream: true, messages: [] });
    expect(chat.status).toBe(401);
    expect(await chat.json()).toEqual(CHAT_ERRORS[401]);
    expect(get(CHAT_ERRORS, 401, "error", "code")).toBe("invalid_api_key");

    const anthropic = await postJson(`${llm().scenarioUrl("error401", "")}/v1/messages`, { stream: true, messages: [] });
    expect(anthropic.status).toBe(401);
    expect(anthropic.headers.get("request-id")).toMatch(/^req_/);
    expect(await anthropic.json()).toEqual({
      type: "error",
      error: { type: "authentication_error", message: "invalid x-api-key (fake-llm 401)" },
    });
    expect(ANTHROPIC_ERRORS[401].error.type).toBe("authentication_error");
  });

  it("answers error500 with a server error", async () => {
    const res = await postJson(`${llm().scenarioUrl("error500")}/chat/completions`, { messages: [] });
    expect(res.status).toBe(500);
    expect(get(await res.json(), "error", "type")).toBe("server_error");
  });

  it("rejects unknown routes and scenarios", async () => {
    const res = await fetch(`${llm().url}/v1/nope`);
    expect(res.status).toBe(404);
    expect(get(await res.json(), "error", "message")).toBe("fake-llm: no route for GET /v1/nope");
    const bad = await postJson(`${llm().scenarioUrl("bogus")}/chat/completions`, { messages: [] });
    expect(bad.status).toBe(400);
  });
});

describe("blackhole proxy", () => {
  it("refuses absolute-URL requests with 502 and records them", async () => {
    const before = llm().proxyAttempts.length;
    const { status, body } = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: llm().port, method: "GET", path: "http://example.invalid/pkg" }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          resolve({ status: res.statusCode, body: text });
        });
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(502);
    expect(body).toBe("fake-llm: external access blocked");
    expect(llm().proxyAttempts.slice(before)).toEqual([{ method: "GET", url: "http://example.invalid/pkg" }]);
  });

  it("answers CONNECT with 403, closes the tunnel and records it", async () => {
    const before = llm().proxyAttempts.length;
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: llm().port, method: "CONNECT", path: "api.example.invalid:443" });
      req.on("connect", (res, socket) => {
        socket.destroy();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
    expect(llm().proxyAttempts.slice(before)).toEqual([{ method: "CONNECT", url: "api.example.invalid:443" }]);
  });

  it("keeps serving after a client resets a CONNECT tunnel", async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(llm().port, "127.0.0.1", () => {
        socket.write("CONNECT reset.example.invalid:443 HTTP/1.1\r\nhost: reset.example.invalid:443\r\n\r\n");
        socket.resetAndDestroy();
        resolve();
      });
      socket.on("error", () => {
        // expected
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await (await fetch(`${llm().url}/__health`)).json()).toMatchObject({ ok: true });
  });
});
