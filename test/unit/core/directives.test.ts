import { describe, expect, it } from "vitest";
import {
  defaultProjectFor,
  DirectiveError,
  formatContextLine,
  hasDirective,
  isResumeLine,
  parseContextLine,
  parseDirectives,
  resolveMessage,
  resolveResume,
  stripResumeLines,
  type DirectiveNames,
  type MessageInput,
} from "../../../src/core/directives.js";
import { claudeBackend } from "../../../src/engines/claude/index.js";
import { codexBackend } from "../../../src/engines/codex/index.js";
import { piBackend } from "../../../src/engines/pi/index.js";

const NAMES: DirectiveNames = { engineIds: ["codex", "claude", "pi"], projects: ["proj", "other"] };
const NO_PROJECTS: DirectiveNames = { engineIds: ["codex", "claude"], projects: [] };
/** The real engines' resume lines, in router order. */
const CODECS = [codexBackend, claudeBackend, piBackend];

function directiveError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DirectiveError);
    return (error as DirectiveError).message;
  }
  throw new Error("expected a DirectiveError");
}

describe("hasDirective", () => {
  it.each([
    ["", false],
    ["hello world", false],
    ["/claude hi", true],
    ["/CLAUDE hi", true],
    ["/proj hi", true],
    ["/PROJ hi", true],
    ["/unknown hi", false],
    ["/claude@mybot hi", true],
    ["@main do it", false],
    ["  /claude hi", true],
    ["\n/claude hi", true],
    ["/ hi", false],
    ["/claude /proj hi", true],
    ["/claude /pi conflicting engines are still directives", true],
    ["hi /claude", false],
  ])("%j → %s", (text, expected) => {
    expect(hasDirective(text, NAMES)).toBe(expected);
  });
});

describe("parseDirectives", () => {
  it("reads an engine directive", () => {
    expect(parseDirectives("/claude hi", NAMES)).toEqual({ prompt: "hi", engine: "claude", project: null, branch: null });
  });

  it("reads a project directive", () => {
    expect(parseDirectives("/proj hi", NAMES)).toEqual({ prompt: "hi", engine: null, project: "proj", branch: null });
  });

  it("reads engine and project together, in either order", () => {
    expect(parseDirectives("/claude /proj hi", NAMES)).toMatchObject({ engine: "claude", project: "proj", prompt: "hi" });
    expect(parseDirectives("/proj /claude hi", NAMES)).toMatchObject({ engine: "claude", project: "proj", prompt: "hi" });
  });

  it("reads a branch after a project", () => {
    expect(parseDirectives("/proj @main hi", NAMES)).toEqual({ prompt: "hi", engine: null, project: "proj", branch: "main" });
  });

  it("reads a branch alone and branches with slashes", () => {
    expect(parseDirectives("@feat/api fix it", NAMES)).toEqual({ prompt: "fix it", engine: null, project: null, branch: "feat/api" });
    expect(parseDirectives("@hotfix /pi /other go", NAMES)).toEqual({ prompt: "go", engine: "pi", project: "other", branch: "hotfix" });
  });

  it.each([
    ["/claude /pi hi", "multiple engine directives"],
    ["/proj /other hi", "multiple project directives"],
    ["/proj @a @b hi", "multiple @branch directives"],
    ["/codex /proj /CLAUDE hi", "multiple engine directives"],
  ])("%j is an error: %s", (text, message) => {
    expect(directiveError(() => parseDirectives(text, NAMES))).toBe(message);
  });

  it("takes an inline engine (upstream test_parse_directives_inline_engine)", () => {
    expect(parseDirectives("/claude do it", NO_PROJECTS)).toMatchObject({ engine: "claude", prompt: "do it" });
  });

  it("removes a directive line that is fully consumed", () => {
    expect(parseDirectives("/codex\nhello", NO_PROJECTS)).toMatchObject({ engine: "codex", prompt: "hello" });
    expect(parseDirectives("\n\n  /codex  \n  hello\nworld  \n", NO_PROJECTS)).toMatchObject({ engine: "codex", prompt: "hello\nworld" });
  });

  it("leaves unknown commands in the prompt", () => {
    expect(parseDirectives("/unknown hi", NO_PROJECTS)).toEqual({ prompt: "/unknown hi", engine: null, project: null, branch: null });
  });

  it("stops at the first token that is not a directive", () => {
    expect(parseDirectives("/claude /unknown @main hi", NAMES)).toEqual({ prompt: "/unknown @main hi", engine: "claude", project: null, branch: null });
    expect(parseDirectives("/proj @ hi", NAMES)).toEqual({ prompt: "@ hi", engine: null, project: "proj", branch: null });
    expect(parseDirectives("/codex / hi", NAMES)).toMatchObject({ prompt: "/ hi", engine: "codex" });
  });

  it("strips a bot suffix", () => {
    expect(parseDirectives("/claude@bunny_agent_bot hi", { engineIds: ["claude"], projects: [] })).toMatchObject({ engine: "claude", prompt: "hi" });
    expect(parseDirectives("/PROJ@bot hi", NAMES)).toMatchObject({ project: "proj", prompt: "hi" });
  });

  it("only reads the first non-empty line", () => {
    expect(parseDirectives("hello\n/claude hi", NO_PROJECTS)).toEqual({ prompt: "hello\n/claude hi", engine: null, project: null, branch: null });
  });

  it("keeps text without directives byte for byte", () => {
    const text = "  keep  my   spacing \n\n  and lines  ";
    expect(parseDirectives(text, NAMES).prompt).toBe(text);
    expect(parseDirectives("", NAMES).prompt).toBe("");
    expect(parseDirectives("  \n ", NAMES).prompt).toBe("  \n ");
  });

  it("rejoins the rest of the directive line with single spaces", () => {
    expect(parseDirectives("/pi   fix    this  \nnext   line", NAMES).prompt).toBe("fix this\nnext   line");
  });

  it("uses the given engine id spelling and lower-cased project aliases", () => {
    const names: DirectiveNames = { engineIds: ["Codex"], projects: ["MyApp"] };
    expect(parseDirectives("/codex /myapp hi", names)).toMatchObject({ engine: "Codex", project: "myapp" });
  });
});

