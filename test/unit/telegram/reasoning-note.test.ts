// The reasoning override note: asked of the engine's backend, not of a list
// of engine ids. An engine that declares reasoning levels runs as it is; any
// other one (a plugin engine that declares nothing included) starts with the
// note, then runs.
import { describe, expect, it } from "vitest";
import type { TakopiEvent } from "../../../src/core/events.js";
import { engineCapabilities, type EngineBackend } from "../../../src/engines/backend.js";
import { CODEX_REASONING_LEVELS } from "../../../src/engines/codex/index.js";
import type { RunRequest } from "../../../src/engines/backend.js";
import { reasoningLevelRefusal } from "../../../src/telegram/commands/overrides.js";
import { reasoningProblem, withReasoningNote } from "../../../src/telegram/reasoning-note.js";
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
  it("are declared by every built-in backend; codex and claude take their own reasoning levels", () => {
    const reasoning = Object.fromEntries(Object.entries(ENGINE_BACKENDS).map(([id, backend]) => [id, backend.capabilities?.reasoning]));
    expect(reasoning).toEqual({
      codex: ["minimal", "low", "medium", "high", "xhigh"],
      claude: ["low", "medium", "high", "xhigh", "max"],
      opencode: null,
      pi: null,
    });
  });

  it("default to no reasoning when a backend declares nothing or something malformed", () => {
    expect(engineCapabilities(passthroughBackend)).toEqual({ reasoning: null, approvals: false, steer: false });
    expect(engineCapabilities({ capabilities: { reasoning: "high" } } as unknown as EngineBackend)).toEqual({ reasoning: null, approvals: false, steer: false });
    expect(engineCapabilities({ capabilities: { reasoning: [1, 2] } } as unknown as EngineBackend)).toEqual({ reasoning: null, approvals: false, steer: false });
    expect(engineCapabilities(engineBackend("codex"))).toMatchObject({ reasoning: CODEX_REASONING_LEVELS });
  });
});

describe("withReasoningNote", () => {
  it("leaves the runner alone without an override, or for an engine that takes one", () => {
    const claude = runnerOf(engineBackend("claude"));
    const codex = runnerOf(engineBackend("codex"));
    expect(withReasoningNote(claude, {})).toBe(claude);
    expect(withReasoningNote(codex, { reasoning: "high" })).toBe(codex);
    expect(withReasoningNote(claude, { reasoning: "max" })).toBe(claude);
  });

  it("starts with a note for an engine that takes no reasoning level, a plugin engine that declares nothing included", async () => {
    for (const backend of [engineBackend("opencode"), passthroughBackend]) {
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

describe("a stored level the engine does not take", () => {
  it("is dropped from the run, which starts with a note listing the engine's levels", async () => {
    const seen: (RunRequest["options"] | undefined)[] = [];
    const backend = engineBackend("claude");
    const runner = {
      engine: "claude",
      backend,
      run: (request: RunRequest): AsyncIterable<TakopiEvent> => {
        seen.push(request.options);
        return ReadableStream.from([answer("claude")]);
      },
    };
    // `minimal` is codex's: a chat that switched engines may still hold it.
    const wrapped = withReasoningNote(runner, { reasoning: "minimal" });
    const out: TakopiEvent[] = [];
    for await (const event of wrapped.run({ ...REQUEST, options: { model: "m", reasoning: "minimal" } })) out.push(event);
    expect(out[0]).toMatchObject({
      type: "action",
      action: { kind: "note", title: "reasoning level `minimal` is not one `claude` takes (low, medium, high, xhigh, max); ignoring." },
    });
    expect(out[1]).toEqual(answer("claude"));
    expect(seen).toEqual([{ model: "m" }]);
  });
});

describe("/reasoning set validation", () => {
  it("checks a level against the engine's own levels and lists them when it does not fit", () => {
    const claude = engineCapabilities(engineBackend("claude")).reasoning;
    const codex = engineCapabilities(engineBackend("codex")).reasoning;
    expect(reasoningLevelRefusal(claude, "claude", "max")).toBeNull();
    expect(reasoningLevelRefusal(codex, "codex", "minimal")).toBeNull();
    expect(reasoningLevelRefusal(claude, "claude", "minimal")).toBe("unknown reasoning level `minimal` for claude.\navailable levels: low, medium, high, xhigh, max");
    expect(reasoningLevelRefusal(codex, "codex", "max")).toBe("unknown reasoning level `max` for codex.\navailable levels: minimal, low, medium, high, xhigh");
  });

  it("keeps upstream's list for an engine that takes no level (its runs get the note)", () => {
    expect(reasoningLevelRefusal(null, "opencode", "high")).toBeNull();
    expect(reasoningLevelRefusal(null, "opencode", "max")).toBe("unknown reasoning level `max`.\navailable levels: minimal, low, medium, high, xhigh");
  });

  it("says which problem a stored level has, if any", () => {
    expect(reasoningProblem("claude", ["low"], undefined)).toBeNull();
    expect(reasoningProblem("claude", ["low"], "low")).toBeNull();
    expect(reasoningProblem("pi", null, "low")).toBe("reasoning override is not supported for `pi`; ignoring.");
  });
});
