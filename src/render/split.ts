/**
 * `message_overflow = "split"`: a long final answer becomes several
 * messages instead of one trimmed one. This module only cuts the body's markdown
 * into chunks; `prepareTelegram` adds the header, `continued (i/N)` and the
 * footer to each.
 */
import { MAX_BODY_CHARS } from "./final.js";
import { fenceCloser, safeCut, scanFences, type FenceState } from "./markdown-source.js";

/**
 * Cuts `body` into chunks of at most `maxChars` characters: at paragraph breaks
 * (runs of 2+ newlines, which stay with the paragraph before them) when they
 * fit, else at line ends, else anywhere (never inside a surrogate pair). Chunks
 * are packed greedily. A chunk that ends inside a code fence is closed with the
 * fence, and the next one reopens it with the original opening line (```` ```py ````),
 * so each chunk renders on its own; a fence the body itself leaves open is
 * closed too, so it cannot swallow the footer. Whitespace-only chunks are dropped.
 *
 * Unlike upstream, the closing and reopening lines count towards `maxChars`.
 */
export function splitMarkdownBody(body: string, maxChars: number = MAX_BODY_CHARS): string[] {
  if (body.trim() === "") return [];
  // Two units hold any single character, an emoji's surrogate pair included.
  const max = Math.max(2, Math.floor(maxChars));
  const pieces = toPieces(body, max);
  const chunks: string[] = [];
  let current = "";
  /** Length of the reopening line at the start of `current`: not content of its own. */
  let reopened = 0;
  let state: FenceState | null = null;
  let index = 0;
  while (index < pieces.length) {
    const piece = pieces[index] ?? "";
    const after = scanFences(piece, state);
    if (current.length + piece.length + fenceCloser(current + piece, after).length <= max) {
      current += piece;
      state = after;
      index += 1;
      continue;
    }
    if (current.length > reopened) {
      chunks.push(current + fenceCloser(current, state));
      const header = reopenLine(state, max);
      current = header;
      reopened = header.length;
      if (header === "") state = null;
      continue;
    }
    // Even a fresh chunk cannot take the piece: cut off what fits.
    const cut = fittingPrefix(piece, current, state, max);
    if (cut > 0) {
      pieces.splice(index, 1, piece.slice(0, cut), piece.slice(cut));
    } else if (current !== "") {
      // The reopening line leaves no room: give up keeping this fence open.
      current = "";
      reopened = 0;
      state = null;
    } else {
      // Only a fence run about as long as a chunk gets here; it goes out as it is.
      chunks.push(piece);
      state = null;
      index += 1;
    }
  }
  if (current.length > reopened) chunks.push(current + fenceCloser(current, state));
  return chunks.filter((chunk) => chunk.trim() !== "");
}

/** Paragraph blocks, and the lines (or hard-cut parts of lines) of blocks too long to keep whole. */
function toPieces(body: string, max: number): string[] {
  const pieces: string[] = [];
  const parts = body.split(/(\n{2,})/);
  for (let index = 0; index < parts.length; index += 2) {
    const block = (parts[index] ?? "") + (parts[index + 1] ?? "");
    if (block === "") continue;
    if (block.length <= max) {
      pieces.push(block);
      continue;
    }
    for (const line of block.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
      let rest = line;
      while (rest.length > max) {
        const end = safeCut(rest, max);
        pieces.push(rest.slice(0, end));
        rest = rest.slice(end);
      }
      if (rest !== "") pieces.push(rest);
    }
  }
  return pieces;
}

/** The line that reopens `state` in a new chunk, or `""` when there is none or it cannot fit. */
function reopenLine(state: FenceState | null, max: number): string {
  if (state === null) return "";
  const closing = state.indent.length + state.fence.length + 1;
  const full = `${state.header}\n`;
  // Leave at least half a chunk for content; an absurd info string loses its language.
  if (full.length + closing <= max / 2) return full;
  const bare = `${state.indent}${state.fence}\n`;
  return bare.length + closing <= max / 2 ? bare : "";
}

/** The longest prefix of `piece` that fits after `current`, its fence closer included; 0 when none. */
function fittingPrefix(piece: string, current: string, state: FenceState | null, max: number): number {
  let room = max - current.length;
  while (room > 0) {
    const end = safeCut(piece, room);
    if (end === 0) return 0;
    const head = piece.slice(0, end);
    const closer = fenceCloser(current + head, scanFences(head, state)).length;
    if (current.length + end + closer <= max) return end;
    // Shrinking by the closer's length usually makes it fit; `end - 1` guarantees progress.
    room = Math.min(end - 1, max - current.length - closer);
  }
  return 0;
}
