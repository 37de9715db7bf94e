// The status overlay's usage line, from this worktree's overlay/status (the
// bridge loads the copy linked into node_modules instead).
import { describe, expect, it } from "vitest";
import { describeUsage } from "../../../overlay/status/src/status.js";

describe("/status usage line", () => {
  it("sums what the chat's runs reported, and says when there is nothing", () => {
    expect(describeUsage({ runs: 2, inputTokens: 24_690, outputTokens: 2468, costUsd: 0.0846 })).toBe("usage here since start: 2 runs, 24.7k in · 2.5k out · $0.085");
    expect(describeUsage({ runs: 1, inputTokens: 42, cachedTokens: 40, outputTokens: 7 })).toBe("usage here since start: 1 run, 42 in · 40 cached · 7 out");
    expect(describeUsage(null)).toBe("usage here since start: none reported");
    expect(describeUsage(undefined)).toBe("usage here since start: not kept by this takopi");
  });
});
