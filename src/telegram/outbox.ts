/**
 * The one place every Telegram send, edit and delete goes through,
 * so the bridge never waits on Telegram: callers enqueue and get a promise that
 * settles when (and if) the call was made. It never rejects.
 *
 * - **Lanes per chat.** Each chat has its own queue, pacing clock and flood
 *   wait, so a busy group never delays a private chat. A forum supergroup is
 *   one lane across all its topics, because Telegram budgets the whole peer.
 *   (Upstream paces all chats on one global clock; this is the fix the
 *   issue asked for.) Calls that concern no chat (getMe, setMyCommands,
 *   answerCallbackQuery, …) get an unpaced lane per method.
 * - **Order within a lane:** sends before deletes before edits, then oldest
 *   first. One call at a time per lane, so a chat sees its messages in order.
 * - **Pacing:** a lane starts its next call `interval` after the previous one
 *   started: 1 s in private chats (chat id ≥ 0), 3 s in groups (≈ 20/min).
 * - **Coalescing:** an op whose key is already pending replaces it and takes
 *   its place in line (the old position, so a stream of edits is not starved).
 *   The replaced op's promise settles with the replacing op's result: both
 *   callers wanted the same message in the newest state.
 * - **429:** the lane (only that chat: Telegram's flood waits are per peer and
 *   the Bot API does not say otherwise) waits `retry_after`, then the op runs
 *   again — unless a newer op took its key meanwhile, which then runs instead.
 *   No attempt limit: a flood wait ends, and dropping a final answer is worse.
 * - **5xx and network errors:** the lane backs off exponentially (capped), up
 *   to `maxAttempts` tries, then the op settles with null and is logged. The
 *   whole lane waits rather than just the op, so later messages cannot
 *   overtake an earlier one. A retried send whose first answer was lost may
 *   post twice; Telegram has no idempotency key to prevent that.
 * - **Other errors** (4xx): logged, settle with null, no retry.
 */
import { systemClock, type Clock } from "../util/clock.js";
import { silentLogger, type Logger } from "../util/log.js";
import { classifyTelegramError, type ClassifyError, type Failure } from "./errors.js";

/** Lower runs first (upstream's order). */
export const PRIORITY = { send: 0, delete: 1, edit: 2 } as const;
export type Priority = (typeof PRIORITY)[keyof typeof PRIORITY];

export interface OutboxOp<T> {
  /**
   * Ops with the same key coalesce: the newest pending one wins. Use
   * `edit:<chat>:<message>` for edits and `delete:<chat>:<message>` for
   * deletes; leave it out (a unique key) for anything that must not be merged,
   * sends above all. Ops sharing a key must produce the same kind of result.
   */
  key?: string;
  /** The chat whose budget the call spends; null for calls about no chat. */
  chatId: number | null;
  priority: Priority;
  /** The Bot API method, for logs; ops without a chat share a lane per label. */
  label?: string;
  /** Makes the call. Throw grammY's errors as they come: the outbox classifies them. */
  execute(): Promise<T>;
}

export interface BackoffOptions {
  /** The pause after the first transient failure (default 1000 ms); doubles per failure. */
  initialMs: number;
  /** The longest pause (default 30 000 ms). */
  maxMs: number;
  /** Tries in all, the first included, before giving up (default 5). */
  maxAttempts: number;
}

export interface OutboxOptions {
  /** Between calls in one private chat (default 1000 ms: Telegram allows about 1 message/s). */
  privateIntervalMs?: number;
  /** Between calls in one group or supergroup (default 3000 ms: about 20 messages/min). */
  groupIntervalMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** How a thrown error is treated (default: grammY's errors as Telegram means them). */
  classify?: ClassifyError;
  /** Paces lanes on its monotonic time; default the real clock. */
  clock?: Clock;
  /** Must not carry secrets into its output; the Telegram client passes a redacting child. */
  log?: Logger;
}

export interface CloseOptions {
  /**
   * Default true: keep running until every op has settled (ops enqueued while
   * draining included, so the final messages of cancelled runs get out), paced
   * as usual. False: pending ops settle with null at once.
   */
  drain?: boolean;
  /** Stop draining after this long (default 30 000 ms); what is left settles with null. */
  timeoutMs?: number;
}

const DEFAULTS = {
  privateIntervalMs: 1000,
  groupIntervalMs: 3000,
  backoff: { initialMs: 1000, maxMs: 30_000, maxAttempts: 5 } satisfies BackoffOptions,
  closeTimeoutMs: 30_000,
};

interface Lane {
  readonly id: string;
  readonly chatId: number | null;
  readonly intervalMs: number;
  /** Pending ops; the running one is not in here. */
  queue: Entry[];
  /** When pacing allows the next call. */
  nextAt: number;
  /** When a flood wait or backoff ends. */
  blockedUntil: number;
  running: boolean;
}

interface Entry {
  readonly key: string;
  readonly lane: Lane;
  readonly op: OutboxOp<unknown>;
  readonly priority: Priority;
  /** Place in line; a replacing op inherits the replaced one's. */
  readonly seq: number;
  /** Transient failures so far. */
  failures: number;
  settled: boolean;
  readonly promise: Promise<unknown>;
  readonly resolve: (value: unknown) => void;
}

export class Outbox {
  private readonly privateIntervalMs: number;
  private readonly groupIntervalMs: number;
  private readonly backoff: BackoffOptions;
  private readonly classify: ClassifyError;
  private readonly clock: Clock;
  private readonly log: Logger;

