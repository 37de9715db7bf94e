/**
 * V8 heap settings for a long-running bridge. Node sizes its young
 * generation for throughput: each semi-space may grow to 16 MiB (Node 24), so
 * a burst of engine output leaves some 50 MiB of young generation committed
 * for good, and what it promotes grows the old generation well past what is
 * live. A bridge allocates in short bursts of small, short-lived objects: it
 * is better served by the initial 1 MiB semi-spaces (a scavenge each MiB,
 * about a tenth of a millisecond here), a full collection every so much
 * engine output, and one once the last engine is done, so an idle bridge
 * returns to its idle size.
 *
 * Both are V8 flags set at run time: `--semi-space-growth-factor` is read
 * each time the young generation would grow (checked on Node 24.21 / V8 13.6;
 * an unknown flag is ignored by V8, so a newer runtime only loses the
 * tuning), and `--expose-gc` makes `gc` available to a new context.
 */
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | null = null;

/**
 * Engine output read since the last full collection, and how much of it
 * calls for a look at the heap. Reading output is what a flood allocates:
 * each line is copied, decoded, parsed and translated, and with several runs
 * streaming at once much of it lives just long enough to be promoted to the
 * old generation, which V8 lets grow far past what is live before it
 * collects. Every 8 MiB read, the heap is checked (a cheap call); when it has
 * grown GROWTH_LIMIT_BYTES past what was live after the last collection, a
 * full collection runs (a few milliseconds for a bridge's ~25 MiB of live
 * heap). A single run promotes little and is not slowed down by collections
 * it does not need.
 */
const CHECK_EVERY_BYTES = 8 * 1024 * 1024;
const GROWTH_LIMIT_BYTES = 8 * 1024 * 1024;
let liveAfterCollect = 0;
/** After the last engine process is gone, how long the bridge waits before collecting (another run may start). */
const COLLECT_WHEN_IDLE_MS = 1000;
let readSinceCollect = 0;
/** Whether any engine printed anything since the last collection. */
let outputSinceCollect = false;
let collectQueued = false;
let liveEngines = 0;
let idleTimer: NodeJS.Timeout | null = null;

/** Keeps the young generation at its initial size and makes a full collection available; once per process. */
export function tuneHeapForBridge(): void {
  if (collect !== null) return;
  setFlagsFromString("--semi-space-growth-factor=1");
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("typeof gc === 'function' ? gc : null") as unknown;
  collect = typeof gc === "function" ? (gc as () => void) : () => undefined;
  liveAfterCollect = getHeapStatistics().used_heap_size;
}

/** A full collection (a no-op unless tuneHeapForBridge ran). */
function collectNow(): void {
  readSinceCollect = 0;
  outputSinceCollect = false;
  collect?.();
  liveAfterCollect = getHeapStatistics().used_heap_size;
}

/** An engine process started: no idle collection while it runs. */
export function noteEngineStarted(): void {
  liveEngines += 1;
  if (idleTimer !== null) clearTimeout(idleTimer);
  idleTimer = null;
}

/**
 * An engine process is done with. When it was the last and engines printed
 * anything since the last collection, the garbage of the burst is collected
 * a moment later, rather than kept until V8 would next need the room.
 */
export function noteEngineEnded(): void {
  liveEngines = Math.max(0, liveEngines - 1);
  if (collect === null || liveEngines > 0 || !outputSinceCollect) return;
  if (idleTimer !== null) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    idleTimer = null;
    if (liveEngines === 0) collectNow();
  }, COLLECT_WHEN_IDLE_MS);
  idleTimer.unref();
}

/** `bytes` of engine output were read; see CHECK_EVERY_BYTES. A collection runs on the next turn of the event loop. */
export function noteEngineOutput(bytes: number): void {
  if (collect === null) return;
  outputSinceCollect = true;
  readSinceCollect += bytes;
  if (readSinceCollect < CHECK_EVERY_BYTES || collectQueued) return;
  readSinceCollect = 0;
  if (getHeapStatistics().used_heap_size - liveAfterCollect < GROWTH_LIMIT_BYTES) return;
  collectQueued = true;
  setImmediate(() => {
    collectQueued = false;
    collectNow();
  });
}
