import { describe, expect, it } from "vitest";
import { DEFAULT_DENY_GLOBS } from "../../../../src/config/schema.js";
import { denyReason, segmentRegExp } from "../../../../src/telegram/files/deny-globs.js";

describe("denyReason (upstream's PurePosixPath.match)", () => {
  it.each([
    // [path, rule or null] — test_default_deny_globs_cover_sensitive_paths and §18.4's examples
    [".env", ".env"],
    ["config/.env", ".env"],
    [".envrc", ".envrc"],
    ["key.pem", "*.pem"],
    ["secrets/deep/key.pem", "*.pem"],
    [".ssh/id_rsa", ".ssh/**"],
    ["configs/.ssh/id_rsa", ".ssh/**"],
    // `**` is one segment, and patterns match from the right: `.ssh/a/b` is not `.ssh/**`.
    [".ssh/a/b", null],
    [".git/config", ".git/**"],
    ["sub/.git/HEAD", ".git/**"],
    ["sub/.GIT/HEAD", ".git/**"],
    [".gitignore", null],
    ["src/env.ts", null],
    ["pem", null],
    [".env.example", null],
    ["a.pem.txt", null],
  ])("%s → %s", (path, rule) => {
    expect(denyReason(path, DEFAULT_DENY_GLOBS)).toBe(rule);
  });

  it("reports the first matching rule", () => {
    expect(denyReason("x/secret.key", ["*.txt", "*.key", "secret.*"])).toBe("*.key");
  });

  it("matches a multi-segment pattern against the last segments only", () => {
    expect(denyReason("a/b/c.txt", ["b/*.txt"])).toBe("b/*.txt");
    expect(denyReason("b/c.txt", ["a/b/*.txt"])).toBeNull();
    expect(denyReason("b/x/c.txt", ["b/*.txt"])).toBeNull();
  });

  it("never matches an absolute pattern against a project path", () => {
    expect(denyReason("etc/passwd", ["/etc/passwd"])).toBeNull();
  });

  it("collapses empty and `.` segments in patterns and paths", () => {
    expect(denyReason("./a//b.txt", ["a/./b.txt"])).toBe("a/./b.txt");
  });
});

describe("segmentRegExp (fnmatch for one segment)", () => {
  it.each([
    ["*.pem", "key.pem", true],
    ["*.pem", ".pem", true],
    ["?.txt", "a.txt", true],
    ["?.txt", "ab.txt", false],
    ["[abc].txt", "b.txt", true],
    ["[!abc].txt", "b.txt", false],
    ["[!abc].txt", "d.txt", true],
    ["[a-c]x", "bx", true],
    ["[]]x", "]x", true],
    ["[z-a]", "[z-a]", false],
    ["[z-a]", "z", false],
    ["[unclosed", "[unclosed", true],
    ["a.b", "axb", false],
    ["(x)+", "(x)+", true],
    ["**", "anything", true],
    ["*", "", true],
  ])("%s on %s → %s", (glob, name, expected) => {
    expect(segmentRegExp(glob).test(name)).toBe(expected);
  });
});
