/**
 * One run per session at a time (spec §1.4, §4.3): two runs resuming the same
 * engine session would interleave writes to the CLI's transcript.
 */

export type Release = () => void;

export class SessionLocks {
  /** Tail of the wait chain per key; removed when the last holder releases. */
  readonly #tails = new Map<string, Promise<void>>();

  /** Resolves once the caller holds `key`; call the returned function to release it (idempotent). */
  async acquire(key: string): Promise<Release> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => held);
    this.#tails.set(key, tail);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }

  /** Whether someone holds or waits for `key`. */
  isBusy(key: string): boolean {
    return this.#tails.has(key);
  }
}
