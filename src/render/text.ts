/** Small text rules shared by progress and final messages: shortening and elapsed time. */

// Python's textwrap splits text into chunks with this expression: whitespace
// runs, and words — broken after a hyphen between letters (`build-` `all`) or
// before an em-dash (`--`). Python's \w is Unicode-aware, hence the classes.
const LETTER = String.raw`[\p{L}\p{M}_]`;
const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}_]`;
const WORD_PUNCT = String.raw`[\p{L}\p{M}\p{N}_!"'&.,?]`;
const SPACE = String.raw`[\t\n\v\f\r ]`;
const NON_SPACE = String.raw`[^\t\n\v\f\r ]`;
const WORD_SEPARATOR = new RegExp(
  `(${SPACE}+` +
    `|(?<=${WORD_PUNCT})-{2,}(?=${WORD_CHAR})` +
    `|${NON_SPACE}+?(?:-(?:(?<=${LETTER}{2}-)|(?<=${LETTER}-${LETTER}-))(?=${LETTER}-?${LETTER})` +
    `|(?=${SPACE}|$)` +
    `|(?<=${WORD_PUNCT})(?=-{2,}${WORD_CHAR})))`,
  "u",
);

const PLACEHOLDER = "…";

/** Length in code points, as Python's `len` counts. */
function width(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/**
 * Python's `textwrap.shorten(text, width, placeholder="…")`, applied only when
 * the text is too long: whitespace collapsed, then as many whole chunks (words,
 * or word parts up to a hyphen) as fit before the `…`. Lengths count code
 * points, like Python's.
 */
export function shorten(text: string, limit: number): string {
  if (limit <= 0) return "";
  if (width(text) <= limit) return text;
  const collapsed = text.trim().split(/\s+/).join(" ");
  if (width(collapsed) <= limit) return collapsed;
  return firstLineWithPlaceholder(
    collapsed.split(WORD_SEPARATOR).filter((chunk) => chunk !== ""),
    limit,
  );
}

/** textwrap's `_wrap_chunks` for `max_lines=1`, when the text does not fit on that line. */
function firstLineWithPlaceholder(chunks: string[], limit: number): string {
  const line: string[] = [];
  let used = 0;
  let next = 0;
  while (next < chunks.length) {
    const chunk = chunks[next] ?? "";
    if (used + width(chunk) > limit) break;
    line.push(chunk);
    used += width(chunk);
    next += 1;
  }
  const overflow = chunks[next];
  if (overflow !== undefined && width(overflow) > limit) {
    // A word longer than a whole line is broken, preferably after a hyphen.
    const points = Array.from(overflow);
    const room = limit - used;
    let end = room;
    const hyphen = points.slice(0, room).lastIndexOf("-");
    if (hyphen > 0 && points.slice(0, hyphen).some((point) => point !== "-")) end = hyphen + 1;
    line.push(points.slice(0, end).join(""));
    used += end;
  }
  if (line.length > 0 && (line.at(-1) ?? "").trim() === "") used -= width(line.pop() ?? "");
  while (line.length > 0) {
    const last = line.at(-1) ?? "";
    if (last.trim() !== "" && used + PLACEHOLDER.length <= limit) return `${line.join("")}${PLACEHOLDER}`;
    used -= width(last);
    line.pop();
  }
  return PLACEHOLDER;
}

/** `42s`, `3m 07s`, `2h 05m` — whole seconds, negative clamped to zero. */
export function formatElapsed(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m ${String(total % 60).padStart(2, "0")}s`;
  return `${Math.floor(total / 3600)}h ${String(Math.floor((total % 3600) / 60)).padStart(2, "0")}m`;
}