describe("parseContextLine", () => {
  it.each([
    ["`ctx: proj @feat/api`", { project: "proj", branch: "feat/api" }],
    ["ctx: proj @ feat", { project: "proj", branch: "feat" }],
    ["  `ctx: PROJ`  ", { project: "proj", branch: null }],
    ["`ctx: proj @main", { project: "proj", branch: "main" }],
    ["CTX: proj @main`", { project: "proj", branch: "main" }],
    ["ctx: proj @", { project: "proj", branch: null }],
  ])("%j", (text, expected) => {
    expect(parseContextLine(text, ["proj"])).toEqual(expected);
  });

  it("takes the last ctx line among the footer lines", () => {
    const reply = "answer\n\n`ctx: proj @old`\n`codex resume abc`\n`ctx: other @new`";
    expect(parseContextLine(reply, ["proj", "other"])).toEqual({ project: "other", branch: "new" });
  });

  it("ignores text without a ctx line", () => {
    expect(parseContextLine(null, ["proj"])).toBeNull();
    expect(parseContextLine("", ["proj"])).toBeNull();
    expect(parseContextLine("the ctx: proj line is mid-sentence", ["proj"])).toBeNull();
    expect(parseContextLine("ctx:\n`ctx:  `", ["proj"])).toBeNull();
  });

  it("refuses a project that is no longer configured", () => {
    expect(directiveError(() => parseContextLine("`ctx: gone @main`", ["proj"]))).toBe(
      "unknown project 'gone' in ctx line; start a new thread or add it back to your config",
    );
  });
});

describe("formatContextLine", () => {
  it("formats project and branch as inline code", () => {
    expect(formatContextLine({ project: "proj", branch: "feat/api" })).toBe("`ctx: proj @feat/api`");
    expect(formatContextLine({ project: "proj", branch: null })).toBe("`ctx: proj`");
  });

  it("uses the configured alias spelling", () => {
    expect(formatContextLine({ project: "myapp", branch: "main" }, ["other", "MyApp"])).toBe("`ctx: MyApp @main`");
  });

  it("has no line without a project", () => {
    expect(formatContextLine(null)).toBeNull();
    expect(formatContextLine({ project: null, branch: "main" })).toBeNull();
  });

  it("reads back what it writes", () => {
    const context = { project: "proj", branch: "feat/x" };
    expect(parseContextLine(`done\n\n${formatContextLine(context) ?? ""}`, ["proj"])).toEqual(context);
  });
});

describe("resume lines", () => {
  it("finds a resume line in the message", () => {
    expect(resolveResume("continue with this\n`codex resume abc-123`", null, CODECS)).toEqual({ engine: "codex", value: "abc-123" });
  });

  it("falls back to the replied-to message", () => {
    expect(resolveResume("and now the tests", "done.\n\n`claude --resume sess-1`", CODECS)).toEqual({ engine: "claude", value: "sess-1" });
  });

  it("prefers the message over the reply", () => {
    expect(resolveResume("`pi --session s2`", "`codex resume old`", CODECS)).toEqual({ engine: "pi", value: "s2" });
  });

  it("takes the last line of an engine", () => {
    expect(resolveResume("`codex resume first`\n`codex resume second`", null, CODECS)).toEqual({ engine: "codex", value: "second" });
  });

  it("asks engines in router order", () => {
    const text = "`claude --resume c1`\n`codex resume x1`";
    expect(resolveResume(text, null, CODECS)).toEqual({ engine: "codex", value: "x1" });
    expect(resolveResume(text, null, [claudeBackend, codexBackend])).toEqual({ engine: "claude", value: "c1" });
  });

  it("finds nothing in plain text or mid-sentence", () => {
    expect(resolveResume("please run codex resume abc for me", "nothing here", CODECS)).toBeNull();
    expect(resolveResume("", undefined, CODECS)).toBeNull();
  });

  it("recognises a resume line of any engine", () => {
    expect(isResumeLine("`claude -r abc`", CODECS)).toBe(true);
    expect(isResumeLine("codex resume abc", CODECS)).toBe(true);
    expect(isResumeLine("codex is great", CODECS)).toBe(false);
  });

  it("strips resume lines from the prompt (upstream test_handle_message_strips_resume_line_from_prompt)", () => {
    expect(stripResumeLines("do this\n`codex resume sid`\nand that", CODECS)).toBe("do this\nand that");
  });

  it("turns a prompt that was only a resume line into `continue`", () => {
    expect(stripResumeLines("  `codex resume sid`  \n\n", CODECS)).toBe("continue");
    expect(stripResumeLines("", CODECS)).toBe("continue");
  });
});

