/**
 * One pino JSON line as one line a person reads (`TAKOPI_LOG_FORMAT=console`):
 *
 *     06:41:08.123 INFO  run started  run=3 chat_id=123 engine=codex cwd=/projects/app
 *     06:41:09.001 WARN  getUpdates failed; retrying  attempt=1 retry_in_ms=2000 err="HttpError: Network request for 'getUpdates' failed!; cause: socket hang up"
 *
 * Local time, the level, the message, then the fields in the order they were
 * logged: plain values bare, strings with spaces or quotes JSON-quoted, nested
 * objects as compact JSON, an error as `Type: message` with its cause. With
 * `stacks` (debug level) an error's stack follows on indented lines. `event`
 * is left out (the message says the same in words; JSON lines keep it).
 *
 * It formats a line pino has already written (and the redactor has already
 * cleaned), so it costs one JSON.parse per line written and nothing per line
 * a level filters out.
 */

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/** Keys the line's head shows, or that say nothing to a reader. */
const HEAD_KEYS = new Set(["level", "time", "msg", "name", "pid", "hostname", "event"]);

/** Keys whose object value is taken for an error (pino's `err`, and the `error` many call sites use). */
const ERROR_KEYS = new Set(["err", "error"]);

const INDENT = "    ";

export interface ConsoleLineOptions {
  /** Print error stacks on the lines after (debug level). */
  stacks: boolean;
}

/** `json` (one line, with or without its newline) → a readable line ending in a newline. Anything not a JSON object passes through. */
export function consoleLine(json: string, options: ConsoleLineOptions): string {
  let entry: unknown;
  try {
    entry = JSON.parse(json);
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  if (!isObject(entry)) return `${json.trimEnd()}\n`;

  const head = [clock(entry.time), levelName(entry.level)];
  if (typeof entry.name === "string" && entry.name !== "takopi") head.push(`[${entry.name}]`);
  const message = typeof entry.msg === "string" ? entry.msg : typeof entry.event === "string" ? entry.event : "";
  head.push(indentLines(message));

  const fields: string[] = [];
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (HEAD_KEYS.has(key) || value === undefined) continue;
    if (ERROR_KEYS.has(key) && isErrorLike(value)) {
      fields.push(`${key}=${quoted(errorText(value))}`);
      if (options.stacks && typeof value.stack === "string") stacks.push(indentLines(`${INDENT}${value.stack}`));
      continue;
    }
    fields.push(`${key}=${shown(value)}`);
  }
  const line = fields.length === 0 ? head.join(" ") : `${head.join(" ")}  ${fields.join(" ")}`;
  return [line, ...stacks].join("\n") + "\n";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An error as pino's serializer, the redactor or `describeError` leave it: a message (or description) and a name. */
function isErrorLike(value: unknown): value is Record<string, unknown> {
  return isObject(value) && (typeof value.message === "string" || (typeof value.description === "string" && typeof value.name === "string"));
}

/** `HttpError: Network request for 'getUpdates' failed! [ECONNRESET]; cause: socket hang up` */
function errorText(error: Record<string, unknown>, depth = 0): string {
  const type = typeof error.type === "string" ? error.type : typeof error.name === "string" ? error.name : "";
  const message = typeof error.message === "string" ? error.message : typeof error.description === "string" ? error.description : "";
  let text = type === "" || message.startsWith(type) ? message : message === "" ? type : `${type}: ${message}`;
  const code = error.code;
  if ((typeof code === "string" || typeof code === "number") && !text.includes(String(code))) text += ` [${String(code)}]`;
  // pino folds a `cause` chain into the message; other shapes keep it apart (an HttpError's `error` too).
  for (const key of ["cause", "error"]) {
    const cause = error[key];
    const causeText = typeof cause === "string" ? cause : isErrorLike(cause) && depth < 3 ? errorText(cause, depth + 1) : null;
    if (causeText !== null && causeText !== "" && !text.includes(causeText)) text += `; ${key === "cause" ? "cause" : "because"}: ${causeText}`;
  }
  return text;
}

/** A field's value: numbers, booleans and null as they are, simple strings bare, everything else quoted or compact JSON. */
function shown(value: unknown): string {
  if (typeof value === "string") return quoted(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  return JSON.stringify(value);
}

/** A string bare when that is unambiguous (no space, quote, `=` or control character; not empty), else JSON-quoted. */
function quoted(text: string): string {
  return text !== "" && !/[\s"'=\\\p{Cc}]/u.test(text) ? text : JSON.stringify(text);
}

/** Continuation lines of a multi-line text indented, so each event still starts at the left edge. */
function indentLines(text: string): string {
  return text.includes("\n") ? text.replace(/\r?\n/g, `\n${INDENT}`) : text;
}

function clock(time: unknown): string {
  const date = typeof time === "number" || typeof time === "string" ? new Date(time) : new Date();
  if (Number.isNaN(date.getTime())) return String(time);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, "0")}`;
}

function levelName(level: unknown): string {
  const name = typeof level === "number" ? LEVEL_NAMES[level] : typeof level === "string" ? level.toUpperCase() : undefined;
  return (name ?? String(level)).padEnd(5);
}
