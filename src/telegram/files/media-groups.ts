/**
 * Albums: Telegram delivers the files of one album as separate messages that
 * share a `media_group_id`, usually with the caption on one of them. They are
 * collected per (chat, media group) until `media_group_debounce_s` passes
 * with no new item, then handled once — one save, one reply, one run.
 */
import { systemClock, type Clock } from "../../util/clock.js";
import type { IncomingMessage } from "../incoming.js";

export interface MediaGroupBufferOptions {
  /** `media_group_debounce_s` in milliseconds; a function so a reloaded config applies to the next album. */
  debounceMs: () => number;
  /** The album, in message-id order. Must not throw. */
  handle: (items: IncomingMessage[]) => void;
  clock?: Clock;
}

interface PendingGroup {
  items: IncomingMessage[];
  cancel: () => void;
}

export class MediaGroupBuffer {
  readonly #options: MediaGroupBufferOptions;
  readonly #clock: Clock;
  readonly #groups = new Map<string, PendingGroup>();

  constructor(options: MediaGroupBufferOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Adds an album item (a message with a `mediaGroupId`); each one restarts its album's wait. */
  add(message: IncomingMessage): void {
    const key = `${message.chatId}:${message.mediaGroupId ?? ""}`;
    const group = this.#groups.get(key) ?? { items: [], cancel: () => undefined };
    group.cancel();
    // A redelivered update must not be saved twice.
    if (!group.items.some((item) => item.messageId === message.messageId)) group.items.push(message);
    group.cancel = this.#clock.schedule(this.#options.debounceMs(), () => {
      this.#release(key);
    });
    this.#groups.set(key, group);
  }

  /** Hands on every album still waiting (at shutdown: they were confirmed to Telegram already). */
  flushAll(): void {
    for (const key of [...this.#groups.keys()]) this.#release(key);
  }

  /** Albums still waiting for their quiet period. */
  get pending(): number {
    return this.#groups.size;
  }

  #release(key: string): void {
    const group = this.#groups.get(key);
    if (group === undefined) return;
    this.#groups.delete(key);
    group.cancel();
    this.#options.handle(group.items.toSorted((a, b) => a.messageId - b.messageId));
  }
}