describe("resolveMessage", () => {
  function resolve(overrides: Partial<MessageInput>) {
    return resolveMessage({ text: "hello", names: NAMES, codecs: CODECS, ...overrides });
  }

  it("accepts a backticked ctx line in the reply", () => {
    expect(resolve({ text: "do it", replyText: "`ctx: proj @feat/api`" })).toEqual({
      prompt: "do it",
      resumeToken: null,
      engineOverride: null,
      context: { project: "proj", branch: "feat/api" },
      contextSource: "reply_ctx",
    });
  });

  it("lets the reply ctx line beat the ambient context and new directives", () => {
    const ambient = { project: "proj", branch: "feat/ambient" };
    expect(resolve({ replyText: "`ctx: proj @reply`", ambient })).toMatchObject({ context: { project: "proj", branch: "reply" }, contextSource: "reply_ctx" });
    expect(resolve({ text: "/other @x /claude do it", replyText: "`ctx: proj @reply`" })).toMatchObject({
      prompt: "do it",
      engineOverride: "claude",
      context: { project: "proj", branch: "reply" },
      contextSource: "reply_ctx",
    });
  });

  it("uses the ambient context", () => {
    const ambient = { project: "proj", branch: "feat/ambient" };
    expect(resolve({ ambient })).toMatchObject({ context: ambient, contextSource: "ambient" });
  });

  it("lets directives override the ambient context", () => {
    const ambient = { project: "proj", branch: "feat/ambient" };
    expect(resolve({ text: "/proj @main do it", ambient })).toMatchObject({ prompt: "do it", context: { project: "proj", branch: "main" }, contextSource: "directives" });
  });

  it("merges a bare @branch with the ambient project", () => {
    const ambient = { project: "proj", branch: "feat/ambient" };
    expect(resolve({ text: "@hotfix do it", ambient })).toMatchObject({ context: { project: "proj", branch: "hotfix" }, contextSource: "directives" });
  });

  it("drops the ambient branch when a directive names another project", () => {
    const ambient = { project: "proj", branch: "feat/ambient" };
    expect(resolve({ text: "/other do it", ambient })).toMatchObject({ context: { project: "other", branch: null }, contextSource: "directives" });
    expect(resolve({ text: "/proj do it", ambient })).toMatchObject({ context: { project: "proj", branch: "feat/ambient" }, contextSource: "directives" });
  });

  it("falls back to the default project", () => {
    expect(resolve({ defaultProject: "proj" })).toMatchObject({ context: { project: "proj", branch: null }, contextSource: "default_project" });
    expect(resolve({})).toMatchObject({ context: null, contextSource: "none" });
  });

  it("resolves the resume token from the prompt after directives, then the reply", () => {
    expect(resolve({ text: "/claude `codex resume abc`" })).toMatchObject({ engineOverride: "claude", resumeToken: { engine: "codex", value: "abc" } });
    expect(resolve({ text: "more", replyText: "ok\n`claude --resume s1`" })).toMatchObject({ resumeToken: { engine: "claude", value: "s1" } });
  });

  it("throws for conflicting directives and stale ctx lines", () => {
    expect(directiveError(() => resolve({ text: "/codex /claude hi" }))).toBe("multiple engine directives");
    expect(directiveError(() => resolve({ replyText: "`ctx: gone`" }))).toMatch(/^unknown project 'gone' in ctx line/);
  });
});

describe("defaultProjectFor", () => {
  const projects = { proj: { chat_id: -42 }, other: { chat_id: null }, plain: {} };

  it("prefers the project bound to the chat", () => {
    expect(defaultProjectFor(-42, projects, "other")).toBe("proj");
  });

  it("falls back to the global default", () => {
    expect(defaultProjectFor(7, projects, "other")).toBe("other");
    expect(defaultProjectFor(null, projects, null)).toBeNull();
  });
});
