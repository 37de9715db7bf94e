/**
 * The app-server runner against a scripted stand-in server
 * (test/support/fake-appserver/codex.mjs): what the real codex does not do
 * with approvalPolicy `never` — ask for approval — and steering a turn.
 */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { TakopiEvent } from "../../../src/core/events.js";
import { AppServerRunner } from "../../../src/engines/codex/appserver-runner.js";
import { codexBackend } from "../../../src/engines/codex/index.js";
import type { JsonRpcServerRequest } from "../../../src/engines/jsonrpc.js";
import { completedOf } from "../../support/recordings.js";

const FAKE = fileURLToPath(new URL("../../support/fake-appserver/codex.mjs", import.meta.url));
const runners: AppServerRunner[] = [];

afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.shutdown();
});

function runner(onServerRequest?: (request: JsonRpcServerRequest) => unknown): AppServerRunner {
  const created = new AppServerRunner({ backend: codexBackend, config: codexBackend.configSchema.parse({ extra_args: [] }), command: FAKE, graceMs: 200, ...(onServerRequest ? { onServerRequest } : {}) });
  runners.push(created);
  return created;
}

async function collect(events: AsyncIterable<TakopiEvent>, onEvent?: (event: TakopiEvent) => Promise<void> | void): Promise<TakopiEvent[]> {
  const seen: TakopiEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    await onEvent?.(event);
  }
  return seen;
}

describe("AppServerRunner with a scripted server", () => {
  it("declines a server request it was not given a hook for", async () => {
    const events = await collect(runner().run({ prompt: "ask", resume: null, cwd: process.cwd() }));
    expect(completedOf(events)).toMatchObject({ ok: true, answer: 'decision: {"decision":"decline"}' });
  });

  it("hands server requests to the hook, and sends its answer back", async () => {
    const asked: string[] = [];
    const hooked = runner((request) => {
      asked.push(request.method);
      return { decision: "accept" };
    });
    const events = await collect(hooked.run({ prompt: "ask", resume: null, cwd: process.cwd() }));
    expect(asked).toEqual(["item/commandExecution/requestApproval"]);
    expect(completedOf(events).answer).toBe('decision: {"decision":"accept"}');
  });

  it("steers the turn in flight with turn/steer, and refuses when the session has none", async () => {
    const steering = runner();
    const events = await collect(steering.run({ prompt: "wait", resume: null, cwd: process.cwd() }), async (event) => {
      if (event.type === "action" && event.action.kind === "turn") await steering.steer({ engine: "codex", value: "thread-1" }, "go left");
    });
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "steered: go left" });
    await expect(steering.steer({ engine: "codex", value: "thread-1" }, "too late")).rejects.toThrow(/no turn in flight/);
  });

  it("one process serves run after run", async () => {
    const reused = runner();
    await collect(reused.run({ prompt: "hi", resume: null, cwd: process.cwd() }));
    const pid = reused.pid;
    const events = await collect(reused.run({ prompt: "hi", resume: { engine: "codex", value: "thread-1" }, cwd: process.cwd() }));
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "hello from fake app-server", resume: { engine: "codex", value: "thread-1" } });
    expect(reused.pid).toBe(pid);
  });
});
