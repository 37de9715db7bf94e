// One bot's update queue with getUpdates semantics: an offset confirms every
// update below it (a negative one keeps only the last -offset), `limit`,
// `allowed_updates` that stick across calls, a long poll that answers as soon
// as an update arrives, and 409 Conflict for a second concurrent poll.
import { conflict, GET_UPDATES_CONFLICT } from "./errors.js";
import type { TgUpdate } from "./types.js";

/**
 * What a second getUpdates does while one is pending. `terminate-old` is
 * Telegram's behaviour ("terminated by other getUpdates request" is what the
 * older request hears): the pending poll gets 409 and the newcomer is served.
 * It also keeps a restarted process (or grammY's `bot.stop()`, which confirms
 * the offset right after aborting its poll) from losing a race against the
 * server noticing the old connection close. `reject-new` answers the newcomer
 * 409 instead, for tests that want the second instance to be the one refused.
 */
export type ConflictPolicy = "reject-new" | "terminate-old";

/** Telegram's default when allowed_updates is absent or empty. */
const DEFAULT_EXCLUDED = new Set(["chat_member", "message_reaction", "message_reaction_count"]);

/** The update's type: its one field besides update_id. */
export function updateKind(update: TgUpdate): string {
  return Object.keys(update).find((key) => key !== "update_id") ?? "unknown";
}

export interface PollRequest {
  offset: number;
  limit: number;
  timeoutMs: number;
  /** undefined leaves the bot's current setting alone; [] restores the default. */
  allowedUpdates: string[] | undefined;
  /** Aborted when the client goes away; the poll then ends quietly. */
  signal: AbortSignal;
}

interface PendingPoll {
  wake(): void;
  fail(error: Error): void;
  end(): void;
}

export class UpdateQueue {
  private readonly queue: TgUpdate[] = [];
  private confirmed = 0;
  private allowed: ReadonlySet<string> | undefined;
  private poll: PendingPoll | undefined;
  private closed = false;
  private readonly policy: ConflictPolicy;
  private readonly changed: () => void;

  /** `changed` runs whenever the queue or the polling state changes. */
  constructor(policy: ConflictPolicy, changed: () => void) {
    this.policy = policy;
    this.changed = changed;
  }

  /** Updates not yet confirmed by an offset, oldest first. */
  get pending(): readonly TgUpdate[] {
    return this.queue;
  }

  /** The highest offset the bot has sent (0 before any): every update below it is acknowledged. */
  get confirmedOffset(): number {
    return this.confirmed;
  }

  /** True while a long poll is waiting. */
  get polling(): boolean {
    return this.poll !== undefined;
  }

  push(update: TgUpdate): void {
    this.queue.push(update);
    this.poll?.wake();
    this.changed();
  }

  /** deleteWebhook's drop_pending_updates. */
  dropPending(): void {
    const last = this.queue.at(-1);
    if (last !== undefined) this.confirmed = Math.max(this.confirmed, last.update_id + 1);
    this.queue.length = 0;
    this.changed();
  }

  /** Fails a waiting long poll with `error` (an outage cutting it); false if none was waiting. */
  interrupt(error: Error): boolean {
    if (this.poll === undefined) return false;
    this.poll.fail(error);
    return true;
  }

  /** Ends a waiting poll with an empty answer (server shutdown). */
  close(): void {
    this.closed = true;
    this.poll?.end();
  }

  async getUpdates(request: PollRequest): Promise<TgUpdate[]> {
    if (this.poll !== undefined) {
      if (this.policy === "reject-new") throw conflict(GET_UPDATES_CONFLICT);
      this.poll.fail(conflict(GET_UPDATES_CONFLICT));
    }
    if (request.allowedUpdates !== undefined) {
      this.allowed = request.allowedUpdates.length === 0 ? undefined : new Set(request.allowedUpdates);
    }
    this.confirm(request.offset);
    const limit = Math.min(100, Math.max(1, request.limit));
    const ready = this.select(limit);
    if (ready.length > 0 || request.timeoutMs <= 0 || this.closed || request.signal.aborted) return ready;

    return new Promise<TgUpdate[]>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        request.signal.removeEventListener("abort", onAbort);
        if (this.poll === poll) this.poll = undefined;
        this.changed();
      };
      const poll: PendingPoll = {
        wake: () => {
          const updates = this.select(limit);
          if (updates.length === 0) return;
          finish();
          resolve(updates);
        },
        fail: (error) => {
          finish();
          reject(error);
        },
        end: () => {
          finish();
          resolve([]);
        },
      };
      const onAbort = (): void => {
        poll.end();
      };
      const timer = setTimeout(onAbort, request.timeoutMs);
      request.signal.addEventListener("abort", onAbort, { once: true });
      this.poll = poll;
      this.changed();
    });
  }

  private confirm(offset: number): void {
    if (offset > 0) {
      while (this.queue.length > 0 && (this.queue[0]?.update_id ?? offset) < offset) this.queue.shift();
      this.confirmed = Math.max(this.confirmed, offset);
    } else if (offset < 0) {
      // "-N": the last N updates stay, all earlier ones are forgotten.
      const drop = this.queue.length + offset;
      if (drop > 0) this.queue.splice(0, drop);
      const first = this.queue[0];
      if (first !== undefined) this.confirmed = Math.max(this.confirmed, first.update_id);
    }
  }

  private select(limit: number): TgUpdate[] {
    return this.queue.filter((update) => this.isAllowed(updateKind(update))).slice(0, limit);
  }

  private isAllowed(kind: string): boolean {
    return this.allowed === undefined ? !DEFAULT_EXCLUDED.has(kind) : this.allowed.has(kind);
  }
}
