import { describe, expect, it } from "vitest";
import { formatElapsed, shorten } from "../../../src/render/text.js";

describe("shorten", () => {
  // Expected values are CPython's textwrap.shorten(text, width, placeholder="…"),
  // applied only when the text is too long, as upstream does.
  it.each([
    ["hello   world  foo bar baz", 15, "hello world…"],
    ["one two three", 8, "one two…"],
    ["hello world", 6, "hello…"],
    ["abcdefghijkl", 5, "…"],
    ["npm run build-all --watch", 16, "npm run build-…"],
    ["x 12-34-56-78-90-12-34", 10, "x 12-34-…"],
    ['git commit -m "fix: the thing"', 20, 'git commit -m "fix:…'],
    ["python jsonlines-parser handle unknown fields", 25, "python jsonlines-parser…"],
    ["emoji 😀😀😀 text more words", 14, "emoji 😀😀😀…"],
    ["a--b c--d e", 6, "a--b…"],
    ["  lead  and trail  ", 10, "lead and…"],
  ])("%j at width %i", (text, width, expected) => {
    expect(shorten(text, width)).toBe(expected);
  });

  it("leaves text that fits untouched, whitespace included", () => {
    expect(shorten("a   b", 5)).toBe("a   b");
    expect(shorten("hello", 300)).toBe("hello");
  });

  it("collapses whitespace when only that makes it fit", () => {
    expect(shorten("a    b", 4)).toBe("a b");
  });

  it("returns nothing for a width of zero or less", () => {
    expect(shorten("hello", 0)).toBe("");
    expect(shorten("hello", -3)).toBe("");
  });

  it("never exceeds the width (test_shorten_and_action_status_branches)", () => {
    const shortened = shorten("hello world", 6);
    expect(shortened.endsWith("…")).toBe(true);
    expect(shortened.length).toBeLessThanOrEqual(6);
  });
});

describe("formatElapsed", () => {
  it.each([
    [0, "0s"],
    [1.4, "1s"],
    [59.9, "59s"],
    [61, "1m 01s"],
    [3599, "59m 59s"],
    [3661, "1h 01m"],
    [-5, "0s"],
  ])("%d seconds → %s", (seconds, expected) => {
    expect(formatElapsed(seconds)).toBe(expected);
  });
});
