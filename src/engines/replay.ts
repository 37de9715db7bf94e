/**
 * Feeds a recorded JSONL stream through an engine's translator — the same
 * `JsonlStream` a live run uses — for `takopi replay` and translator tests.
 */
import type { TakopiEvent, ResumeToken } from "../core/events.js";
import type { EngineBackend, ProcessExit } from "./backend.js";
import { JsonlStream } from "./jsonl-stream.js";
import { DEFAULT_MAX_LINE_BYTES, splitLines } from "./lines.js";

export interface ReplayOptions {
  /** Run base dir the recording was made in (shortens paths in titles). */
  cwd?: string | null;
  /** The session the recorded run resumed. */
  resume?: ResumeToken | null;
  /** How the recorded process ended; defaults to a clean exit 0. */
  exit?: Partial<ProcessExit>;
  maxLineBytes?: number;
  debug?: (message: string, fields?: Record<string, unknown>) => void;
}

export async function* replayStream(
  backend: Pick<EngineBackend, "id" | "createTranslator">,
  source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  options: ReplayOptions = {},
): AsyncGenerator<TakopiEvent> {
  const stream = new JsonlStream(backend, {
    cwd: options.cwd ?? null,
    resume: options.resume ?? null,
    ...(options.debug ? { debug: options.debug } : {}),
  });
  const limit = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  for await (const item of splitLines(source, limit)) {
    const events = item.type === "line" ? stream.line(item.text) : stream.oversizedLine(item.bytes, limit);
    yield* events;
  }
  yield* stream.end({ exitCode: 0, signal: null, stderrTail: "", ...options.exit });
}

/** Replays a whole in-memory recording; convenient for tests. */
export async function replayText(
  backend: Pick<EngineBackend, "id" | "createTranslator">,
  text: string,
  options: ReplayOptions = {},
): Promise<TakopiEvent[]> {
  const events: TakopiEvent[] = [];
  for await (const event of replayStream(backend, [text], options)) events.push(event);
  return events;
}
