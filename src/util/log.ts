/**
 * Structured logs on stderr (pino). stdout stays free for command output —
 * `takopi replay` prints events there.
 */
import { pino, type Logger } from "pino";

export type { Logger };

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

/** The level from `TAKOPI_LOG_LEVEL`, else `fallback`. */
export function logLevel(fallback: string): string {
  const wanted = process.env.TAKOPI_LOG_LEVEL?.toLowerCase();
  return wanted !== undefined && LEVELS.has(wanted) ? wanted : fallback;
}

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? "takopi",
      level: options.level ?? logLevel("info"),
      base: null,
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything: the default for library calls that were given none. */
export const silentLogger: Logger = pino({ level: "silent" });
