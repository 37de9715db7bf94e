/**
 * ClaudeSessionRunner against a stand-in claude (a node script speaking the
 * stream-json session protocol), for what the real CLI does not do on
 * demand: a control request takopi does not serve, and a process that stays
 * after its stdin is closed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompletedEvent, TakopiEvent } from "../../../src/core/events.js";
import type { InteractionHandler } from "../../../src/core/interaction.js";
import claudeBackend from "../../../src/engines/claude/index.js";
import { ClaudeSessionRunner } from "../../../src/engines/claude/session-runner.js";
import { listProcesses } from "../../../src/engines/process-tree.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

/**
 * Answers the first user message with init, a text and a result. `[control]`:
 * first sends a `hook_callback` control request and puts the answer it gets
 * into the result. `[linger]`: stays after stdin closes. Every write is
 * flushed before anything waits.
 */
const STAND_IN = `import { createInterface } from "node:readline";
const out = (value) => new Promise((resolve) => process.stdout.write(JSON.stringify(value) + "\\n", resolve));
const session = "11111111-2222-3333-4444-555555555555";
let prompt = null;
let answers = 0;
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const message = JSON.parse(line);
  if (prompt === null && message.type === "user") {
    prompt = message.message.content;
    await out({ type: "system", subtype: "init", session_id: session, model: "stand-in" });
    await out({ type: "user", isReplay: true, message: { role: "user", content: prompt }, session_id: session });
    if (prompt.includes("[withdraw]")) {
      await out({ type: "control_request", request_id: "perm-1", request: { subtype: "can_use_tool", tool_name: "Bash", input: { command: "touch x" }, tool_use_id: "toolu_1" } });
      setTimeout(async () => {
        await out({ type: "control_cancel_request", request_id: "perm-1" });
        setTimeout(() => void out({ type: "result", subtype: "success", is_error: false, result: "withdrawn; answers seen: " + answers, session_id: session }), 200);
      }, 100);
      continue;
    }
    if (prompt.includes("[control]")) {
      await out({ type: "control_request", request_id: "hook-1", request: { subtype: "hook_callback", callback_id: "x" } });
      continue;
    }
    await out({ type: "result", subtype: "success", is_error: false, result: "plain answer", session_id: session });
    if (prompt.includes("[linger]")) setInterval(() => undefined, 1000);
  } else if (message.type === "control_response" && message.response.request_id === "perm-1") {
    answers += 1;
  } else if (message.type === "control_response") {
    await out({ type: "result", subtype: "success", is_error: false, result: "hook answer: " + message.response.subtype + " " + message.response.error, session_id: session });
  }
}
`;

describe("ClaudeSessionRunner with a stand-in claude", () => {
  let dir: ScratchDir;
  let command: string;

  beforeAll(async () => {
    dir = await scratchDir("takopi-claude-session-");
    command = await dir.script("claude", STAND_IN);
  });

  afterAll(async () => {
    await dir.dispose();
  });

  async function run(prompt: string, interact?: InteractionHandler): Promise<{ events: TakopiEvent[]; pid: number | undefined }> {
    const runner = new ClaudeSessionRunner({ backend: claudeBackend, config: claudeBackend.configSchema.parse({}), command, env: { PATH: process.env.PATH ?? "" }, graceMs: 200, exitTimeoutMs: 300 });
    const events: TakopiEvent[] = [];
    let pid: number | undefined;
    for await (const event of runner.run({ prompt, resume: null, cwd: dir.path }, { signal: AbortSignal.timeout(20_000), onSpawn: (spawned) => (pid = spawned.pid), ...(interact ? { interact } : {}) })) events.push(event);
    return { events, pid };
  }

  const completed = (events: TakopiEvent[]) => events.filter((e): e is CompletedEvent => e.type === "completed");

  it("refuses a control request it does not serve, and the run goes on", async () => {
    const { events } = await run("[control]");
    expect(completed(events)).toEqual([expect.objectContaining({ ok: true, answer: "hook answer: error takopi does not serve hook_callback requests" })]);
  });

  it("a request claude withdraws (control_cancel_request) aborts the question, and gets no answer", async () => {
    let aborted = false;
    const { events } = await run("[withdraw]", (_request, signal) =>
      new Promise((resolve) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          resolve({ kind: "approval", decision: "approve", by: { userId: 1, name: null } });
        });
      }),
    );
    expect(aborted).toBe(true);
    expect(completed(events)).toEqual([expect.objectContaining({ ok: true, answer: "withdrawn; answers seen: 0" })]);
  });

  it("kills a claude that stays after its stdin was closed, keeping the answer", async () => {
    const { events, pid } = await run("[linger]");
    expect(completed(events)).toEqual([expect.objectContaining({ ok: true, answer: "plain answer" })]);
    expect(pid).toBeDefined();
    const alive = (await listProcesses()).some((info) => info.pid === pid && info.state !== "Z");
    expect(alive).toBe(false);
  });
});
