/** An unbounded queue one consumer awaits: producers push from callbacks, `next()` waits for the next item. */
export class AsyncQueue<T> {
  #items: T[] = [];
  #waiting: ((item: T) => void) | null = null;

  push(item: T): void {
    const waiting = this.#waiting;
    if (waiting !== null) {
      this.#waiting = null;
      waiting(item);
    } else {
      this.#items.push(item);
    }
  }

  next(): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }
}
