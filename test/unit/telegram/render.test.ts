import { describe, expect, it } from "vitest";
import { MAX_BODY_CHARS } from "../../../src/render/final.js";
import type { MessageEntity } from "../../../src/telegram/markdown.js";
import { PROGRESS_LABELS } from "../../../src/render/progress.js";
import {
  CANCEL_CALLBACK_DATA,
  CANCEL_MARKUP,
  CLEAR_MARKUP,
  prepareTelegram,
  replyMarkup,
  TELEGRAM_TEXT_LIMIT,
  type RenderedMessage,
} from "../../../src/telegram/render.js";
import { prng } from "../../support/prng.js";

const RESUME = "`codex resume 0199a213-81c0-7800-8aa1-bbab2a035a53`";

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** What Telegram needs of a message: fits, entities inside the text, sorted, properly nested. */
function expectSendable(message: RenderedMessage): void {
  const { text, entities } = message;
  expect(text.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
  let previous: MessageEntity | undefined;
  for (const entity of entities) {
    expect(entity.length).toBeGreaterThan(0);
    expect(entity.offset).toBeGreaterThanOrEqual(0);
    expect(entity.offset + entity.length).toBeLessThanOrEqual(text.length);
    // No entity edge falls between the halves of a surrogate pair.
    expect(isHighSurrogate(text.charCodeAt(entity.offset - 1)) && entity.offset > 0).toBe(false);
    expect(isHighSurrogate(text.charCodeAt(entity.offset + entity.length - 1))).toBe(false);
    if (previous !== undefined) expect(entity.offset).toBeGreaterThanOrEqual(previous.offset);
    previous = entity;
  }
  for (const [i, outer] of entities.entries()) {
    for (const inner of entities.slice(i + 1)) {
      const outerEnd = outer.offset + outer.length;
      if (inner.offset >= outerEnd) continue;
      // Overlapping entities nest: the later one lies inside the earlier one.
      expect(inner.offset + inner.length).toBeLessThanOrEqual(outerEnd);
      if (outer.type === "code") throw new Error(`code contains ${inner.type}`);
      if (outer.type === "pre") {
        expect(inner).toEqual({ type: "code", offset: outer.offset, length: outer.length });
      }
      if (outer.type === "blockquote") expect(inner.type).not.toBe("blockquote");
      if (outer.type === "text_link") expect(inner.type).not.toBe("text_link");
    }
  }
}

describe("prepareTelegram, trim mode", () => {
  it("trims the body and keeps header and footer (test_prepare_telegram_trims_body_preserves_footer)", () => {
    const messages = prepareTelegram({ header: "header", body: "x".repeat(MAX_BODY_CHARS + 100), footer: "footer" });
    expect(messages).toHaveLength(1);
    const chunks = messages[0].text.split("\n\n").filter((chunk) => chunk !== "");
    expect(chunks[0]).toBe("header");
    expect(chunks.at(-1)?.trimEnd()).toBe("footer");
    expect(chunks[1]).toHaveLength(MAX_BODY_CHARS);
    expect(chunks[1]?.endsWith("…")).toBe(true);
  });

  it("keeps entities when the body is trimmed (test_prepare_telegram_preserves_entities_on_truncate)", () => {
    const [message] = prepareTelegram({ header: "h", body: `**bold** ${"x".repeat(MAX_BODY_CHARS + 100)}` });
    expect(message.entities.some((entity) => entity.type === "bold")).toBe(true);
  });

  it("renders header, body and footer as one message", () => {
    const messages = prepareTelegram({ header: "done · codex · 3s", body: "**answer**", footer: RESUME });
    expect(messages).toEqual([
      {
        text: "done · codex · 3s\n\nanswer\n\ncodex resume 0199a213-81c0-7800-8aa1-bbab2a035a53\n\n",
        entities: [
          { type: "bold", offset: 19, length: 6 },
          { type: "code", offset: 27, length: 49 },
        ],
      },
    ]);
  });

  it("skips a blank body", () => {
    expect(prepareTelegram({ header: "h", body: "  \n ", footer: "f" })).toEqual([{ text: "h\n\nf\n\n", entities: [] }]);
    expect(prepareTelegram({ header: "h" }, { overflow: "split" })).toEqual([{ text: "h\n\n", entities: [] }]);
  });

  it("keeps the resume line out of a code block the cut went through (upstream's blind cut, fixed)", () => {
    const body = `Here is the file:\n\n\`\`\`ts\n${"const value = compute();\n".repeat(300)}\`\`\``;
    const [message] = prepareTelegram({ header: "done · codex · 9s", body, footer: RESUME });
    expect(message).toBeDefined();
    expectSendable(message);
    expect(message.text.trimEnd().endsWith("codex resume 0199a213-81c0-7800-8aa1-bbab2a035a53")).toBe(true);
    const footer = message.entities.at(-1);
    expect(footer?.type).toBe("code");
    expect(message.entities.filter((entity) => entity.type === "pre")).toHaveLength(1);
  });

  it("shrinks the body when rendering makes it longer than its source", () => {
    // `1.` everywhere renders as 1. … 700. — more characters than the source has.
    const body = Array.from({ length: 900 }, () => "1. a").join("\n");
    const [message] = prepareTelegram({ header: "done", body, footer: RESUME });
    expect(message).toBeDefined();
    expectSendable(message);
    expect(message.text).toContain("\n10. a\n");
    expect(message.text.trimEnd().endsWith("codex resume 0199a213-81c0-7800-8aa1-bbab2a035a53")).toBe(true);
  });

  it("shrinks the body to make room for a long footer", () => {
    const footer = `\`ctx: ${"p".repeat(1000)}\`  \n${RESUME}`;
    const [message] = prepareTelegram({ header: "done", body: "y".repeat(5000), footer });
    expect(message).toBeDefined();
    expectSendable(message);
    expect(message.text.length).toBeGreaterThan(4000);
    expect(message.text.trimEnd().endsWith("codex resume 0199a213-81c0-7800-8aa1-bbab2a035a53")).toBe(true);
  });

  it("cuts the rendered text only when header and footer alone do not fit", () => {
    const messages = prepareTelegram({ header: `**${"h".repeat(3000)}**`, body: "body", footer: `\`${"f".repeat(3000)}\`` });
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expectSendable(message);
    expect(message.text).toHaveLength(TELEGRAM_TEXT_LIMIT);
    expect(message.text.endsWith("…")).toBe(true);
    expect(message.entities.map((entity) => entity.type)).toEqual(["bold", "code"]);
  });
});

describe("prepareTelegram, split mode", () => {
  it("sends the rest of a long answer as follow-ups (test_telegram_presenter_split_overflow_adds_followups)", () => {
    const messages = prepareTelegram(
      { header: "done · codex · 0s", body: "x".repeat(MAX_BODY_CHARS + 10), footer: RESUME },
      { overflow: "split" },
    );
    expect(messages).toHaveLength(2);
    expect(messages[0].text.startsWith(`done · codex · 0s\n\n${"x".repeat(MAX_BODY_CHARS)}\n\n`)).toBe(true);
    expect(messages[1]?.text).toBe(`done · codex · 0s · continued (2/2)\n\n${"x".repeat(10)}\n\ncodex resume 0199a213-81c0-7800-8aa1-bbab2a035a53\n\n`);
    for (const message of messages) {
      expectSendable(message);
      expect(message.entities.at(-1)?.type).toBe("code");
    }
  });

  it("numbers continued headers and repeats the footer on every message", () => {
    const body = Array.from({ length: 30 }, (_, i) => `Paragraph ${i}: ${"lorem ipsum ".repeat(30)}`).join("\n\n");
    const messages = prepareTelegram({ header: "done · claude · 2m 01s", body, footer: `\`ctx: app @main\`  \n${RESUME}` }, { overflow: "split" });
    expect(messages.length).toBeGreaterThan(2);
    for (const [index, message] of messages.entries()) {
      expectSendable(message);
      const firstLine = message.text.split("\n")[0];
      expect(firstLine).toBe(index === 0 ? "done · claude · 2m 01s" : `done · claude · 2m 01s · continued (${index + 1}/${messages.length})`);
      expect(message.text.trimEnd().endsWith("ctx: app @main\ncodex resume 0199a213-81c0-7800-8aa1-bbab2a035a53")).toBe(true);
    }
    const paragraphs = messages.flatMap((message) => message.text.split("\n\n").filter((part) => part.startsWith("Paragraph")));
    expect(paragraphs).toHaveLength(30);
  });

  it("does not split an answer that fits", () => {
    expect(prepareTelegram({ header: "h", body: "short", footer: "f" }, { overflow: "split" })).toEqual([{ text: "h\n\nshort\n\nf\n\n", entities: [] }]);
  });

  it("shrinks chunks when a long footer would push a message over the limit", () => {
    const footer = `\`${"f".repeat(1500)}\``;
    const messages = prepareTelegram({ header: "h", body: "word ".repeat(2000), footer }, { overflow: "split" });
    expect(messages.length).toBeGreaterThan(3);
    for (const message of messages) {
      expectSendable(message);
      expect(message.entities.at(-1)).toEqual({ type: "code", offset: message.text.lastIndexOf("f".repeat(1500)), length: 1500 });
    }
  });
});

describe("reply markup", () => {
  it("offers a cancel button while running and clears it when cancelled or final", () => {
    expect(CANCEL_MARKUP).toEqual({ inline_keyboard: [[{ text: "cancel", callback_data: "takopi:cancel" }]] });
    expect(CANCEL_CALLBACK_DATA).toBe("takopi:cancel");
    expect(CLEAR_MARKUP).toEqual({ inline_keyboard: [] });
    expect(replyMarkup("cancel")).toBe(CANCEL_MARKUP);
    expect(replyMarkup("none")).toBe(CLEAR_MARKUP);
    expect(replyMarkup(undefined)).toBe(CLEAR_MARKUP);
    expect(PROGRESS_LABELS.cancelled).toBe("`cancelled`");
  });

  it("cannot be changed by accident", () => {
    expect(() => {
      (CANCEL_MARKUP.inline_keyboard[0] as unknown[]).push({ text: "x", callback_data: "y" });
    }).toThrow(TypeError);
    expect(() => {
      (CLEAR_MARKUP.inline_keyboard as unknown[]).push([]);
    }).toThrow(TypeError);
  });
});


const FRAGMENTS = [
  "word ",
  "more words here ",
  "**",
  "*",
  "_",
  "__",
  "~~",
  "`",
  "``",
  "\n",
  "\n\n",
  "  \n",
  "\\",
  "\n```py\n",
  "\n```\n",
  "\n~~~\n",
  "\n- ",
  "\n  - ",
  "\n1. ",
  "\n10) ",
  "\n> ",
  "\n> > ",
  "\n# ",
  "\n---\n",
  "\n    indented code\n",
  "[link](https://example.com/a_b)",
  "[local](/tmp/file.py#L3)",
  "[",
  "](",
  ")",
  "<https://example.org>",
  "![img](https://example.com/i.png)",
  "<b>html</b>",
  "&amp;",
  "😀",
  "👩‍💻",
  "中文字符",
  "𝒳",
  "é",
  "x".repeat(200),
  "long paragraph ".repeat(40),
];

function randomMarkdown(next: () => number): string {
  const size = Math.floor(next() * 700);
  let markdown = "";
  for (let i = 0; i < size; i += 1) markdown += FRAGMENTS[Math.floor(next() * FRAGMENTS.length)] ?? "";
  return markdown;
}

describe("prepareTelegram on random markdown", () => {
  it("always yields sendable messages that keep the footer", () => {
    const next = prng(0x7a6b0);
    for (let round = 0; round < 200; round += 1) {
      const body = randomMarkdown(next);
      const footer = next() < 0.5 ? RESUME : `\`ctx: 项目 @main\`  \n${RESUME}`;
      for (const overflow of ["trim", "split"] as const) {
        const messages = prepareTelegram({ header: "done · codex · 1m 02s · step 7", body, footer }, { overflow });
        expect(messages.length).toBeGreaterThan(0);
        if (overflow === "trim") expect(messages).toHaveLength(1);
        for (const message of messages) {
          try {
            expectSendable(message);
          } catch (error) {
            throw new Error(`round ${round} (${overflow}), body ${JSON.stringify(body).slice(0, 400)}…`, { cause: error });
          }
          // Nothing in the body may pull the footer into a code block or a quote.
          expect(message.text.trimEnd(), `round ${round} (${overflow})`).toMatch(/\ncodex resume 0199a213-81c0-7800-8aa1-bbab2a035a53$/);
        }
      }
    }
  });
});
