/**
 * The one place every Telegram send, edit and delete goes through,
 * so the bridge never waits on Telegram: callers enqueue and get a promise that
 * settles when (and if) the call was made. It never rejects.
 *
 * - **Lanes per chat.** Each chat has its own queue, pacing clock, flood
 *   wait and back-off, so a busy group never delays a private chat. A forum
 *   supergroup is one lane across all its topics, because Telegram budgets
 *   the whole peer. (Upstream paces all chats on one global clock; this is
 *   the fix the issue asked for.) Calls that concern no chat (getMe,
 *   setMyCommands, answerCallbackQuery, …) get an unpaced lane per method.
 * - **Order within a lane:** sends before deletes before edits, then oldest
 *   first. One call at a time per lane, so a chat sees its messages in order.
 * - **Pacing:** a lane starts its next call `interval` after the previous one
 *   started: 1 s in private chats (chat id ≥ 0), 3 s in groups (≈ 20/min).
 * - **Coalescing:** an op whose key is already pending replaces it and takes
 *   its place in line (the old position, so a stream of edits is not starved)
 *   and the stronger importance of the two. The replaced op's promise settles
 *   with the replacing op's result: both callers wanted the same message in
 *   the newest state.
 * - **Nothing required is lost while the process lives.** Each op has an
 *   importance (`outbox-policy.ts`): sends and edits showing a final state are
 *   `required` and wait out any outage; progress edits and deletes wait too
 *   but may be dropped to save memory; calls about no chat are best-effort.
 * - **429:** the lane (only that chat: Telegram's flood waits are per peer and
 *   the Bot API does not say otherwise) waits `retry_after`, then the op runs
 *   again — unless a newer op took its key meanwhile, which then runs instead.
 *   No attempt limit: a flood wait ends.
 * - **Telegram down** (5xx answers, network errors, timeouts): the lane backs
 *   off — 1 s, doubling per failure in a row, capped at 30 s, up to a quarter
 *   shorter at random — and tries the same op again. Required and droppable
 *   ops have no attempt limit; best-effort ones give up after `maxAttempts`.
 *   The whole lane waits rather than just the op, so later messages cannot
 *   overtake an earlier one; other chats are not held up. A lane logs one
 *   warning when it starts waiting (`telegram.outage`) and one line when
 *   Telegram answers it again (`telegram.recovered`); each retry is debug.
 * - **Bounded memory:** edits coalesce (one pending per message), and
 *   droppable ops are capped at 100 per chat and 1000 in all; over a cap the
 *   oldest progress edit goes first, then the oldest delete, each logged
 *   (`telegram.outbox.dropped`). Sends are never dropped: they are bounded by
 *   what people ask for (a prompt makes a few).
 * - **Exactly once.** An op that succeeded is never made again, and a 5xx
 *   answer means Telegram did not act on the call, so retrying it posts
 *   nothing twice. A network failure after the request went out (a reset
 *   connection, a timeout) can hide a send that landed: it is retried all the
 *   same — an answer twice beats an answer lost, and the Bot API has no
 *   idempotency key to tell — and logged as `telegram.maybe_delivered`.
 * - **Permanent refusals** (other 4xx, and errors that are not Telegram's):
 *   logged, settle with null at once, never retried.
 */
import { systemClock, type Clock } from "../util/clock.js";
import { silentLogger, type Logger } from "../util/log.js";
import { classifyTelegramError, type ClassifyError, type Failure } from "./errors.js";
import { LaneQueues, type Entry, type Lane } from "./outbox-lanes.js";
import {
  BACKOFF_DEFAULTS,
  backoffDelay,
  CAP_DEFAULTS,
  defaultImportance,
  nextInLine,
  PRIORITY,
  stronger,
  type BackoffOptions,
  type Importance,
  type Priority,
  type QueueCaps,
} from "./outbox-policy.js";

export { PRIORITY, type BackoffOptions, type Importance, type Priority, type QueueCaps };

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
  /** Default: `required` for sends, `droppable` for other chat ops, `best-effort` without a chat. */
  importance?: Importance;
  /** The Bot API method, for logs; ops without a chat share a lane per label. */
  label?: string;
  /** Makes the call. Throw grammY's errors as they come: the outbox classifies them. */
  execute(): Promise<T>;
}

