/**
 * Time, as the modules that wait or pace see it. They take a `Clock` instead
 * of calling `Date.now`/`setTimeout` so that tests can drive virtual time;
 * one interface means one fake serves them all.
 */
export interface Clock {
  /** Unix milliseconds: for comparing with timestamps from elsewhere (Telegram's message dates). */
  now(): number;
  /** Milliseconds on a monotonic scale: for pacing and deadlines, which must not jump when the wall clock is set. */
  monotonic(): number;
  /** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Runs `fn` after `ms`, like setTimeout; the returned function cancels it, like clearTimeout. */
  schedule(ms: number, fn: () => void): () => void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted === true) {
        resolve();
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener("abort", done, { once: true });
    }),
  schedule(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => {
      clearTimeout(timer);
    };
  },
};
