/**
 * Lines takopi prints without a logger: an error that ends a command, the
 * report of `takopi discover` (the container prints it at every start). In
 * the console format they are printed as they are; in the json format each is
 * one JSON object shaped like takopi's pino lines (`level`, `time`, fields,
 * `msg`), so that everything a container writes parses as JSON.
 *
 * Callers redact; nothing here knows a secret.
 */
import { LEVEL_NUMBERS, logFormat, type LevelName, type LogFormat } from "./settings.js";

/** A pino-shaped JSON line (with its newline). */
export function jsonLine(level: LevelName, msg: string, fields: Readonly<Record<string, unknown>> = {}): string {
  return `${JSON.stringify({ level: LEVEL_NUMBERS[level], time: Date.now(), ...fields, msg })}\n`;
}

export interface Printed {
  level: LevelName;
  /** What the console format prints (its lines as they are). */
  text: string;
  /** The JSON line's message; default: `text`. */
  msg?: string;
  /** The JSON line's fields. */
  fields?: Readonly<Record<string, unknown>>;
}

/** `printed` in `format`, ready to write: its text (with a final newline) or one JSON line. */
export function printedLine(printed: Printed, format: LogFormat = logFormat()): string {
  if (format === "json") return jsonLine(printed.level, printed.msg ?? printed.text, printed.fields);
  return printed.text.endsWith("\n") ? printed.text : `${printed.text}\n`;
}

/** Writes `printed` to stderr in the configured format. */
export function printToStderr(printed: Printed): void {
  process.stderr.write(printedLine(printed));
}