export interface OutboxOptions {
  /** Between calls in one private chat (default 1000 ms: Telegram allows about 1 message/s). */
  privateIntervalMs?: number;
  /** Between calls in one group or supergroup (default 3000 ms: about 20 messages/min). */
  groupIntervalMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** How many droppable ops may wait (default 100 per chat, 1000 in all). */
  caps?: Partial<QueueCaps>;
  /** How a thrown error is treated (default: grammY's errors as Telegram means them). */
  classify?: ClassifyError;
  /** Paces lanes on its monotonic time; default the real clock. */
  clock?: Clock;
  /** For the back-off's jitter, in [0, 1); default Math.random. */
  random?: () => number;
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
  /** Stop draining after this long (default 30 000 ms), even amid an outage; what is left settles with null. */
  timeoutMs?: number;
}

const DEFAULTS = { privateIntervalMs: 1000, groupIntervalMs: 3000, closeTimeoutMs: 30_000 };

export class Outbox {
  private readonly backoff: BackoffOptions;
  private readonly classify: ClassifyError;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly lanes: LaneQueues;
  /** Every op not settled yet, running ones included. */
  private readonly outstanding = new Set<Entry>();
  private idleWaiters: (() => void)[] = [];
  private seq = 0;
  private stopped = false;
  private closing: Promise<void> | undefined;
  /** Wakes sleeping lanes when the outbox stops. */
  private readonly stopSignal = new AbortController();

  constructor(options: OutboxOptions = {}) {
    this.backoff = { ...BACKOFF_DEFAULTS, ...options.backoff };
    this.classify = options.classify ?? classifyTelegramError;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? silentLogger;
    this.lanes = new LaneQueues({
      privateIntervalMs: options.privateIntervalMs ?? DEFAULTS.privateIntervalMs,
      groupIntervalMs: options.groupIntervalMs ?? DEFAULTS.groupIntervalMs,
      caps: { ...CAP_DEFAULTS, ...options.caps },
      onDropped: (victim, cap, limit) => {
        this.log.warn(
          { event: "telegram.outbox.dropped", key: victim.key, chat_id: victim.lane.chatId, method: victim.op.label, cap, limit },
          "too many calls waiting for telegram; dropping the oldest progress update",
        );
        this.settle(victim, null);
      },
    });
  }

  /** True once close() was called (ops enqueued while it drains still run) or the outbox failed. */
  get closed(): boolean {
    return this.stopped || this.closing !== undefined;
  }

  /** Ops waiting their turn (not counting ones being executed). */
  get size(): number {
    return this.lanes.size;
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
    const lane = this.lanes.laneFor(op);
    const replaced = this.lanes.pending(key);
    const { promise, resolve } = Promise.withResolvers<unknown>();
    const entry: Entry = {
      key,
      lane,
      op,
      priority: op.priority,
      importance: stronger(op.importance ?? defaultImportance(op), replaced?.importance),
      seq: replaced?.seq ?? ++this.seq,
      failures: 0,
      maybeDelivered: false,
      settled: false,
      promise,
      resolve,
    };
    this.outstanding.add(entry);
    if (replaced !== undefined) {
      this.lanes.unqueue(replaced);
      this.settle(replaced, promise);
    }
    this.lanes.queue(entry);
    this.wake(lane);
    return promise as Promise<T | null>;
  }

  /** Removes the pending op with this key (its promise settles with null); false if none. */
  drop(key: string): boolean {
    const entry = this.lanes.pending(key);
    if (entry === undefined) return false;
    this.lanes.unqueue(entry);
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
    const left = this.stop();
    const required = left.filter((entry) => entry.importance === "required").length;
    const context = { event: "telegram.outbox.closed", dropped: left.length, required };
    if (required > 0) this.log.warn(context, `outbox closed with ${String(required)} required messages undelivered`);
    else this.log.debug(context, "outbox closed");
  }

