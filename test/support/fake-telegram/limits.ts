// Flood control: per-chat message budgets (token buckets, per bot and chat,
// never global) when a test enables them, and a record of every retry_after
// the fake handed out, so a request that comes back too early is noticed
// whether the 429 came from a budget or from failNext.
import type { TgChat } from "./types.js";

export interface RateLimitOptions {
  /** Sends plus edits per second in a private chat (default 1). */
  perChatPerSecond?: number;
  /** How many messages a private chat may burst before the rate applies (default 3). */
  privateBurst?: number;
  /** Sends plus edits per minute in a group or supergroup, all topics together (default 20). */
  perGroupPerMinute?: number;
  /** How many messages a group may burst (default perGroupPerMinute). */
  groupBurst?: number;
}

/** A 429 the budget enforcement answered. */
export interface RateLimitHit {
  botId: number;
  chatId: number;
  method: string;
  /** Epoch ms. */
  at: number;
  retryAfter: number;
}

/** A request that arrived before the retry_after it had been given ran out. */
export interface EarlyRetry {
  botId: number;
  method: string;
  chatId: number | string | undefined;
  /** Epoch ms of the early request. */
  at: number;
  /** Epoch ms from which it would have been on time. */
  allowedAt: number;
  earlyByMs: number;
  /** What handed out the retry_after. */
  source: "injected" | "rate-limit";
}

/** Methods that spend a chat's message budget (Telegram counts edits with sends). */
export const BUDGET_METHODS: ReadonlySet<string> = new Set([
  "sendMessage",
  "editMessageText",
  "editMessageReplyMarkup",
  "sendDocument",
]);

interface Bucket {
  tokens: number;
  at: number;
}

interface Wait {
  until: number;
  source: EarlyRetry["source"];
}

export class FloodControl {
  readonly hits: RateLimitHit[] = [];
  readonly earlyRetries: EarlyRetry[] = [];
  private readonly limits: Required<RateLimitOptions> | undefined;
  private readonly buckets = new Map<string, Bucket>();
  private readonly waits = new Map<string, Wait>();
  private readonly toleranceMs: number;

  constructor(options: RateLimitOptions | undefined, toleranceMs: number) {
    this.toleranceMs = toleranceMs;
    if (options === undefined) return;
    const perGroupPerMinute = options.perGroupPerMinute ?? 20;
    this.limits = {
      perChatPerSecond: options.perChatPerSecond ?? 1,
      privateBurst: options.privateBurst ?? 3,
      perGroupPerMinute,
      groupBurst: options.groupBurst ?? perGroupPerMinute,
    };
  }

  get enforcing(): boolean {
    return this.limits !== undefined;
  }

  /**
   * Checks an arriving request against the retry_after last given for its
   * chat (or, outside the message budget, its method). An early request is
   * recorded; when budgets are enforced the answer is the retry_after still
   * owed, so the client gets another 429 like Telegram would give it.
   */
  arrive(botId: number, method: string, chatId: number | string | undefined, now: number): number | undefined {
    const key = waitKey(botId, method, chatId);
    const wait = this.waits.get(key);
    if (wait === undefined) return undefined;
    if (now >= wait.until - this.toleranceMs) {
      if (now >= wait.until) this.waits.delete(key);
      return undefined;
    }
    this.earlyRetries.push({ botId, method, chatId, at: now, allowedAt: wait.until, earlyByMs: wait.until - now, source: wait.source });
    return this.enforcing ? Math.max(1, Math.ceil((wait.until - now) / 1000)) : undefined;
  }

  /** Remembers a retry_after handed to the bot. */
  told(botId: number, method: string, chatId: number | string | undefined, retryAfter: number, now: number, source: Wait["source"]): void {
    const key = waitKey(botId, method, chatId);
    const until = now + retryAfter * 1000;
    const previous = this.waits.get(key);
    if (previous === undefined || previous.until < until) this.waits.set(key, { until, source });
  }

  /** The retry_after owed when one more message would exceed the chat's budget (recorded), else undefined. */
  overBudget(botId: number, method: string, chat: TgChat, now: number): number | undefined {
    if (this.limits === undefined || !BUDGET_METHODS.has(method)) return undefined;
    const { bucket, rate } = this.bucket(botId, chat, now);
    if (bucket.tokens >= 1) return undefined;
    const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
    this.hits.push({ botId, chatId: chat.id, method, at: now, retryAfter });
    this.told(botId, method, chat.id, retryAfter, now, "rate-limit");
    return retryAfter;
  }

  /** Spends one message of the chat's budget. */
  spend(botId: number, method: string, chat: TgChat, now: number): void {
    if (this.limits === undefined || !BUDGET_METHODS.has(method)) return;
    this.bucket(botId, chat, now).bucket.tokens -= 1;
  }

  private bucket(botId: number, chat: TgChat, now: number): { bucket: Bucket; rate: number } {
    const limits = this.limits;
    if (limits === undefined) throw new Error("fake-telegram: rate limits are off");
    const isPrivate = chat.type === "private";
    const rate = isPrivate ? limits.perChatPerSecond : limits.perGroupPerMinute / 60;
    const capacity = isPrivate ? limits.privateBurst : limits.groupBurst;
    const key = `${botId}|${chat.id}`;
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    return { bucket, rate };
  }
}

/** Budget methods share one wait per chat; any other method waits on its own. */
function waitKey(botId: number, method: string, chatId: number | string | undefined): string {
  return BUDGET_METHODS.has(method) ? `${botId}|chat|${String(chatId)}` : `${botId}|${method}|${String(chatId)}`;
}
