/**
 * A reasoning override only reaches an engine that takes that level: its
 * backend declares the levels (codex's `model_reasoning_effort`, claude's
 * `--effort`). `/reasoning set` checks the level when it is stored, but a
 * stored one can stop fitting (a plugin engine changed its levels, the state
 * file was edited). Any override the engine cannot take is dropped from the
 * run, which starts with a note saying so — claude would otherwise turn a
 * wrong level silently into `medium`, and the user who set it would not see
 * why nothing changed.
 */
import type { MessageRunner } from "../core/run-message.js";
import type { TakopiEvent } from "../core/events.js";
import { engineCapabilities, type EngineBackend, type ResumeCodec, type RunOptions, type RunRequest } from "../engines/backend.js";
import type { RunControl } from "../engines/runner.js";

/**
 * A runner whose backend may declare capabilities, as the engine catalogue's
 * runners do; one that declares none is taken to take no reasoning level.
 */
type CapableRunner = MessageRunner & { readonly backend: ResumeCodec & Pick<EngineBackend, "capabilities"> };

/** Why `level` cannot reach `engine`, or null when it can (or there is none). */
export function reasoningProblem(engine: string, levels: readonly string[] | null, level: string | undefined): string | null {
  if (level === undefined) return null;
  if (levels === null) return `reasoning override is not supported for \`${engine}\`; ignoring.`;
  if (levels.includes(level)) return null;
  return `reasoning level \`${level}\` is not one \`${engine}\` takes (${levels.join(", ")}); ignoring.`;
}

export function withReasoningNote(runner: CapableRunner, options: RunOptions): MessageRunner {
  const engine = runner.engine;
  const problem = reasoningProblem(engine, engineCapabilities(runner.backend).reasoning, options.reasoning);
  if (problem === null) return runner;
  const note: TakopiEvent = {
    type: "action",
    engine,
    phase: "completed",
    ok: true,
    action: { id: `${engine}.override.reasoning`, kind: "note", title: problem, detail: {} },
  };
  const steer = runner.steer?.bind(runner);
  return {
    engine,
    backend: runner.backend,
    // The wrapper only adds a note at the start: steering goes to the engine's runner as is.
    ...(steer === undefined ? {} : { steer }),
    async *run(request: RunRequest, control?: RunControl): AsyncIterable<TakopiEvent> {
      yield note;
      // The engine never sees a level it cannot take.
      const { reasoning: _ignored, ...options } = request.options ?? {};
      yield* runner.run({ ...request, options }, control);
    },
  };
}
