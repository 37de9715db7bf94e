/**
 * Facts about markdown *source* that trimming and splitting need (upstream's
 * trim cuts blindly): whether a cut point sits inside a code fence or an inline
 * code span, and how to close and reopen it. Only line structure and backtick
 * runs are read; the markdown itself is never parsed here.
 */

/** An open ```` ``` ```` or `~~~` fence, with the line that opened it. */
export interface FenceState {
  /** The fence run, e.g. ```` ``` ```` or `~~~~`. */
  fence: string;
  indent: string;
  /** The whole opening line, e.g. ```` ```py ````, used to reopen the fence in the next chunk. */
  header: string;
}

// Fences inside list items are indented by the item's content column, so any
// indentation is accepted, as upstream does. Info strings of backtick fences
// cannot contain backticks (CommonMark), which keeps ```` ```a` ```` inline code.
const FENCE_OPEN = /^([ \t]*)(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE = /^[ \t]*(`{3,}|~{3,})[ \t]*$/;

/** The fence state after `line`, given the state before it. */
export function nextFenceState(line: string, state: FenceState | null): FenceState | null {
  if (state !== null) {
    const run = FENCE_CLOSE.exec(line)?.[1];
    if (run !== undefined && run[0] === state.fence[0] && run.length >= state.fence.length) return null;
    return state;
  }
  const open = FENCE_OPEN.exec(line);
  if (open === null) return null;
  const [, indent = "", fence = "", info = ""] = open;
  if (fence.startsWith("`") && info.includes("`")) return null;
  return { fence, indent, header: line };
}

/** The fence state at the end of `text`, given the state at its start. */
export function scanFences(text: string, state: FenceState | null = null): FenceState | null {
  let current = state;
  for (const line of text.split(/\r?\n|\r/)) current = nextFenceState(line, current);
  return current;
}

/** What closes `state` at the end of `text`: a newline when needed, then the fence run. */
export function fenceCloser(text: string, state: FenceState | null): string {
  if (state === null) return "";
  const newline = text === "" || text.endsWith("\n") || text.endsWith("\r") ? "" : "\n";
  return `${newline}${state.indent}${state.fence}`;
}

/**
 * `text` with a fence it leaves open closed at its end. An agent's answer that
 * forgets its closing fence would otherwise render the footer — the resume
 * line — as part of the code block.
 */
export function closeOpenFence(text: string): string {
  return text + fenceCloser(text, scanFences(text));
}

/** Open markup at the end of a markdown prefix: what a cut there would leave unbalanced. */
export interface OpenMarkup {
  fence: FenceState | null;
  /** Length of the backtick run of an open inline code span; 0 when none is open. */
  codeSpan: number;
}

/**
 * The markup left open at the end of `prefix`. Code spans are tracked within a
 * paragraph only (a blank line or a fence ends them, as in CommonMark);
 * backslash escapes count outside spans and not inside them.
 */
export function openMarkupAt(prefix: string): OpenMarkup {
  let fence: FenceState | null = null;
  let codeSpan = 0;
  const lines = prefix.split(/\r?\n|\r/);
  for (const line of lines) {
    const before = fence;
    fence = nextFenceState(line, fence);
    if (before !== null || fence !== null || line.trim() === "") {
      // Inside or on a fence line, or a blank line: no inline markup carries over.
      codeSpan = 0;
      continue;
    }
    codeSpan = scanCodeSpans(line, codeSpan);
  }
  return { fence, codeSpan };
}

function scanCodeSpans(line: string, open: number): number {
  let span = open;
  let index = 0;
  while (index < line.length) {
    const char = line[index];
    if (char === "\\" && span === 0) {
      index += 2;
      continue;
    }
    if (char !== "`") {
      index += 1;
      continue;
    }
    let run = 0;
    while (line[index + run] === "`") run += 1;
    if (span === 0) span = run;
    else if (run === span) span = 0;
    index += run;
  }
  return span;
}

/** Largest `end <= wanted` that does not split a surrogate pair (an emoji) in `text`. */
export function safeCut(text: string, wanted: number): number {
  let end = Math.max(0, Math.min(wanted, text.length));
  if (end > 0 && end < text.length) {
    const before = text.charCodeAt(end - 1);
    if (before >= 0xd800 && before <= 0xdbff) end -= 1;
  }
  return end;
}
