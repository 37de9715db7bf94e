/**
 * Structured logs on stderr (pino). stdout stays free for command output —
 * `takopi replay` prints events there. Every line is redacted on its way out
 * (`secrets/redactor.ts`), message and fields alike.
 */
import { pino, type Logger } from "pino";
import { envSecrets } from "../secrets/names.js";
import { Redactor } from "../secrets/redactor.js";

export type { Logger };

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

/** The level from `TAKOPI_LOG_LEVEL`, else `fallback`. */
export function logLevel(fallback: string): string {
  const wanted = process.env.TAKOPI_LOG_LEVEL?.toLowerCase();
  return wanted !== undefined && LEVELS.has(wanted) ? wanted : fallback;
}

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Defaults to one knowing the secret-named variables of takopi's environment; pass one to add the config's. */
  redactor?: Redactor;
  /** Where lines go (default stderr). */
  destination?: { write(line: string): unknown };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const redactor = options.redactor ?? Redactor.of(envSecrets(process.env));
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  return pino(
    {
      name: options.name ?? "takopi",
      level: options.level ?? logLevel("info"),
      base: null,
    },
    { write: (line: string) => destination.write(redactor.redact(line)) },
  );
}

/** A logger that drops everything: the default for library calls that were given none. */
export const silentLogger: Logger = pino({ level: "silent" });
