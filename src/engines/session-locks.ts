/**
 * One run per session at a time: two runs resuming the same
 * engine session would interleave writes to the CLI's transcript.
 */
import { threadKey, type ResumeToken } from "../core/events.js";

export type Release = () => void;

/**
 * The lock of the session a run resumes, waited for in turn (none for a new
 * session: it is locked once the engine names it). `aborted` when `signal`
 * cancelled the wait: the run then ends without a word.
 */
export async function lockResumed(locks: SessionLocks, resume: ResumeToken | null, signal: AbortSignal | undefined): Promise<Release[] | "aborted"> {
  if (resume === null) return [];
  try {
    return [await locks.acquire(threadKey(resume), signal)];
  } catch (error) {
    if (signal?.aborted) return "aborted"; // cancelled while queued behind another run of this session
    throw error;
  }
}

export class SessionLocks {
  /** Tail of the wait chain per key; removed when the last holder releases. */
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Resolves once the caller holds `key`; call the returned function to release
   * it (idempotent). Rejects with the signal's reason if `signal` aborts while
   * waiting — a cancelled run must not sit in the queue until the holder ends.
   */
  async acquire(key: string, signal?: AbortSignal): Promise<Release> {
    signal?.throwIfAborted();
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const { promise: held, resolve: release }: PromiseWithResolvers<void> = Promise.withResolvers();
    const tail = previous.then(() => held);
    this.#tails.set(key, tail);
    let released = false;
    const releaseOnce: Release = () => {
      if (released) return;
      released = true;
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    try {
      await (signal ? untilAborted(previous, signal) : previous);
    } catch (error) {
      // Give up our place: it passes on as soon as it would have been ours.
      void previous.then(releaseOnce);
      throw error;
    }
    return releaseOnce;
  }

  /** Whether someone holds or waits for `key`. */
  isBusy(key: string): boolean {
    return this.#tails.has(key);
  }
}

function untilAborted(wait: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    void wait.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}
