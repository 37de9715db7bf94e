/**
 * A reasoning override only means something to codex. For any
 * other engine the run starts with a note saying it is ignored, so the user
 * who set it sees why nothing changed.
 */
import type { MessageRunner } from "../core/run-message.js";
import type { TakopiEvent } from "../core/events.js";
import type { RunOptions, RunRequest } from "../engines/backend.js";
import type { RunControl } from "../engines/runner.js";

/** Engines whose CLI takes a reasoning level. */
const REASONING_ENGINES = new Set(["codex"]);

export function withReasoningNote(runner: MessageRunner, options: RunOptions): MessageRunner {
  if (options.reasoning === undefined || REASONING_ENGINES.has(runner.engine)) return runner;
  const engine = runner.engine;
  const note: TakopiEvent = {
    type: "action",
    engine,
    phase: "completed",
    ok: true,
    action: { id: `${engine}.override.reasoning`, kind: "note", title: `reasoning override is not supported for \`${engine}\`; ignoring.`, detail: {} },
  };
  return {
    engine,
    backend: runner.backend,
    async *run(request: RunRequest, control?: RunControl): AsyncIterable<TakopiEvent> {
      yield note;
      yield* runner.run(request, control);
    },
  };
}
