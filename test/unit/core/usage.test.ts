// Usage in one shape: what each built-in engine reports (raw, as its translator
// keeps it on `completed.usage`), the footer line made of it, and the totals
// per chat that /status reads.
import { describe, expect, it } from "vitest";
import { formatCost, formatTokens, formatUsage, normalizeUsage, UsageTotals } from "../../../src/core/usage.js";

describe("normalizeUsage", () => {
  it("reads codex exec's turn.completed usage, where input counts the cached tokens", () => {
    expect(normalizeUsage({ input_tokens: 12_345, cached_input_tokens: 8000, output_tokens: 1234, reasoning_output_tokens: 0 })).toEqual({
      inputTokens: 12_345,
      cachedTokens: 8000,
      outputTokens: 1234,
    });
  });

  it("reads claude's result: cost at the top, tokens under usage with cache reads and writes apart", () => {
    const raw = {
      total_cost_usd: 0.0423,
      duration_ms: 900,
      usage: { input_tokens: 40, cache_creation_input_tokens: 300, cache_read_input_tokens: 12_000, output_tokens: 1200 },
    };
    expect(normalizeUsage(raw)).toEqual({ inputTokens: 12_340, cachedTokens: 12_000, outputTokens: 1200, costUsd: 0.0423 });
  });

  it("reads opencode's summed tokens and pi's usage with its nested cost", () => {
    expect(normalizeUsage({ total_cost_usd: 0.5, tokens: { input: 10, output: 5, reasoning: 2, cache_read: 0, cache_write: 0 } })).toEqual({
      inputTokens: 10,
      outputTokens: 5,
      costUsd: 0.5,
    });
    expect(normalizeUsage({ input: 42, output: 7, cacheRead: 3, cacheWrite: 0, totalTokens: 52, cost: { total: 0.001 } })).toEqual({
      inputTokens: 45,
      cachedTokens: 3,
      outputTokens: 7,
      costUsd: 0.001,
    });
  });

  it("reads a last-turn token breakdown in camel case (an app-server style report)", () => {
    expect(normalizeUsage({ last: { inputTokens: 100, cachedInputTokens: 40, outputTokens: 9 } })).toEqual({ inputTokens: 100, cachedTokens: 40, outputTokens: 9 });
  });

  it("is null for nothing recognised, and leaves out a zero cost and odd values", () => {
    expect(normalizeUsage(null)).toBeNull();
    expect(normalizeUsage(undefined)).toBeNull();
    expect(normalizeUsage({ duration_ms: 5 })).toBeNull();
    expect(normalizeUsage({ total_cost_usd: 0 })).toBeNull();
    expect(normalizeUsage({ input_tokens: "12", output_tokens: -1, total_cost_usd: Number.NaN })).toBeNull();
  });
});

describe("the usage line", () => {
  it("shows only what was reported, tokens short and cost to a sensible precision", () => {
    expect(formatUsage({ inputTokens: 12_345, outputTokens: 1234, costUsd: 0.0423 })).toBe("12.3k in · 1.2k out · $0.042");
    expect(formatUsage({ inputTokens: 12_340, cachedTokens: 12_000, outputTokens: 7 })).toBe("12.3k in · 12k cached · 7 out");
    expect(formatUsage({ costUsd: 0.000308 })).toBe("$0.0003");
    expect(formatUsage({})).toBeNull();
    expect(formatUsage(null)).toBeNull();
  });

  it("formats token counts and dollars", () => {
    expect([0, 999, 1000, 1050, 99_949, 123_456, 1_234_567].map(formatTokens)).toEqual(["0", "999", "1k", "1.1k", "99.9k", "123k", "1.2M"]);
    expect([12.345, 1, 0.5, 0.01, 0.0099].map(formatCost)).toEqual(["$12.35", "$1.00", "$0.500", "$0.010", "$0.0099"]);
  });
});

describe("UsageTotals", () => {
  it("sums each chat's runs apart, counting only runs that reported usage", () => {
    const totals = new UsageTotals();
    totals.add(1, { inputTokens: 100, outputTokens: 10, costUsd: 0.01 });
    totals.add(1, null);
    totals.add(1, { inputTokens: 50, cachedTokens: 20, outputTokens: 5 });
    totals.add(2, { costUsd: 0.5 });
    expect(totals.get(1)).toEqual({ runs: 2, inputTokens: 150, cachedTokens: 20, outputTokens: 15, costUsd: 0.01 });
    expect(totals.get(2)).toEqual({ runs: 1, costUsd: 0.5 });
    expect(totals.get(3)).toBeNull();
  });

  it("hands out copies", () => {
    const totals = new UsageTotals();
    totals.add(1, { outputTokens: 1 });
    const copy = totals.get(1);
    if (copy !== null) copy.runs = 99;
    expect(totals.get(1)?.runs).toBe(1);
  });
});
