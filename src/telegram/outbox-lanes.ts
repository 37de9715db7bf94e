/**
 * The outbox's bookkeeping of what waits: one lane per chat (or per method
 * for calls about no chat), the pending op of each key, and the memory caps
 * on droppable ops. Whoever runs the lanes (`outbox.ts`) takes ops out with
 * `unqueue` and puts failed ones back with `queue`.
 */
import type { OutboxOp } from "./outbox.js";
import { spaceVictim, type Importance, type Priority, type QueueCaps } from "./outbox-policy.js";

export interface Lane {
  readonly id: string;
  readonly chatId: number | null;
  readonly intervalMs: number;
  /** Pending ops; the running one is not in here. */
  queue: Entry[];
  /** Droppable ops in `queue`. */
  droppable: number;
  /** When pacing allows the next call. */
  nextAt: number;
  /** When a flood wait (429) ends. */
  floodUntil: number;
  /** When the pause after a transient failure ends. */
  backoffUntil: number;
  /** Transient failures in a row; the back-off grows with them, and any answer from Telegram ends the run. */
  failures: number;
  /** When the current run of failures began. */
  downSince: number;
  running: boolean;
}

export interface Entry {
  readonly key: string;
  readonly lane: Lane;
  readonly op: OutboxOp<unknown>;
  readonly priority: Priority;
  importance: Importance;
  /** Place in line; a replacing op inherits the replaced one's. */
  readonly seq: number;
  /** Transient failures of this op. */
  failures: number;
  /** `telegram.maybe_delivered` was logged for it. */
  maybeDelivered: boolean;
  settled: boolean;
  readonly promise: Promise<unknown>;
  readonly resolve: (value: unknown) => void;
}

export type CapName = "per_chat" | "total";

export interface LaneQueuesOptions {
  privateIntervalMs: number;
  groupIntervalMs: number;
  caps: QueueCaps;
  /** An op let go to stay under a cap: it is out of the queue, the caller settles it. */
  onDropped: (victim: Entry, cap: CapName, limit: number) => void;
}

export class LaneQueues {
  readonly lanes = new Map<string, Lane>();
  readonly #options: LaneQueuesOptions;
  /** Pending (not running) ops by key. */
  readonly #pending = new Map<string, Entry>();
  /** Droppable ops pending in all lanes. */
  #droppable = 0;

  constructor(options: LaneQueuesOptions) {
    this.#options = options;
  }

  /** Ops waiting their turn. */
  get size(): number {
    return this.#pending.size;
  }

  /** The pending op with this key. */
  pending(key: string): Entry | undefined {
    return this.#pending.get(key);
  }

  laneFor(op: Pick<OutboxOp<unknown>, "chatId" | "label">): Lane {
    const id = op.chatId === null ? `call:${op.label ?? "other"}` : `chat:${String(op.chatId)}`;
    let lane = this.lanes.get(id);
    if (lane === undefined) {
      const { privateIntervalMs, groupIntervalMs } = this.#options;
      lane = {
        id,
        chatId: op.chatId,
        intervalMs: op.chatId === null ? 0 : op.chatId < 0 ? groupIntervalMs : privateIntervalMs,
        queue: [],
        droppable: 0,
        nextAt: -Infinity,
        floodUntil: -Infinity,
        backoffUntil: -Infinity,
        failures: 0,
        downSince: 0,
        running: false,
      };
      this.lanes.set(id, lane);
    }
    return lane;
  }

  /** Puts an op in its lane's queue, then lets go of droppable ops over the caps (possibly this one). */
  queue(entry: Entry): void {
    const lane = entry.lane;
    const { caps } = this.#options;
    this.#pending.set(entry.key, entry);
    lane.queue.push(entry);
    if (entry.importance === "droppable") {
      lane.droppable++;
      this.#droppable++;
    }
    while (lane.droppable > caps.perChat) this.#dropForSpace(spaceVictim(lane.queue), "per_chat", caps.perChat);
    while (this.#droppable > caps.total) this.#dropForSpace(spaceVictim(this.#allQueued()), "total", caps.total);
  }

  /** Takes an op out of its lane's queue (a no-op if it is not there). */
  unqueue(entry: Entry): void {
    const lane = entry.lane;
    const before = lane.queue.length;
    lane.queue = lane.queue.filter((e) => e !== entry);
    if (this.#pending.get(entry.key) === entry) this.#pending.delete(entry.key);
    if (lane.queue.length < before && entry.importance === "droppable") {
      lane.droppable--;
      this.#droppable--;
    }
  }

  /** A pending op's importance changes (a coalesced op keeps the stronger one); the counts follow. */
  setImportance(entry: Entry, importance: Importance): void {
    if (entry.importance === importance) return;
    this.unqueue(entry);
    entry.importance = importance;
    this.queue(entry);
  }

  /** Empties every queue; returns what was in them. */
  clear(): Entry[] {
    const all = [...this.#allQueued()];
    for (const lane of this.lanes.values()) {
      lane.queue = [];
      lane.droppable = 0;
    }
    this.#pending.clear();
    this.#droppable = 0;
    return all;
  }

  *#allQueued(): Generator<Entry> {
    for (const lane of this.lanes.values()) yield* lane.queue;
  }

  #dropForSpace(victim: Entry | undefined, cap: CapName, limit: number): void {
    // The counts cover droppable ops only, so there is a victim while a count is over its cap.
    if (victim === undefined) throw new Error("outbox: over a cap with nothing droppable");
    this.unqueue(victim);
    this.#options.onDropped(victim, cap, limit);
  }
}
