// Bounded waits on the fake's state: a waiter re-checks whenever something it
// could be waiting for changes, and a timeout rejects with a message that says
// what the fake did see, which is what a failing end-to-end test needs most.

interface Entry {
  check(): void;
  close(reason: string): void;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export class Waiters {
  private readonly waiting = new Set<Entry>();
  private closedReason: string | undefined;

  /**
   * Resolves with the first defined value `find` returns, checking now and
   * after every `notify()`; rejects after `timeoutMs` with `onTimeout()`.
   */
  until<T>(find: () => T | undefined, timeoutMs: number, onTimeout: () => string): Promise<T> {
    let initial: T | undefined;
    try {
      initial = find();
    } catch (err) {
      return Promise.reject(asError(err));
    }
    if (initial !== undefined) return Promise.resolve(initial);
    if (this.closedReason !== undefined) return Promise.reject(new Error(this.closedReason));

    return new Promise<T>((resolve, reject) => {
      const settle = (finish: () => void): void => {
        if (!this.waiting.delete(entry)) return;
        clearTimeout(timer);
        finish();
      };
      const entry: Entry = {
        check: () => {
          try {
            const value = find();
            if (value !== undefined) {
              settle(() => {
                resolve(value);
              });
            }
          } catch (err) {
            settle(() => {
              reject(asError(err));
            });
          }
        },
        close: (reason) => {
          settle(() => {
            reject(new Error(reason));
          });
        },
      };
      const timer = setTimeout(() => {
        settle(() => {
          reject(new Error(onTimeout()));
        });
      }, timeoutMs);
      this.waiting.add(entry);
    });
  }

  notify(): void {
    for (const entry of [...this.waiting]) entry.check();
  }

  /** Rejects every pending wait, and every later one. */
  close(reason: string): void {
    this.closedReason = reason;
    for (const entry of [...this.waiting]) entry.close(reason);
  }
}
