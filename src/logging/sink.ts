/**
 * Where a logger's lines go: every line pino writes is redacted whole, then
 * appended to the log file as JSON (when there is one) and written to the
 * console as JSON or as a readable line (`console-line.ts`).
 */
import type { Redactor } from "../secrets/redactor.js";
import { consoleLine } from "./console-line.js";
import type { LogFile } from "./file.js";
import { jsonLine } from "./print.js";
import type { LogFormat } from "./settings.js";

export interface SinkOptions {
  redactor: Redactor;
  console: { write(line: string): unknown };
  format: LogFormat;
  /** Console lines show error stacks (debug level). */
  stacks: boolean;
  file: LogFile | null;
}

export interface Sink {
  write(line: string): void;
}

export function logSink(options: SinkOptions): Sink {
  const { redactor, format, stacks } = options;
  let file = options.file;
  const toConsole = (json: string): void => {
    options.console.write(format === "json" ? json : consoleLine(json, { stacks }));
  };
  return {
    write(line) {
      const safe = redactor.redact(line);
      if (file !== null) {
        try {
          file.write(safe);
        } catch (error) {
          // Once: a full disk fails every line, and the console is where it can be said.
          const failed = file;
          file = null;
          try {
            failed.close();
          } catch {
            // Already unusable; nothing more to do.
          }
          const reason = error instanceof Error ? error.message : String(error);
          toConsole(jsonLine("warn", redactor.redact(`cannot write the log file ${failed.path} (${reason}); logging to the console only`), { event: "log.file_failed" }));
        }
      }
      toConsole(safe);
    },
  };
}
