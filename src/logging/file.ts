/**
 * The log file (`TAKOPI_LOG_FILE`, or `debug.log` under `takopi run
 * --debug`): the same lines as the console, as JSON, appended. Created 0600:
 * debug lines quote prompts and engine output.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { errorCode, systemErrorMessage } from "../util/errors.js";

/** `--debug`'s file name when `TAKOPI_LOG_FILE` names none, in the current directory. */
export const DEBUG_LOG_NAME = "debug.log";

export interface LogFile {
  /** Absolute. */
  readonly path: string;
  /** Appends a line; throws what the write threw (a full disk, a removed mount). */
  write(line: string): void;
  close(): void;
}

/** Opens `path` for appending (created 0600); throws the system error. */
export function openLogFile(path: string): LogFile {
  const absolute = resolve(path);
  const fd = openSync(absolute, "a", 0o600);
  return {
    path: absolute,
    write: (line) => {
      writeSync(fd, line);
    },
    close: () => {
      closeSync(fd);
    },
  };
}

/** What opening the log file came to: the file (maybe not the first choice, and why) or why there is none. */
export type LogFileResult = { file: LogFile; fallbackFrom: { path: string; reason: string } | null } | { file: null; problem: string };

/**
 * `--debug`'s file: `debug.log` in the current directory, else beside the
 * config (in the container the current directory is the read-only /app, the
 * config's directory the writable /state).
 */
export function openDebugLogFile(configPath: string): LogFileResult {
  const first = resolve(DEBUG_LOG_NAME);
  const second = join(dirname(resolve(configPath)), DEBUG_LOG_NAME);
  try {
    return { file: openLogFile(first), fallbackFrom: null };
  } catch (error) {
    const reason = systemErrorMessage(error);
    if (second === first || !["EACCES", "EPERM", "EROFS", "ENOENT"].includes(errorCode(error))) return { file: null, problem: `cannot open ${first}: ${reason}` };
    try {
      return { file: openLogFile(second), fallbackFrom: { path: first, reason } };
    } catch (again) {
      return { file: null, problem: `cannot open ${first} (${reason}) nor ${second} (${systemErrorMessage(again)})` };
    }
  }
}

/** The file `TAKOPI_LOG_FILE` names, opened. */
export function openNamedLogFile(path: string): LogFileResult {
  try {
    return { file: openLogFile(path), fallbackFrom: null };
  } catch (error) {
    return { file: null, problem: `cannot open TAKOPI_LOG_FILE ${resolve(path)}: ${systemErrorMessage(error)}` };
  }
}
