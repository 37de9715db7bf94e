// A long run's memory stays bounded: an hour-long session with a hundred
// thousand tool calls must cost the bridge no more than a short one. The real
// path end to end — the stand-in codex CLI (test/support/fake-engine) printing
// recorded tool-call lines as fast as the pipe takes them, EngineRunner,
// runMessage and its progress state — with the heap measured after full
// collections at two points of the same run. What the run keeps must not grow
// with the events: the retained heap at 100k tool calls is compared with that
// at 20k. No timing is asserted.
import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChatMessage, ChatSurface, MessageRef } from "../../../src/core/chat.js";
import type { TakopiEvent } from "../../../src/core/events.js";
import { runMessage, type MessageRunner } from "../../../src/core/run-message.js";
import { EngineRunner } from "../../../src/engines/runner.js";
import { engineBackend } from "../../support/engine-backends.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

const FAKE_ENGINE = fileURLToPath(new URL("../../support/fake-engine/cli.mjs", import.meta.url));
const TOOL_CALLS = 100_000;
/** Events codex's translator makes of one tool call: started and completed. */
const EVENTS_PER_CALL = 2;
const EARLY = 20_000 * EVENTS_PER_CALL;
/** Far below what keeping every action costs (an action state and its detail, well over 100 bytes each, times 80k). */
const GROWTH_LIMIT_BYTES = 4 * 1024 * 1024;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function retainedHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A chat that keeps only the newest content of each message, as a real chat would. */
class LatestOnlySurface implements ChatSurface {
  readonly shown = new Map<number, ChatMessage>();
  #next = 1;
  send(chatId: number, message: ChatMessage): Promise<MessageRef | null> {
    const ref = { chatId, messageId: this.#next++, threadId: null };
    this.shown.set(ref.messageId, message);
    return Promise.resolve(ref);
  }
  edit(ref: MessageRef, message: ChatMessage): Promise<MessageRef | null> {
    this.shown.set(ref.messageId, message);
    return Promise.resolve(ref);
  }
  editLive(ref: MessageRef, produce: () => ChatMessage | null): Promise<MessageRef | null> {
    const message = produce();
    if (message !== null) this.shown.set(ref.messageId, message);
    return Promise.resolve(ref);
  }
  delete(ref: MessageRef): Promise<boolean> {
    return Promise.resolve(this.shown.delete(ref.messageId));
  }
}

let dir: ScratchDir;
beforeEach(async () => {
  dir = await scratchDir();
});
afterEach(async () => {
  await dir.dispose();
});

describe("a run of 100k tool calls", () => {
  it("keeps its memory bounded: what it retains does not grow with the events", async () => {
    const command = join(dir.path, "codex");
    await symlink(FAKE_ENGINE, command);
    const backend = engineBackend("codex");
    const engine = new EngineRunner({ backend, config: backend.configSchema.parse({}), command, env: { ...process.env, FAKE_ENGINE_DIR: dir.path } });
    const samples = new Map<number, number>();
    let events = 0;
    // Counts the events and measures the heap at two of them, from inside the stream the bridge reads.
    const runner: MessageRunner = {
      engine: engine.engine,
      backend,
      async *run(request, control): AsyncIterable<TakopiEvent> {
        for await (const event of engine.run(request, control)) {
          events += 1;
          if (events === EARLY || events === TOOL_CALLS * EVENTS_PER_CALL) samples.set(events, retainedHeap());
          yield event;
        }
      },
    };
    const surface = new LatestOnlySurface();

    const result = await runMessage(
      { surface },
      {
        runner,
        source: { chatId: 1, messageId: 1, threadId: null },
        prompt: `work hard [scenario:tool] [flood:${TOOL_CALLS}] [delay:0]`,
        resume: null,
        cwd: dir.path,
      },
    );

    expect(result.status).toBe("done");
    expect(events).toBeGreaterThanOrEqual(TOOL_CALLS * EVENTS_PER_CALL);
    const final = [...surface.shown.values()].at(-1);
    expect(final?.parts.header).toContain(`step ${TOOL_CALLS}`);
    const early = samples.get(EARLY) ?? Number.NaN;
    const late = samples.get(TOOL_CALLS * EVENTS_PER_CALL) ?? Number.NaN;
    expect(late - early).toBeLessThan(GROWTH_LIMIT_BYTES);
  }, 120_000);
});
