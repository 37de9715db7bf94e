// The test side of the fake LLM over real HTTP on 127.0.0.1: one server for a
// test file, and JSON requests to it (fake-llm.test.ts, fake-llm-control.test.ts).
import { afterAll, beforeAll } from "vitest";
import { startFakeLlm, type FakeLlm, type FakeLlmOptions } from "./fake-llm.js";
import { parseSse, type SseEvent } from "./sse.js";

/**
 * Starts a fake LLM before the tests of the calling file and closes it after
 * them. Call at the top level of a test file; the returned accessor gives the
 * running server (inside tests and hooks only: it throws before `beforeAll`).
 */
export function useFakeLlm(options: FakeLlmOptions = {}): () => FakeLlm {
  let llm: FakeLlm | undefined;
  beforeAll(async () => {
    llm = await startFakeLlm(options);
  });
  afterAll(async () => {
    await llm?.close();
  });
  return () => {
    if (llm === undefined) throw new Error("the fake LLM is not running yet: use it inside a test or hook");
    return llm;
  };
}

/** POSTs `body` as JSON. */
export async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** POSTs `body` as JSON and reads the whole response as SSE events. */
export async function postSse(url: string, body: unknown): Promise<{ res: Response; events: SseEvent[] }> {
  const res = await postJson(url, body);
  return { res, events: parseSse(await res.text()) };
}
