/**
 * A reasoning override only means something to an engine whose CLI takes a
 * reasoning level (its backend declares the levels; codex does). For any
 * other engine the run starts with a note saying it is ignored, so the user
 * who set it sees why nothing changed.
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

export function withReasoningNote(runner: CapableRunner, options: RunOptions): MessageRunner {
  if (options.reasoning === undefined || engineCapabilities(runner.backend).reasoning !== null) return runner;
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