  private readonly lanes = new Map<string, Lane>();
  /** Pending (not running) ops by key. */
  private readonly pending = new Map<string, Entry>();
  /** Every op not settled yet, running ones included. */
  private readonly outstanding = new Set<Entry>();
  private idleWaiters: (() => void)[] = [];
  private seq = 0;
  private stopped = false;
  private closing: Promise<void> | undefined;
  /** Wakes sleeping lanes when the outbox stops. */
  private readonly stopSignal = new AbortController();

  constructor(options: OutboxOptions = {}) {
    this.privateIntervalMs = options.privateIntervalMs ?? DEFAULTS.privateIntervalMs;
    this.groupIntervalMs = options.groupIntervalMs ?? DEFAULTS.groupIntervalMs;
    this.backoff = { ...DEFAULTS.backoff, ...options.backoff };
    this.classify = options.classify ?? classifyTelegramError;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
  }

  /** True once close() was called (ops enqueued while it drains still run) or the outbox failed. */
  get closed(): boolean {
    return this.stopped || this.closing !== undefined;
  }

  /** Ops waiting their turn (not counting ones being executed). */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Queues an op; the promise settles with its result, with the result of the
   * op that replaced it, or with null when it was dropped, failed, or the
   * outbox is closed. While draining, new ops are still accepted.
   */
  enqueue<T>(op: OutboxOp<T>): Promise<T | null> {
    if (this.stopped) {
      this.log.debug({ event: "telegram.outbox.refused", method: op.label, chat_id: op.chatId }, "outbox closed; call not made");
      return Promise.resolve(null);
    }
    const key = op.key ?? `unique:${String(++this.seq)}`;
    const lane = this.laneFor(op);
    const replaced = this.pending.get(key);
    const { promise, resolve } = Promise.withResolvers<unknown>();
    const entry: Entry = {
      key,
      lane,
      op,
      priority: op.priority,
      seq: replaced?.seq ?? ++this.seq,
      failures: 0,
      settled: false,
      promise,
      resolve,
    };
    this.outstanding.add(entry);
    this.pending.set(key, entry);
    if (replaced !== undefined) {
      replaced.lane.queue = replaced.lane.queue.filter((e) => e !== replaced);
      this.settle(replaced, promise);
    }
    lane.queue.push(entry);
    this.wake(lane);
    return promise as Promise<T | null>;
  }

  /** Removes the pending op with this key (its promise settles with null); false if none. */
  drop(key: string): boolean {
    const entry = this.pending.get(key);
    if (entry === undefined) return false;
    this.pending.delete(key);
    entry.lane.queue = entry.lane.queue.filter((e) => e !== entry);
    this.settle(entry, null);
    return true;
  }

  /** Resolves once no op is pending or running. */
  idle(): Promise<void> {
    if (this.outstanding.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
    });
  }

