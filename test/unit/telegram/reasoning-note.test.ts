// The reasoning override note: asked of the engine's backend, not of a list
// of engine ids. An engine that declares reasoning levels runs as it is; any
// other one (a plugin engine that declares nothing included) starts with the
// note, then runs.
import { describe, expect, it } from "vitest";
import type { TakopiEvent } from "../../../src/core/events.js";
import { engineCapabilities, type EngineBackend } from "../../../src/engines/backend.js";
import { CODEX_REASONING_LEVELS } from "../../../src/engines/codex/index.js";
import { withReasoningNote } from "../../../src/telegram/reasoning-note.js";
import { ENGINE_BACKENDS, engineBackend } from "../../support/engine-backends.js";
import { passthroughBackend } from "../../support/passthrough-backend.js";

const REQUEST = { prompt: "hi", resume: null, cwd: "/tmp" };

/** The engine's own answer, to see the note come first. */
function answer(engine: string): TakopiEvent {
  return { type: "completed", engine, ok: true, answer: "done" };
}

function runnerOf(backend: EngineBackend) {
  return {
    engine: backend.id,
    backend,
    run: (): AsyncIterable<TakopiEvent> => ReadableStream.from([answer(backend.id)]),
  };
}

async function events(runner: ReturnType<typeof withReasoningNote>): Promise<TakopiEvent[]> {
  const out: TakopiEvent[] = [];
  for await (const event of runner.run(REQUEST)) out.push(event);
  return out;
}

describe("engine capabilities", () => {
  it("are declared by every built-in backend; only codex takes a reasoning level", () => {
    const reasoning = Object.fromEntries(Object.entries(ENGINE_BACKENDS).map(([id, backend]) => [id, backend.capabilities?.reasoning]));
    // The levels /reasoning offers (REASONING_LEVELS, which still keeps its own copy).
    expect(reasoning).toEqual({ codex: ["minimal", "low", "medium", "high", "xhigh"], claude: null, opencode: null, pi: null });
  });

  it("default to no reasoning when a backend declares nothing or something malformed", () => {
    expect(engineCapabilities(passthroughBackend)).toEqual({ reasoning: null });
    expect(engineCapabilities({ capabilities: { reasoning: "high" } } as unknown as EngineBackend)).toEqual({ reasoning: null });
    expect(engineCapabilities({ capabilities: { reasoning: [1, 2] } } as unknown as EngineBackend)).toEqual({ reasoning: null });
    expect(engineCapabilities(engineBackend("codex"))).toEqual({ reasoning: CODEX_REASONING_LEVELS });
  });
});

describe("withReasoningNote", () => {
  it("leaves the runner alone without an override, or for an engine that takes one", () => {
    const claude = runnerOf(engineBackend("claude"));
    const codex = runnerOf(engineBackend("codex"));
    expect(withReasoningNote(claude, {})).toBe(claude);
    expect(withReasoningNote(codex, { reasoning: "high" })).toBe(codex);
  });

  it("starts with a note for an engine that takes no reasoning level, a plugin engine that declares nothing included", async () => {
    for (const backend of [engineBackend("claude"), passthroughBackend]) {
      const wrapped = withReasoningNote(runnerOf(backend), { reasoning: "high" });
      expect(wrapped.engine).toBe(backend.id);
      expect(wrapped.backend).toBe(backend);
      expect(await events(wrapped)).toEqual([
        {
          type: "action",
          engine: backend.id,
          phase: "completed",
          ok: true,
          action: { id: `${backend.id}.override.reasoning`, kind: "note", title: `reasoning override is not supported for \`${backend.id}\`; ignoring.`, detail: {} },
        },
        answer(backend.id),
      ]);
    }
  });
});
