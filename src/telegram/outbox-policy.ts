/**
 * The outbox's rules as plain functions: which ops may be lost and when,
 * how long a lane waits after Telegram failed it, which op runs next and
 * which one goes when the queue is over its memory cap. The machinery that
 * applies them (lanes, timers, settling) is `outbox.ts`.
 */

/** Lower runs first (upstream's order). */
export const PRIORITY = { send: 0, delete: 1, edit: 2 } as const;
export type Priority = (typeof PRIORITY)[keyof typeof PRIORITY];

/**
 * What an op may lose when Telegram fails. A permanent refusal (a 4xx other
 * than 429) ends any op at once, and close() ends them all; otherwise:
 *
 * - `required`: retried until delivered, however long Telegram is down, and
 *   never dropped to save memory. Sends (answers, the first message of a run,
 *   the rest of a split answer, command replies) and edits that show a
 *   settled state (a final answer edited in place, `cancelled`).
 * - `droppable`: retried as long, but let go when the queue is over its cap:
 *   progress edits first, then deletes, oldest first.
 * - `best-effort`: given up after `maxAttempts` transient failures. Calls
 *   about no chat (getChat, getChatMember, setMyCommands,
 *   answerCallbackQuery): their caller is waiting for the answer, and a late
 *   one is stale.
 */
export type Importance = "required" | "droppable" | "best-effort";

const RANK: Record<Importance, number> = { "best-effort": 0, droppable: 1, required: 2 };

/** What an op without an explicit importance gets: sends are required, other chat ops droppable, the rest best-effort. */
export function defaultImportance(op: { chatId: number | null; priority: Priority }): Importance {
  if (op.chatId === null) return "best-effort";
  return op.priority === PRIORITY.send ? "required" : "droppable";
}

/** Coalesced ops keep the stronger promise: a final edit stays required when a progress edit replaces it. */
export function stronger(a: Importance, b: Importance | undefined): Importance {
  return b !== undefined && RANK[b] > RANK[a] ? b : a;
}

export interface BackoffOptions {
  /** The pause after the first transient failure in a lane (default 1000 ms); doubles per failure in a row. */
  initialMs: number;
  /** The longest pause (default 30 000 ms): how often a lane asks again while Telegram is down. */
  maxMs: number;
  /**
   * Up to this fraction of each pause is taken off at random (default 0.25),
   * so lanes that failed together do not retry in lockstep.
   */
  jitter: number;
  /** Tries in all, the first included, before a best-effort op gives up (default 5). Other ops have no limit. */
  maxAttempts: number;
}

export interface QueueCaps {
  /** Droppable ops (progress edits, deletes) waiting in one chat (default 100). */
  perChat: number;
  /** Droppable ops waiting in all chats together (default 1000). */
  total: number;
}

export const BACKOFF_DEFAULTS: BackoffOptions = { initialMs: 1000, maxMs: 30_000, jitter: 0.25, maxAttempts: 5 };
export const CAP_DEFAULTS: QueueCaps = { perChat: 100, total: 1000 };

/** The pause after the `failures`-th transient failure in a row; `random` is in [0, 1). */
export function backoffDelay(backoff: BackoffOptions, failures: number, random: number): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  const jitter = Math.min(1, Math.max(0, backoff.jitter));
  return Math.round(base * (1 - jitter * random));
}

/** What the policy needs to know of a queued op. */
export interface Queued {
  readonly priority: Priority;
  /** Place in line; a replacing op inherits the replaced one's. */
  readonly seq: number;
  readonly importance: Importance;
}

/** The op to run next: lowest priority value, then earliest place in line. */
export function nextInLine<T extends Queued>(queue: Iterable<T>): T | undefined {
  let best: T | undefined;
  for (const entry of queue) {
    if (best === undefined || entry.priority < best.priority || (entry.priority === best.priority && entry.seq < best.seq)) best = entry;
  }
  return best;
}

/** The op to let go when over a cap: a droppable one, edits before deletes, the oldest first. */
export function spaceVictim<T extends Queued>(queue: Iterable<T>): T | undefined {
  let victim: T | undefined;
  for (const entry of queue) {
    if (entry.importance !== "droppable") continue;
    if (victim === undefined || entry.priority > victim.priority || (entry.priority === victim.priority && entry.seq < victim.seq)) victim = entry;
  }
  return victim;
}
