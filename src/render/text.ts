/** Small text rules shared by progress and final messages (spec §7.5, §7.7). */

/**
 * Python's `textwrap.shorten(text, width, placeholder="…")`, applied only when
 * the text is too long: whitespace collapsed, whole words dropped from the end.
 */
export function shorten(text: string, width: number): string {
  if (width <= 0) return "";
  if (text.length <= width) return text;
  const words = text.split(/\s+/).filter((word) => word !== "");
  const collapsed = words.join(" ");
  if (collapsed.length <= width) return collapsed;
  const placeholder = "…";
  let kept = "";
  for (const word of words) {
    const next = kept === "" ? word : `${kept} ${word}`;
    if (next.length + placeholder.length > width) break;
    kept = next;
  }
  return kept === "" ? placeholder : `${kept}${placeholder}`;
}

/** `42s`, `3m 07s`, `2h 05m` — whole seconds, negative clamped to zero. */
export function formatElapsed(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m ${String(total % 60).padStart(2, "0")}s`;
  return `${Math.floor(total / 3600)}h ${String(Math.floor((total % 3600) / 60)).padStart(2, "0")}m`;
}
