/**
 * V8 heap settings for a long-running bridge, which idles most of the time
 * and allocates in bursts of small, short-lived objects (start-up's module
 * loading, a run's JSONL, a reply).
 *
 * - The young generation stays at its initial size (1 MiB per semi-space).
 *   V8 grows it whenever a scavenge finds much still alive, up to 16 MiB per
 *   semi-space on Node 24, and never shrinks it while the process idles:
 *   start-up alone left ~11 MB of an idle bridge's RSS there, and a flood of
 *   engine output some 50 MB. Scavenges of 1 MiB stay sub-millisecond, and a
 *   JSON-parsing loop like a run's was no slower (bench/startup.bench.ts).
 * - A full collection runs when a flood has grown the heap (see
 *   noteEngineOutput) and once the last engine is done, so an idle bridge
 *   returns to its idle size.
 *
 * Both are V8 flags set at run time, because the bin is also started as
 * `node dist/cli/main.js` (no shebang flags) and a re-exec would cost a second
 * Node start-up: `--semi-space-growth-factor` is read each time new space
 * would grow, unlike `--max-semi-space-size` (checked on Node 24.21 / V8
 * 13.6; V8 ignores an unknown flag, so a newer runtime only loses the
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

/** For `takopi run`: the young generation kept small and full collections made available; once per process. */
export function tuneHeapForBridge(): void {
  if (collect !== null) return;
  // cli/main.ts sets it first thing already; here too, for a bridge started another way.
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
