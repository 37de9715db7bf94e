import { describe, expect, it } from "vitest";
import { assembleMarkdown, finalParts, MAX_BODY_CHARS, renderFinal, renderFooter, renderHeader, trimBody } from "../../../src/render/final.js";
import { renderMarkdown } from "../../../src/telegram/markdown.js";

describe("header and footer", () => {
  it("joins label, engine, elapsed and step with a middle dot", () => {
    expect(renderHeader({ label: "working", engine: "codex", elapsedSeconds: 3.9, actionCount: 2 })).toBe("working · codex · 3s · step 2");
    expect(renderHeader({ label: "queued", engine: "claude", elapsedSeconds: 0, actionCount: 0 })).toBe("queued · claude · 0s");
  });

  it("puts the context line first and skips missing lines", () => {
    expect(renderFooter("`ctx: app @main`", "`codex resume x`")).toBe("`ctx: app @main`  \n`codex resume x`");
    expect(renderFooter(null, "`codex resume x`")).toBe("`codex resume x`");
    expect(renderFooter("", null)).toBe("");
    // The usage line (show_usage) comes first, as code; the resume line stays last.
    expect(renderFooter("`ctx: app`", "`codex resume x`", "1k in · 7 out")).toBe("`1k in · 7 out`  \n`ctx: app`  \n`codex resume x`");
    expect(renderFooter(null, null, "$0.042")).toBe("`$0.042`");
  });

  it("assembles parts with blank lines, skipping empty ones", () => {
    expect(assembleMarkdown({ header: "h", body: "b", footer: "f" })).toBe("h\n\nb\n\nf");
    expect(assembleMarkdown({ header: "h", body: null, footer: "" })).toBe("h");
  });
});

describe("renderFinal", () => {
  it("renders header, trimmed answer and footer, without the action list", () => {
    const final = renderFinal({
      label: "done",
      engine: "codex",
      elapsedSeconds: 75,
      actionCount: 1,
      body: "\n  all **good**  \n",
      contextLine: "`ctx: app @main`",
      resumeLine: "`codex resume t-1`",
    });
    expect(final).toBe("done · codex · 1m 15s · step 1\n\nall **good**\n\n`ctx: app @main`  \n`codex resume t-1`");
  });

  it("omits a blank answer", () => {
    const parts = finalParts({ label: "error", engine: "pi", elapsedSeconds: 1, actionCount: 0, body: "  \n " });
    expect(parts).toEqual({ header: "error · pi · 1s", body: null, footer: "" });
    expect(renderFinal({ label: "error", engine: "pi", elapsedSeconds: 1, actionCount: 0, body: "" })).toBe("error · pi · 1s");
  });

  it("trims a long answer but keeps the resume line", () => {
    const final = renderFinal({ label: "done", engine: "codex", elapsedSeconds: 0, actionCount: 0, body: "x".repeat(5000), resumeLine: "`codex resume r`" });
    const [, body, footer] = final.split("\n\n");
    expect(body).toHaveLength(MAX_BODY_CHARS);
    expect(footer).toBe("`codex resume r`");
  });
});

describe("trimBody", () => {
  it("leaves a body within the limit alone", () => {
    expect(trimBody("short", 10)).toBe("short");
    expect(trimBody("x".repeat(3500))).toBe("x".repeat(3500));
  });

  it("cuts to exactly the limit, ending in …", () => {
    const trimmed = trimBody("x".repeat(3600));
    expect(trimmed).toHaveLength(3500);
    expect(trimmed).toBe(`${"x".repeat(3499)}…`);
  });

  it("never splits a surrogate pair", () => {
    expect(trimBody("ab😀cd", 4)).toBe("ab…");
    expect(trimBody("😀😀😀", 4)).toBe("😀…");
  });

  it("closes a code fence it cuts through, so the footer is not swallowed (upstream's blind cut, fixed)", () => {
    const body = `intro\n\n\`\`\`py\n${"print(1)\n".repeat(10)}\`\`\`\n\nafter`;
    const trimmed = trimBody(body, 40);
    expect(trimmed).toBe("intro\n\n```py\nprint(1)\nprint(1)\nprin…\n```");
    expect(trimmed).toHaveLength(40);
    const { text, entities } = renderMarkdown(`${trimmed}\n\n\`codex resume r\``);
    expect(text).toBe("intro\n\nprint(1)\nprint(1)\nprin…\n\ncodex resume r\n\n");
    expect(entities.at(-1)).toEqual({ type: "code", offset: text.indexOf("codex"), length: "codex resume r".length });
  });

  it("closes the fence when the … lands on its closing line", () => {
    // "```…" is no closing fence: without an added one the block would swallow the footer.
    const trimmed = trimBody("```\ncode\n```\n\nafter", 13);
    expect(trimmed).toBe("```\ncode…\n```");
    expect(renderMarkdown(`${trimmed}\n\nfooter`).text).toBe("code…\n\nfooter\n\n");
  });

  it("closes a tilde fence with its own run and indentation", () => {
    const trimmed = trimBody(`- item\n\n  ~~~~\n  ${"y".repeat(50)}\n  ~~~~\n`, 30);
    expect(trimmed).toBe(`- item\n\n  ~~~~\n  ${"y".repeat(5)}…\n  ~~~~`);
    expect(trimmed).toHaveLength(30);
  });

  it("closes an inline code span it cuts through with the same backtick run", () => {
    expect(trimBody("run `npm install --save-dev typescript` now", 20)).toBe("run `npm install -…`");
    expect(trimBody("a ``x ` y z w`` b", 10)).toBe("a ``x `…``");
    const { entities } = renderMarkdown(trimBody("run `npm install --save-dev typescript` now", 20));
    expect(entities).toEqual([{ type: "code", offset: 4, length: "npm install -…".length }]);
  });

  it("does not treat escaped or closed backticks as open spans", () => {
    expect(trimBody("\\`not code and more text here", 12)).toBe("\\`not code …");
    expect(trimBody("`a` and `b` and more text", 14)).toBe("`a` and `b` a…");
    expect(trimBody("`a\n\nb and more text", 8)).toBe("`a\n\nb a…");
  });

  it("returns … or nothing for tiny limits", () => {
    expect(trimBody("```\ncode\n```", 5)).toBe("…");
    expect(trimBody("abc", 0)).toBe("");
  });
});
