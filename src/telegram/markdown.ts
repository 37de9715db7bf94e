/**
 * Markdown → Telegram plain text plus entities. Messages are sent
 * with `entities`, never `parse_mode`: nothing an agent writes can make a send
 * fail on a parse error, and no escaping is needed.
 *
 * markdown-it (CommonMark, raw HTML off, plus `~~strikethrough~~`) parses; this
 * module walks its token stream. The shape of the output follows upstream
 * (markdown-it → HTML → sulguk): blocks end in a blank line — so `**bold**`
 * renders as `"bold\n\n"`, trailing blank line included, as upstream's tests
 * expect (Telegram drops trailing whitespace on display) — a soft line break is
 * a space as in HTML, headings are bold, list items get `-` or `N.` markers with
 * nested content indented under them, and a fenced block becomes a `pre` (with
 * its language) holding a `code` entity of the same range. Offsets and lengths
 * are JavaScript string indices, which are the UTF-16 code units Telegram counts.
 */
import MarkdownIt from "markdown-it";
import type { Token } from "markdown-it";
import type { MessageEntity } from "grammy/types";
import { nextFenceState, type FenceState } from "../render/markdown-source.js";

export type { MessageEntity };

export interface RenderedText {
  text: string;
  entities: MessageEntity[];
}

const parser = new MarkdownIt("commonmark", { html: false }).enable("strikethrough");

/** Renders `markdown` to Telegram text and entities. */
export function renderMarkdown(markdown: string): RenderedText {
  const tokens = parser.parse(normalizeNestedListMarkers(markdown), {});
  const out = new EntityText();
  renderBlocks(tokens, out);
  return out.finish();
}

/**
 * Only `http`/`https` links with a host and `tg:` links with a host or path
 * become `text_link`s, as upstream; Telegram rejects the rest, and agents often
 * link local paths (`[a.py#L3](/repo/a.py#L3)`), which keep their text only.
 */
export function isSendableUrl(href: string): boolean {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return false;
  }
  if (url.protocol === "http:" || url.protocol === "https:") return /^https?:\/\//i.test(href) && url.hostname !== "";
  if (url.protocol === "tg:") return url.host !== "" || url.pathname !== "";
  return false;
}

const ORDERED_ITEM = /^( *)(\d{1,9}[.)])( {1,4})\S/;
const UNORDERED_ITEM = /^( *)[-+*](?: |$)/;

/**
 * Agents often write sub-bullets under a numbered item without indenting them:
 * `1. a` / `- x` / `1. b`. CommonMark reads that as three lists, so every item
 * would be numbered 1. Outside code fences, a run of unordered items at the
 * same indent directly after an ordered item (and lines nested under them) is
 * indented to the ordered item's content column, so the numbering continues
 * (upstream always indents by 3, which is the same for `1.`–`9.`).
 * A blank line or any other line ends the run.
 */
export function normalizeNestedListMarkers(markdown: string): string {
  const lines = markdown.split("\n");
  let fence: FenceState | null = null;
  let run: { indent: number; shift: string; shifted: boolean } | null = null;
  for (const [index, line] of lines.entries()) {
    const before = fence;
    fence = nextFenceState(line, fence);
    const inRun = run;
    if (before !== null || fence !== null) {
      // Code inside a shifted bullet moves with it; other code is left alone.
      if (inRun?.shifted === true && leadingSpaces(line) > inRun.indent) lines[index] = inRun.shift + line;
      else run = null;
      continue;
    }
    const ordered = ORDERED_ITEM.exec(line);
    if (ordered !== null) {
      const [, indent = "", marker = "", gap = ""] = ordered;
      run = { indent: indent.length, shift: " ".repeat(marker.length + gap.length), shifted: false };
      continue;
    }
    if (inRun === null) continue;
    const unordered = UNORDERED_ITEM.exec(line);
    if (unordered !== null && (unordered[1] ?? "").length === inRun.indent) {
      lines[index] = inRun.shift + line;
      inRun.shifted = true;
    } else if (inRun.shifted && line.trim() !== "" && leadingSpaces(line) > inRun.indent) {
      lines[index] = inRun.shift + line;
    } else {
      run = null;
    }
  }
  return lines.join("\n");
}

function leadingSpaces(line: string): number {
  return line.length - line.trimStart().length;
}

interface ListState {
  ordered: boolean;
  next: number;
}

function renderBlocks(tokens: Token[], out: EntityText): void {
  const lists: ListState[] = [];
  let quoteDepth = 0;
  for (const token of tokens) {
    switch (token.type) {
      case "paragraph_open":
        if (!token.hidden) out.breakLine(1);
        break;
      case "paragraph_close":
        if (!token.hidden) out.breakLine(2);
        break;
      case "heading_open":
        out.breakLine(1);
        out.open({ type: "bold", offset: 0, length: 0 });
        break;
      case "heading_close":
        out.close();
        out.breakLine(2);
        break;
      case "inline":
        renderInline(token.children ?? [], out);
        break;
      case "fence":
      case "code_block":
        renderCodeBlock(token, out);
        break;
      case "hr":
        out.breakLine(1);
        out.write("———");
        out.breakLine(2);
        break;
      case "blockquote_open":
        out.breakLine(1);
        // Telegram does not nest blockquotes: only the outermost gets the entity.
        if (quoteDepth === 0) out.open({ type: "blockquote", offset: 0, length: 0 });
        quoteDepth += 1;
        break;
      case "blockquote_close":
        quoteDepth -= 1;
        if (quoteDepth === 0) out.close();
        out.breakLine(2);
        break;
      case "bullet_list_open":
      case "ordered_list_open":
        out.breakLine(1);
        lists.push({ ordered: token.type === "ordered_list_open", next: Number(token.attrGet("start") ?? 1) });
        break;
      case "bullet_list_close":
      case "ordered_list_close":
        lists.pop();
        out.breakLine(lists.length > 0 ? 1 : 2);
        break;
      case "list_item_open": {
        const list = lists.at(-1);
        let marker = "-";
        if (list?.ordered === true) {
          marker = `${list.next}.`;
          list.next += 1;
        }
        out.breakLine(1);
        out.startItem(marker);
        break;
      }
      case "list_item_close":
        out.endItem();
        break;
      default:
        // html_block cannot occur with html disabled; anything else keeps its text.
        if (token.content !== "") out.write(token.content);
    }
  }
}

