/**
 * Logs on stderr (pino): one readable line per event, or JSON objects with
 * `TAKOPI_LOG_FORMAT=json`; also JSON lines to `TAKOPI_LOG_FILE`. stdout stays
 * free for command output. Every line is redacted on its way out
 * (`secrets/redactor.ts`), message and fields alike. See `logging/`.
 */
import { pino, type Logger } from "pino";
import { openNamedLogFile, type LogFileResult } from "../logging/file.js";
import { logSink } from "../logging/sink.js";
import { isDebugLevel, logFile, logFormat, logLevel, settingProblems, type LogFormat } from "../logging/settings.js";
import { envSecrets } from "../secrets/names.js";
import { Redactor } from "../secrets/redactor.js";

export type { Logger };
export { logLevel };

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Defaults to one knowing the secret-named variables of takopi's environment; pass one to add the config's. */
  redactor?: Redactor;
  /** Where console lines go (default stderr). */
  destination?: { write(line: string): unknown };
  /** Default: `TAKOPI_LOG_FORMAT`. */
  format?: LogFormat;
  /** The JSON log file; default: `TAKOPI_LOG_FILE`'s, opened (and a failure to open it warned about) here; null for none. */
  file?: LogFileResult | null;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? logLevel("info");
  const named = logFile();
  const opened = options.file !== undefined ? options.file : named === null ? null : openNamedLogFile(named);
  const sink = logSink({
    redactor: options.redactor ?? Redactor.of(envSecrets(process.env)),
    console: options.destination ?? pino.destination({ fd: 2, sync: true }),
    format: options.format ?? logFormat(),
    stacks: isDebugLevel(level),
    file: opened?.file ?? null,
  });
  // `error` as well as pino's `err`: many call sites log a caught error under that name.
  const log = pino({ name: options.name ?? "takopi", level, base: null, serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err } }, sink);
  for (const problem of settingProblems()) log.warn({ event: "log.bad_setting", variable: problem.name }, problem.message);
  // A file the caller opened, the caller reports on.
  if (options.file === undefined && opened !== null && opened.file === null) log.warn({ event: "log.file_failed" }, opened.problem);
  return log;
}

/** A logger that drops everything: the default for library calls that were given none. */
export const silentLogger: Logger = pino({ level: "silent" });
