/**
 * Turns the raw tail of an engine's stderr into a few lines fit for an error
 * message: colours stripped, known noise removed, only the end kept.
 */

const MAX_LINES = 5;
const MAX_CHARS = 800;

// CSI sequences (colours, cursor moves) and OSC sequences (titles, links).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

export function cleanStderr(raw: string, noise: readonly RegExp[]): string {
  const lines = stripAnsi(raw)
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "" && !noise.some((pattern) => pattern.test(line)));
  let kept = lines.slice(-MAX_LINES).join("\n");
  if (kept.length > MAX_CHARS) kept = `…${kept.slice(kept.length - MAX_CHARS + 1)}`;
  return kept;
}