function renderCodeBlock(token: Token, out: EntityText): void {
  const code = token.content.endsWith("\n") ? token.content.slice(0, -1) : token.content;
  const language = token.type === "fence" ? (parser.utils.unescapeAll(token.info).trim().split(/\s+/)[0] ?? "") : "";
  out.breakLine(1);
  out.open(language === "" ? { type: "pre", offset: 0, length: 0 } : { type: "pre", offset: 0, length: 0, language });
  out.open({ type: "code", offset: 0, length: 0 });
  out.write(code);
  out.close();
  out.close();
  out.breakLine(2);
}

function renderInline(tokens: Token[], out: EntityText): void {
  const links: boolean[] = [];
  for (const token of tokens) {
    switch (token.type) {
      case "text":
      case "text_special":
        out.write(token.content);
        break;
      case "softbreak":
        out.write(" ");
        break;
      case "hardbreak":
        out.write("\n");
        break;
      case "code_inline":
        out.open({ type: "code", offset: 0, length: 0 });
        out.write(token.content);
        out.close();
        break;
      case "strong_open":
        out.open({ type: "bold", offset: 0, length: 0 });
        break;
      case "em_open":
        out.open({ type: "italic", offset: 0, length: 0 });
        break;
      case "s_open":
        out.open({ type: "strikethrough", offset: 0, length: 0 });
        break;
      case "strong_close":
      case "em_close":
      case "s_close":
        out.close();
        break;
      case "link_open": {
        const href = String(token.attrGet("href") ?? "");
        const sendable = isSendableUrl(href);
        links.push(sendable);
        if (sendable) out.open({ type: "text_link", offset: 0, length: 0, url: href });
        break;
      }
      case "link_close":
        if (links.pop() === true) out.close();
        break;
      case "image": {
        const src = String(token.attrGet("src") ?? "");
        const label = token.content === "" ? src : token.content;
        if (isSendableUrl(src)) {
          out.open({ type: "text_link", offset: 0, length: 0, url: src });
          out.write(label);
          out.close();
        } else {
          out.write(label);
        }
        break;
      }
      default:
        if (token.content !== "") out.write(token.content);
    }
  }
}

interface OpenEntity {
  entity: MessageEntity;
  started: boolean;
}

/**
 * Plain text under construction. Block separators are owed, not written, until
 * more text arrives, so nothing ends up indented or inside an entity by
 * accident; an entity starts at its first written character, so an empty one
 * is dropped.
 */
class EntityText {
  #text = "";
  /** In open order, so an outer entity precedes an inner one at the same offset. */
  readonly #entities: OpenEntity[] = [];
  readonly #open: OpenEntity[] = [];
  #owedBreaks = 0;
  readonly #indents: string[] = [];
  #atLineStart = true;
  /** A list marker was just written: its content starts on the marker's line. */
  #afterMarker = false;

  breakLine(count: 1 | 2): void {
    if (this.#text === "" || this.#afterMarker) return;
    this.#owedBreaks = Math.max(this.#owedBreaks, count);
  }

  open(entity: MessageEntity): void {
    const open = { entity, started: false };
    this.#entities.push(open);
    this.#open.push(open);
  }

  close(): void {
    const open = this.#open.pop();
    if (open?.started === true) open.entity.length = this.#text.length - open.entity.offset;
  }

  /** Writes `- ` or `N. ` on a new line; the item's further lines are indented under its text. */
  startItem(marker: string): void {
    this.#afterMarker = false;
    this.write(`${marker} `);
    this.#indents.push(" ".repeat(marker.length + 1));
    this.#afterMarker = true;
  }

  endItem(): void {
    this.#indents.pop();
    this.#afterMarker = false;
  }

  write(chunk: string): void {
    if (chunk === "") return;
    this.#payBreaks();
    for (const [index, line] of chunk.split("\n").entries()) {
      if (index > 0) {
        this.#text += "\n";
        this.#atLineStart = true;
      }
      if (line === "") continue;
      if (this.#atLineStart) {
        this.#text += this.#indents.join("");
        this.#atLineStart = false;
      }
      for (const open of this.#open) {
        if (!open.started) {
          open.started = true;
          open.entity.offset = this.#text.length;
        }
      }
      this.#text += line;
      this.#afterMarker = false;
    }
  }

  finish(): RenderedText {
    this.#payBreaks();
    const entities = this.#entities
      .filter((open) => open.started && open.entity.length > 0)
      .map((open) => open.entity)
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    return { text: this.#text, entities };
  }

  #payBreaks(): void {
    if (this.#owedBreaks === 0) return;
    let present = 0;
    while (present < this.#owedBreaks && this.#text[this.#text.length - 1 - present] === "\n") present += 1;
    this.#text += "\n".repeat(this.#owedBreaks - present);
    this.#owedBreaks = 0;
    this.#atLineStart = true;
  }
}
