import { describe, expect, it } from "vitest";
import { isSendableUrl, normalizeNestedListMarkers, renderMarkdown, type MessageEntity } from "../../../src/telegram/markdown.js";

/** Each entity as [type, the text it covers], so offsets are checked by slicing. */
function covered(text: string, entities: MessageEntity[]): [string, string][] {
  return entities.map((entity) => [entity.type, text.slice(entity.offset, entity.offset + entity.length)]);
}

describe("renderMarkdown (ports of tests/test_rendering.py)", () => {
  it("renders bold and inline code as entities (test_render_markdown_basic_entities)", () => {
    const { text, entities } = renderMarkdown("**bold** and `code`");
    expect(text).toBe("bold and code\n\n");
    expect(entities).toEqual([
      { type: "bold", offset: 0, length: 4 },
      { type: "code", offset: 9, length: 4 },
    ]);
  });

  it("gives a fenced block a pre with a string language and a code (test_render_markdown_code_fence_language_is_string)", () => {
    const { text, entities } = renderMarkdown("```py\nprint('x')\n```");
    expect(text).toBe("print('x')\n\n");
    expect(entities).toEqual([
      { type: "pre", offset: 0, length: 10, language: "py" },
      { type: "code", offset: 0, length: 10 },
    ]);
  });

  it("drops links to local paths but keeps their text (test_render_markdown_drops_local_text_links)", () => {
    const { text, entities } = renderMarkdown("[/tmp/file.py#L12](/tmp/file.py#L12)");
    expect(text).toContain("/tmp/file.py#L12");
    expect(entities.some((entity) => entity.type === "text_link")).toBe(false);
  });

  it("keeps https links (test_render_markdown_keeps_https_text_links)", () => {
    const { text, entities } = renderMarkdown("[docs](https://example.com/path)");
    expect(text).toBe("docs\n\n");
    expect(entities).toEqual([{ type: "text_link", offset: 0, length: 4, url: "https://example.com/path" }]);
  });

  it("keeps ordered numbering across unindented sub-bullets (test_render_markdown_keeps_ordered_numbering_with_unindented_sub_bullets)", () => {
    const markdown = [
      "1. Tune maker",
      "- Sweep",
      "- Keep data",
      "1. Increase",
      "- Raise target",
      "- Keep",
      "1. Train",
      "- Start",
      "1. Add",
      "- Keep exposure",
      "1. Run",
      "- Target pnl",
      "",
    ].join("\n");
    const { text } = renderMarkdown(markdown);
    const numbered = text.split("\n").filter((line) => /^\d+\.\s/.test(line));
    expect(numbered).toEqual(["1. Tune maker", "2. Increase", "3. Train", "4. Add", "5. Run"]);
    expect(text.startsWith("1. Tune maker\n   - Sweep\n   - Keep data\n2. Increase\n")).toBe(true);
  });
});

describe("renderMarkdown blocks", () => {
  it("separates paragraphs by a blank line; a soft break is a space, a hard break a newline", () => {
    expect(renderMarkdown("one\ntwo\n\nthree  \nfour\\\nfive").text).toBe("one two\n\nthree\nfour\nfive\n\n");
  });

  it("renders headings bold", () => {
    const { text, entities } = renderMarkdown("# Title\n\nbody\n\n## Sub *it*");
    expect(text).toBe("Title\n\nbody\n\nSub it\n\n");
    expect(covered(text, entities)).toEqual([
      ["bold", "Title"],
      ["bold", "Sub it"],
      ["italic", "it"],
    ]);
  });

  it("renders lists with - and N. markers, nested items indented under their text", () => {
    const markdown = "- a\n- b\n  - c\n    1. deep\n- e\n\n3. x\n4. y\n\nafter";
    expect(renderMarkdown(markdown).text).toBe("- a\n- b\n  - c\n    1. deep\n- e\n\n3. x\n4. y\n\nafter\n\n");
  });

  it("numbers an ordered list from its start, whatever the source numbers", () => {
    expect(renderMarkdown("1) a\n1) b\n1) c").text).toBe("1. a\n2. b\n3. c\n\n");
  });

  it("indents the continuation of a list item, code included", () => {
    const markdown = "- first  \n  second line\n- code:\n\n  ```sh\n  make\n  make test\n  ```\n";
    const { text, entities } = renderMarkdown(markdown);
    expect(text).toBe("- first\n  second line\n\n- code:\n\n  make\n  make test\n\n");
    expect(covered(text, entities)).toEqual([
      ["pre", "make\n  make test"],
      ["code", "make\n  make test"],
    ]);
  });

  it("renders a blockquote as one blockquote entity, nested quotes included", () => {
    const { text, entities } = renderMarkdown("> quoted **b**\n> > inner\n\nout");
    expect(text).toBe("quoted b\n\ninner\n\nout\n\n");
    expect(covered(text, entities)).toEqual([
      ["blockquote", "quoted b\n\ninner"],
      ["bold", "b"],
    ]);
  });

  it("renders strikethrough, italic and a thematic break", () => {
    const { text, entities } = renderMarkdown("~~old~~ *new*\n\n---\n\nend");
    expect(text).toBe("old new\n\n———\n\nend\n\n");
    expect(covered(text, entities)).toEqual([
      ["strikethrough", "old"],
      ["italic", "new"],
    ]);
  });

  it("renders a fence without language as pre without language, and an indented code block the same way", () => {
    expect(renderMarkdown("```\nx = 1\n```").entities).toEqual([
      { type: "pre", offset: 0, length: 5 },
      { type: "code", offset: 0, length: 5 },
    ]);
    expect(renderMarkdown("text\n\n    indented\n").entities).toEqual([
      { type: "pre", offset: 6, length: 8 },
      { type: "code", offset: 6, length: 8 },
    ]);
    expect(renderMarkdown("~~~rust extra words\nfn main() {}\n~~~").entities[0]).toEqual({
      type: "pre",
      offset: 0,
      length: 12,
      language: "rust",
    });
  });

  it("keeps raw HTML as text", () => {
    const { text, entities } = renderMarkdown("<b>not bold</b> &amp; <script>x</script>");
    expect(text).toBe("<b>not bold</b> & <script>x</script>\n\n");
    expect(entities).toEqual([]);
  });

  it("renders nothing for empty input", () => {
    expect(renderMarkdown("")).toEqual({ text: "", entities: [] });
    expect(renderMarkdown("   \n\n")).toEqual({ text: "", entities: [] });
  });

  it("drops empty entities", () => {
    expect(renderMarkdown("[](https://example.com) x").entities).toEqual([]);
  });
});

