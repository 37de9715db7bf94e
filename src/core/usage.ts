/**
 * What a run cost, in one small shape whatever the engine: tokens in, out and
 * cached, and US dollars. Each translator keeps its engine's raw usage on
 * `completed.usage` (codex exec's `turn.completed.usage`, claude's
 * `total_cost_usd` and `usage`, …); `normalizeUsage` reads the shapes the
 * built-in engines report, and the totals per chat live here too, keyed by
 * the chat id of `MessageRef` — nothing about any transport.
 */

/** A run's usage; a field is absent when the engine did not report it. */
export interface RunUsage {
  /** Every input token the model read, cached ones included. */
  inputTokens?: number;
  outputTokens?: number;
  /** The part of `inputTokens` read from the prompt cache. */
  cachedTokens?: number;
  costUsd?: number;
}

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The first of `keys` that holds a finite, non-negative number. */
function count(raw: Raw, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const value = raw[key];
    if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  }
  return undefined;
}

/**
 * The tokens of one raw usage. Two conventions meet here: OpenAI's
 * (codex: `input_tokens` counts the cached ones, `cached_input_tokens` says
 * how many) and Anthropic's (claude, opencode, pi: input excludes cache reads
 * and writes, which come as their own counts and are added here).
 */
function tokens(raw: Raw): RunUsage {
  const out: RunUsage = {};
  const input = count(raw, "input_tokens", "inputTokens", "input");
  const cacheRead = count(raw, "cache_read_input_tokens", "cache_read", "cacheRead");
  const cacheWrite = count(raw, "cache_creation_input_tokens", "cache_write", "cacheWrite");
  const cachedIncluded = count(raw, "cached_input_tokens", "cachedInputTokens");
  if (input !== undefined) out.inputTokens = input + (cacheRead ?? 0) + (cacheWrite ?? 0);
  const cached = cachedIncluded ?? cacheRead;
  if (cached !== undefined && cached > 0) out.cachedTokens = cached;
  const output = count(raw, "output_tokens", "outputTokens", "output");
  if (output !== undefined) out.outputTokens = output;
  return out;
}

/** Dollars, from `total_cost_usd` (claude, opencode) or pi's `cost.total`; a zero cost is no report (a free or unpriced model). */
function cost(raw: Raw): number | undefined {
  const nested = isRecord(raw.cost) ? count(raw.cost, "total") : undefined;
  const usd = count(raw, "total_cost_usd", "cost_usd", "costUsd") ?? nested;
  return usd !== undefined && usd > 0 ? usd : undefined;
}

/**
 * A `completed` event's raw usage in the one shape, or null when it holds
 * nothing recognised. The tokens may sit at the top (codex exec, pi), under
 * `usage` (claude), `tokens` (opencode) or `last` (a last-turn breakdown).
 */
export function normalizeUsage(raw: Raw | null | undefined): RunUsage | null {
  if (raw == null) return null;
  const holder = [raw.usage, raw.tokens, raw.last].find(isRecord) ?? raw;
  const usage: RunUsage = tokens(holder);
  const usd = cost(raw) ?? cost(holder);
  if (usd !== undefined) usage.costUsd = usd;
  return Object.keys(usage).length > 0 ? usage : null;
}

/** `42`, `12.3k`, `123k`, `1.2M`. */
export function formatTokens(n: number): string {
  if (n < 1000) return String(Math.round(n));
  const [value, unit] = n < 1_000_000 ? [n / 1000, "k"] : [n / 1_000_000, "M"];
  return `${value < 100 ? value.toFixed(1).replace(/\.0$/, "") : Math.round(value)}${unit}`;
}

/** `$1.23`, `$0.042`, `$0.0003`. */
export function formatCost(usd: number): string {
  const digits = usd >= 1 ? 2 : usd >= 0.01 ? 3 : 4;
  return `$${usd.toFixed(digits)}`;
}

/** `12.3k in · 8k cached · 1.2k out · $0.042`: only what was reported; null when nothing was. */
export function formatUsage(usage: RunUsage | null): string | null {
  if (usage === null) return null;
  const parts: string[] = [];
  if (usage.inputTokens !== undefined) parts.push(`${formatTokens(usage.inputTokens)} in`);
  if (usage.cachedTokens !== undefined) parts.push(`${formatTokens(usage.cachedTokens)} cached`);
  if (usage.outputTokens !== undefined) parts.push(`${formatTokens(usage.outputTokens)} out`);
  if (usage.costUsd !== undefined) parts.push(formatCost(usage.costUsd));
  return parts.length > 0 ? parts.join(" · ") : null;
}

/** A chat's usage since the bridge started: the sums of what its runs reported. */
export interface UsageTotal extends RunUsage {
  /** Runs that reported any usage. */
  runs: number;
}

/** Usage totals per chat id, in memory: they start again with the bridge. */
export class UsageTotals {
  readonly #byChat = new Map<number, UsageTotal>();

  add(chatId: number, usage: RunUsage | null): void {
    if (usage === null) return;
    const total = this.#byChat.get(chatId) ?? { runs: 0 };
    total.runs += 1;
    for (const key of ["inputTokens", "outputTokens", "cachedTokens", "costUsd"] as const) {
      const value = usage[key];
      if (value !== undefined) total[key] = (total[key] ?? 0) + value;
    }
    this.#byChat.set(chatId, total);
  }

  /** A copy of the chat's totals, or null when none of its runs reported usage. */
  get(chatId: number): UsageTotal | null {
    const total = this.#byChat.get(chatId);
    return total === undefined ? null : { ...total };
  }
}
