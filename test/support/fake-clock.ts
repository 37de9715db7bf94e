/**
 * A Clock (src/util/clock.ts) that only moves when the test says so, so
 * times asserted against it are exact and independent of the machine. Wall
 * and monotonic time are the same virtual milliseconds, starting at 0.
 */
import type { Clock } from "../../src/util/clock.js";

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/** Lets every promise chain that is ready run to its next real wait. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  #t = 0;
  #seq = 0;
  #timers: Timer[] = [];

  now(): number {
    return this.#t;
  }

  monotonic(): number {
    return this.#t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted === true) {
        resolve();
        return;
      }
      const onAbort = (): void => {
        cancel();
        resolve();
      };
      const cancel = this.schedule(ms, () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  schedule(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.#t + Math.max(0, ms), seq: ++this.#seq, fire: fn };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Timers and sleeps not yet due. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing due timers synchronously in time order (then in the order they were set). */
  tick(ms: number): void {
    const end = this.#t + ms;
    for (let due = this.#next(end); due !== undefined; due = this.#next(end)) this.#fire(due);
    this.#t = end;
  }

  /**
   * Like tick, for code that reacts asynchronously: fires due timers one at a
   * time and lets ready promise chains run after each (and before the first),
   * so a timer they set in reaction still fires if it falls due.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#t + ms;
    await settle();
    for (let due = this.#next(end); due !== undefined; due = this.#next(end)) {
      this.#fire(due);
      await settle();
    }
    this.#t = end;
    await settle();
  }

  #next(end: number): Timer | undefined {
    return this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
  }

  #fire(timer: Timer): void {
    this.#timers = this.#timers.filter((t) => t !== timer);
    this.#t = timer.at;
    timer.fire();
  }
}