describe("renderMarkdown offsets are UTF-16 code units", () => {
  it("counts emoji as two units and CJK as one", () => {
    const markdown = "👩‍💻 **😀 bold** `中文` [🔗 link](https://example.com) _日本語_";
    const { text, entities } = renderMarkdown(markdown);
    expect(text).toBe("👩‍💻 😀 bold 中文 🔗 link 日本語\n\n");
    expect(covered(text, entities)).toEqual([
      ["bold", "😀 bold"],
      ["code", "中文"],
      ["text_link", "🔗 link"],
      ["italic", "日本語"],
    ]);
    // 👩‍💻 is 5 UTF-16 units (two surrogate pairs and a ZWJ), then a space.
    expect(entities[0]).toEqual({ type: "bold", offset: 6, length: 7 });
  });

  it("keeps offsets right after astral characters inside code blocks and lists", () => {
    const { text, entities } = renderMarkdown("- 🎉 item\n- `𝒳`\n\n```\n🐍 = 1\n```");
    expect(text).toBe("- 🎉 item\n- 𝒳\n\n🐍 = 1\n\n");
    expect(covered(text, entities)).toEqual([
      ["code", "𝒳"],
      ["pre", "🐍 = 1"],
      ["code", "🐍 = 1"],
    ]);
  });
});

describe("link filtering", () => {
  it.each([
    ["https://example.com/path", true],
    ["http://example.com", true],
    ["HTTPS://EXAMPLE.COM/x", true],
    ["tg://resolve?domain=takopi", true],
    ["tg:settings", true],
    ["/tmp/file.py#L12", false],
    ["file:///etc/passwd", false],
    ["mailto:me@example.com", false],
    ["ftp://example.com/x", false],
    ["http:example.com", false],
    ["https://", false],
    ["relative/path", false],
    ["", false],
  ])("%j sendable: %s", (href, expected) => {
    expect(isSendableUrl(href)).toBe(expected);
  });

  it("keeps the text of dropped links, and of links markdown-it refuses", () => {
    const { text, entities } = renderMarkdown("[mail](mailto:a@b.c) [js](javascript:alert(1)) [tg](tg://resolve?domain=x)");
    expect(text).toBe("mail [js](javascript:alert(1)) tg\n\n");
    expect(entities).toEqual([{ type: "text_link", offset: text.indexOf("tg"), length: 2, url: "tg://resolve?domain=x" }]);
  });

  it("links autolinks and images with a sendable address", () => {
    const { text, entities } = renderMarkdown("<https://example.com> ![chart](https://example.com/c.png) ![local](./c.png)");
    expect(text).toBe("https://example.com chart local\n\n");
    expect(covered(text, entities)).toEqual([
      ["text_link", "https://example.com"],
      ["text_link", "chart"],
    ]);
  });

  it("nests formatting inside a link", () => {
    const { text, entities } = renderMarkdown("[**bold** link](https://example.com)");
    expect(entities).toEqual([
      { type: "text_link", offset: 0, length: 9, url: "https://example.com" },
      { type: "bold", offset: 0, length: 4 },
    ]);
    expect(text).toBe("bold link\n\n");
  });
});

describe("normalizeNestedListMarkers", () => {
  it("indents bullets that follow a numbered item to its content column", () => {
    expect(normalizeNestedListMarkers("1. a\n- x\n- y\n2. b")).toBe("1. a\n   - x\n   - y\n2. b");
    expect(normalizeNestedListMarkers("10. a\n* x\n11. b")).toBe("10. a\n    * x\n11. b");
    expect(normalizeNestedListMarkers("  1. a\n  + x")).toBe("  1. a\n     + x");
  });

  it("moves lines nested under a moved bullet along with it", () => {
    expect(normalizeNestedListMarkers("1. a\n- x\n  - deep\n2. b")).toBe("1. a\n   - x\n     - deep\n2. b");
  });

  it("leaves bullets alone after a blank line, another line, at another indent, or inside code", () => {
    expect(normalizeNestedListMarkers("1. a\n\n- x")).toBe("1. a\n\n- x");
    expect(normalizeNestedListMarkers("1. a\ntext\n- x")).toBe("1. a\ntext\n- x");
    expect(normalizeNestedListMarkers("  1. a\n- x")).toBe("  1. a\n- x");
    expect(normalizeNestedListMarkers("- x\n- y")).toBe("- x\n- y");
    expect(normalizeNestedListMarkers("```\n1. a\n- x\n```")).toBe("```\n1. a\n- x\n```");
  });
});
