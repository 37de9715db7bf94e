// The fake LLM server's control routes (models, count_tokens, __scenario,
// __health), request recording and the slow scenario, over real HTTP on 127.0.0.1.
import { describe, expect, it } from "vitest";
import { postJson, postSse, useFakeLlm } from "../support/fake-llm-client.js";
import { get, str } from "../support/sse.js";

const llm = useFakeLlm({ slowMs: 300 });

describe("control routes and recording", () => {
  it("lists models, counts tokens and switches the global scenario", async () => {
    const models: unknown = await (await fetch(`${llm().url}/v1/models`)).json();
    expect((get(models, "data") as unknown[]).map((m) => get(m, "id"))).toEqual(["fake-model", "gpt-fake", "claude-fake"]);
    const count = await postJson(`${llm().url}/v1/messages/count_tokens`, { messages: [] });
    expect(await count.json()).toEqual({ input_tokens: 42 });

    expect(await (await fetch(`${llm().url}/__scenario?name=error500`)).json()).toEqual({ scenario: "error500" });
    expect(await (await fetch(`${llm().url}/__health`)).json()).toEqual({ ok: true, scenario: "error500" });
    expect((await postJson(`${llm().url}/v1/chat/completions`, { messages: [] })).status).toBe(500);
    expect(await (await postJson(`${llm().url}/__scenario`, { name: "text" })).json()).toEqual({ scenario: "text" });
    expect(llm().scenario).toBe("text");
  });

  it("records requests with the scenario prefix stripped", async () => {
    const before = llm().requests.length;
    await postJson(`${llm().scenarioUrl("text")}/chat/completions?trace=1`, { messages: [{ role: "user", content: "x" }] });
    const rec = llm().requests.at(-1);
    expect(llm().requests.length).toBe(before + 1);
    expect(rec).toMatchObject({ kind: "request", method: "POST", path: "/v1/chat/completions", scenario: "text", query: { trace: "1" } });
    expect(get(rec?.body, "messages", 0, "content")).toBe("x");
  });

  it("stalls the slow scenario mid-stream and survives a client abort", async () => {
    const started = Date.now();
    const { events } = await postSse(`${llm().scenarioUrl("slow")}/chat/completions`, { stream: true, messages: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(events.map((e) => str(get(e.data, "choices", 0, "delta", "content"))).join("")).toBe("hello from fake");

    const abort = new AbortController();
    const res = await fetch(`${llm().scenarioUrl("slow")}/responses`, {
      method: "POST",
      body: JSON.stringify({ stream: true, input: "x" }),
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    abort.abort();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await fetch(`${llm().url}/__health`)).status).toBe(200);
  });
});