  /** Marks the outbox stopped and settles every pending op with null; returns them. */
  private stop(): Entry[] {
    this.stopped = true;
    this.stopSignal.abort();
    const left = this.lanes.clear();
    for (const entry of left) this.settle(entry, null);
    return left;
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
        if (entry === undefined) {
          // Nothing left that waits for Telegram (given up or dropped): a later call starts a new outage, if any.
          lane.failures = 0;
          break;
        }
        const readyAt = Math.max(lane.nextAt, lane.floodUntil, lane.backoffUntil);
        const now = this.clock.monotonic();
        if (readyAt > now) {
          await this.clock.sleep(readyAt - now, this.stopSignal.signal);
          continue; // the queue may have changed while sleeping
        }
        this.lanes.unqueue(entry);
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
      this.answered(lane);
      this.settle(entry, value);
      return;
    } catch (error) {
      failure = this.classify(error);
    }
    const context = { key: entry.key, chat_id: lane.chatId, method: entry.op.label, error: failure.detail };
    switch (failure.kind) {
      case "retry-after": {
        this.answered(lane);
        lane.floodUntil = Math.max(lane.floodUntil, this.clock.monotonic() + failure.retryAfterMs);
        this.log.warn({ event: "telegram.rate_limited", ...context, retry_after_s: failure.retryAfterMs / 1000 }, "telegram asked to wait");
        this.requeue(entry);
        return;
      }
      case "transient": {
        this.failed(lane, entry, failure.maybeDelivered, context);
        return;
      }
      case "fatal": {
        // A Bot API answer (it has a code) shows Telegram is up; a bug or a bad answer says nothing.
        if (failure.detail.code !== undefined) this.answered(lane);
        this.log.warn({ event: "telegram.failed", ...context }, "telegram call failed");
        this.settle(entry, null);
        return;
      }
    }
  }

  /** A 5xx or network failure: the lane backs off and the op waits its turn again, unless it is best-effort and out of tries. */
  private failed(lane: Lane, entry: Entry, maybeDelivered: boolean, context: Record<string, unknown>): void {
    const now = this.clock.monotonic();
    entry.failures++;
    lane.failures++;
    const delayMs = backoffDelay(this.backoff, lane.failures, this.random());
    lane.backoffUntil = Math.max(lane.backoffUntil, now + delayMs);
    if (lane.failures === 1) {
      lane.downSince = now;
      this.log.warn({ event: "telegram.outage", ...context, waiting: lane.queue.length + 1 }, "telegram unreachable; holding this chat's calls until it answers");
    }
    if (maybeDelivered && entry.priority === PRIORITY.send && !entry.maybeDelivered) {
      entry.maybeDelivered = true;
      this.log.warn({ event: "telegram.maybe_delivered", ...context }, "a send may have reached telegram unanswered; retrying it may post it twice");
    }
    if (entry.importance === "best-effort" && entry.failures >= this.backoff.maxAttempts) {
      this.log.error({ event: "telegram.gave_up", ...context, attempts: entry.failures }, "telegram call failed; giving up");
      this.settle(entry, null);
      return;
    }
    this.log.debug({ event: "telegram.retry", ...context, attempt: entry.failures, delay_ms: delayMs }, "telegram call failed; retrying");
    this.requeue(entry);
  }

  /** Telegram answered this lane: a run of failures, if any, is over. */
  private answered(lane: Lane): void {
    if (lane.failures === 0) return;
    const downMs = Math.round(this.clock.monotonic() - lane.downSince);
    this.log.info(
      { event: "telegram.recovered", chat_id: lane.chatId, lane: lane.id, down_ms: downMs, failed_attempts: lane.failures, waiting: lane.queue.length },
      "telegram answers again; sending what waited",
    );
    lane.failures = 0;
    lane.backoffUntil = -Infinity;
  }

  /** Puts a failed op back in its old place, unless a newer op took its key meanwhile. */
  private requeue(entry: Entry): void {
    if (this.stopped) {
      this.settle(entry, null);
      return;
    }
    const newer = this.lanes.pending(entry.key);
    if (newer !== undefined) {
      // The newer op now answers this one's caller too, so it keeps the stronger promise.
      this.lanes.setImportance(newer, stronger(newer.importance, entry.importance));
      this.settle(entry, newer.promise);
      return;
    }
    this.lanes.queue(entry);
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
