import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../../src/telegram/markdown.js";
import { splitMarkdownBody } from "../../../src/render/split.js";

describe("splitMarkdownBody", () => {
  it("closes a fence at the end of a chunk and reopens it with its header (test_split_markdown_body_closes_and_reopens_fence)", () => {
    const body = `\`\`\`py\n${"line\n".repeat(10)}\`\`\`\n\npost`;
    const chunks = splitMarkdownBody(body, 40);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0]?.trimEnd().endsWith("```")).toBe(true);
    expect(chunks[1]?.startsWith("```py\n")).toBe(true);
    expect(chunks).toEqual([
      "```py\nline\nline\nline\nline\nline\nline\n```",
      "```py\nline\nline\nline\nline\n```\n\npost",
    ]);
  });

  it("keeps every chunk within the limit and every code line in a pre block", () => {
    const body = `intro\n\n\`\`\`ts\n${Array.from({ length: 60 }, (_, i) => `const v${i} = ${i};`).join("\n")}\n\`\`\`\n\nafter the code`;
    const chunks = splitMarkdownBody(body, 200);
    const codeLines: string[] = [];
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(200);
      const { text, entities } = renderMarkdown(chunk);
      for (const entity of entities) {
        if (entity.type === "pre") {
          expect(entity.language).toBe("ts");
          codeLines.push(...text.slice(entity.offset, entity.offset + entity.length).split("\n"));
        }
      }
    }
    expect(codeLines).toEqual(Array.from({ length: 60 }, (_, i) => `const v${i} = ${i};`));
    expect(chunks[0]?.startsWith("intro\n\n```ts\n")).toBe(true);
    expect(chunks.at(-1)?.endsWith("```\n\nafter the code")).toBe(true);
  });

  it("packs whole paragraphs greedily, separators staying with the paragraph before them", () => {
    expect(splitMarkdownBody("aaa\n\nbbb\n\n\nccc", 10)).toEqual(["aaa\n\n", "bbb\n\n\nccc"]);
    expect(splitMarkdownBody("aaa\n\nbb\n\nccc", 10)).toEqual(["aaa\n\nbb\n\n", "ccc"]);
    expect(splitMarkdownBody("aaa\n\nbbb", 100)).toEqual(["aaa\n\nbbb"]);
  });

  it("splits a paragraph too long for a chunk by lines, then cuts lines too long for one", () => {
    expect(splitMarkdownBody("one\ntwo\nthree\nfour", 9)).toEqual(["one\ntwo\n", "three\n", "four"]);
    expect(splitMarkdownBody("abcdefghij", 4)).toEqual(["abcd", "efgh", "ij"]);
  });

  it("reassembles to the original body when no fence is involved", () => {
    const body = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} ${"word ".repeat(i % 7)}\n${"x".repeat(i * 3)}`).join("\n\n");
    const chunks = splitMarkdownBody(body, 120);
    expect(chunks.join("")).toBe(body);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(120);
  });

  it("never splits a surrogate pair", () => {
    const chunks = splitMarkdownBody("😀".repeat(10), 5);
    expect(chunks.join("")).toBe("😀".repeat(10));
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(5);
      expect(Array.from(chunk).join("")).toBe(chunk);
      expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(chunk)).toBe(false);
    }
  });

  it("drops whitespace-only chunks and bodies", () => {
    expect(splitMarkdownBody("", 10)).toEqual([]);
    expect(splitMarkdownBody(" \n\n \n", 10)).toEqual([]);
    expect(splitMarkdownBody("text\n\n          \n\n", 8)).toEqual(["text\n\n"]);
  });

  it("closes a fence the body leaves open, so it cannot swallow the footer", () => {
    expect(splitMarkdownBody("```\nunterminated", 100)).toEqual(["```\nunterminated\n```"]);
  });

  it("reopens tilde fences and indented fences with their own marker", () => {
    const body = `- item\n\n  ~~~~sh\n${"  echo hi\n".repeat(6)}  ~~~~\n`;
    const chunks = splitMarkdownBody(body, 50);
    expect(chunks[0]?.endsWith("\n  ~~~~")).toBe(true);
    expect(chunks[1]?.startsWith("  ~~~~sh\n")).toBe(true);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(50);
  });

  it("reopens with the bare fence when the header line would crowd out the content", () => {
    const header = `\`\`\`${"x".repeat(60)}`;
    const chunks = splitMarkdownBody(`${header}\n${"code line\n".repeat(20)}\`\`\``, 100);
    expect(chunks[0]?.startsWith(header)).toBe(true);
    expect(chunks[1]?.startsWith("```\ncode line")).toBe(true);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(100);
  });

  it("terminates on a fence run longer than a chunk", () => {
    const chunks = splitMarkdownBody(`${"`".repeat(30)}\ncode\n${"`".repeat(30)}`, 10);
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(10);
  });
});
