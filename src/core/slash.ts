/**
 * `/command args` parsing, shared by the built-in chat commands
 * and command plugins.
 */

export interface SlashCommand {
  /** Lower-cased, without `/` and without `@botname`. */
  command: string;
  /** The rest of the first line, then any further lines. */
  argsText: string;
}

/** The command in `text`, or null when the text is not a command (`/` alone is not). */
export function parseSlashCommand(text: string): SlashCommand | null {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("/")) return null;
  const newline = trimmed.indexOf("\n");
  const firstLine = newline === -1 ? trimmed : trimmed.slice(0, newline);
  const rest = newline === -1 ? null : trimmed.slice(newline + 1);
  const space = firstLine.indexOf(" ");
  const token = space === -1 ? firstLine : firstLine.slice(0, space);
  const command = token.slice(1).split("@")[0]?.toLowerCase() ?? "";
  if (command === "") return null;
  let argsText = space === -1 ? "" : firstLine.slice(space + 1);
  if (rest !== null) argsText = argsText === "" ? rest : `${argsText}\n${rest}`;
  return { command, argsText };
}

/**
 * Splits like Python's `shlex.split` (POSIX mode, no comments): quotes group
 * words, backslash escapes outside single quotes. Unbalanced quotes or a
 * trailing backslash fall back to plain whitespace splitting, as upstream does.
 */
export function splitArgs(text: string): string[] {
  return shellSplit(text) ?? text.split(/\s+/).filter((word) => word !== "");
}

/** Characters a backslash escapes inside double quotes (POSIX). */
const DOUBLE_QUOTE_ESCAPES = new Set(["\\", '"', "$", "`", "\n"]);

function shellSplit(text: string): string[] | null {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] as string;
    if (quote === "'") {
      if (char === "'") quote = null;
      else word += char;
      continue;
    }
    if (quote === '"') {
      if (char === '"') {
        quote = null;
      } else if (char === "\\" && i + 1 < text.length && DOUBLE_QUOTE_ESCAPES.has(text[i + 1] as string)) {
        word += text[i + 1] as string;
        i += 1;
      } else {
        word += char;
      }
      continue;
    }
    if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (char === "'" || char === '"') {
      quote = char;
    } else if (char === "\\") {
      if (i + 1 >= text.length) return null;
      word += text[i + 1] as string;
      i += 1;
    } else {
      word += char;
    }
  }
  if (quote !== null) return null;
  if (inWord) words.push(word);
  return words;
}