  /** Stops the outbox, draining first by default; idempotent. */
  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options.drain ?? true, options.timeoutMs ?? DEFAULTS.closeTimeoutMs);
    return this.closing;
  }

  private async shutdown(drain: boolean, timeoutMs: number): Promise<void> {
    if (drain && this.outstanding.size > 0 && !this.stopped) {
      const timer = new AbortController();
      const drained = await Promise.race([
        this.idle().then(() => true),
        this.clock.sleep(timeoutMs, timer.signal).then(() => false),
      ]);
      timer.abort();
      if (!drained) {
        this.log.warn({ event: "telegram.outbox.drain_timeout", timeout_ms: timeoutMs, left: this.outstanding.size }, "outbox drain timed out");
      }
    }
    const dropped = this.stop();
    this.log.debug({ event: "telegram.outbox.closed", dropped }, "outbox closed");
  }

  /** Marks the outbox stopped and settles every pending op with null; returns how many. */
  private stop(): number {
    this.stopped = true;
    this.stopSignal.abort();
    let dropped = 0;
    for (const lane of this.lanes.values()) {
      for (const entry of lane.queue) {
        this.settle(entry, null);
        dropped++;
      }
      lane.queue = [];
    }
    this.pending.clear();
    return dropped;
  }

  private laneFor(op: OutboxOp<unknown>): Lane {
    const id = op.chatId === null ? `call:${op.label ?? "other"}` : `chat:${String(op.chatId)}`;
    let lane = this.lanes.get(id);
    if (lane === undefined) {
      const intervalMs = op.chatId === null ? 0 : op.chatId < 0 ? this.groupIntervalMs : this.privateIntervalMs;
      lane = { id, chatId: op.chatId, intervalMs, queue: [], nextAt: -Infinity, blockedUntil: -Infinity, running: false };
      this.lanes.set(id, lane);
    }
    return lane;
  }

  private wake(lane: Lane): void {
    if (lane.running || lane.queue.length === 0) return;
    lane.running = true;
    void this.runLane(lane);
  }

  /** One worker per busy lane; it exits when the lane's queue is empty. */
  private async runLane(lane: Lane): Promise<void> {
    try {
      while (!this.stopped) {
        const entry = nextInLine(lane.queue);
        if (entry === undefined) break;
        const readyAt = Math.max(lane.nextAt, lane.blockedUntil);
        const now = this.clock.monotonic();
        if (readyAt > now) {
          await this.clock.sleep(readyAt - now, this.stopSignal.signal);
          continue; // the queue may have changed while sleeping
        }
        lane.queue = lane.queue.filter((e) => e !== entry);
        this.pending.delete(entry.key);
        await this.run(lane, entry);
      }
    } catch (error) {
      this.crash(error);
    } finally {
      lane.running = false;
    }
  }

  private async run(lane: Lane, entry: Entry): Promise<void> {
    lane.nextAt = this.clock.monotonic() + lane.intervalMs;
    let failure: Failure;
    try {
      const value = await entry.op.execute();
      this.settle(entry, value);
      return;
    } catch (error) {
      failure = this.classify(error);
    }
    const context = { key: entry.key, chat_id: lane.chatId, method: entry.op.label, error: failure.detail };
    switch (failure.kind) {
      case "retry-after": {
        lane.blockedUntil = Math.max(lane.blockedUntil, this.clock.monotonic() + failure.retryAfterMs);
        this.log.warn({ event: "telegram.rate_limited", ...context, retry_after_s: failure.retryAfterMs / 1000 }, "telegram asked to wait");
        this.requeue(entry);
        return;
      }
      case "transient": {
        entry.failures++;
        if (entry.failures >= this.backoff.maxAttempts) {
          this.log.error({ event: "telegram.gave_up", ...context, attempts: entry.failures }, "telegram call failed; giving up");
          this.settle(entry, null);
          return;
        }
        const delayMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (entry.failures - 1));
        lane.blockedUntil = Math.max(lane.blockedUntil, this.clock.monotonic() + delayMs);
        this.log.warn({ event: "telegram.retry", ...context, attempt: entry.failures, delay_ms: delayMs }, "telegram call failed; retrying");
        this.requeue(entry);
        return;
      }
      case "fatal": {
        this.log.warn({ event: "telegram.failed", ...context }, "telegram call failed");
        this.settle(entry, null);
        return;
      }
    }
  }

  /** Puts a failed op back in its old place, unless a newer op took its key meanwhile. */
  private requeue(entry: Entry): void {
    if (this.stopped) {
      this.settle(entry, null);
      return;
    }
    const newer = this.pending.get(entry.key);
    if (newer !== undefined) {
      this.settle(entry, newer.promise);
      return;
    }
    this.pending.set(entry.key, entry);
    entry.lane.queue.push(entry);
  }

  /** A bug in the outbox itself: nothing more goes out, and nobody waits forever. */
  private crash(error: unknown): void {
    this.log.error({ event: "telegram.outbox.crashed", error }, "outbox failed; dropping pending telegram calls");
    this.stop();
    for (const entry of [...this.outstanding]) this.settle(entry, null);
  }

  private settle(entry: Entry, value: unknown): void {
    if (entry.settled) return;
    entry.settled = true;
    this.outstanding.delete(entry);
    entry.resolve(value);
    if (this.outstanding.size === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }
}

/** The op to run next: lowest priority value, then earliest place in line. */
function nextInLine(queue: readonly Entry[]): Entry | undefined {
  let best: Entry | undefined;
  for (const entry of queue) {
    if (best === undefined || entry.priority < best.priority || (entry.priority === best.priority && entry.seq < best.seq)) best = entry;
  }
  return best;
}
