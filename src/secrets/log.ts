/**
 * A child logger that redacts every object it logs, for loggers that do not
 * come from `createLogger` (whose lines are redacted whole). The bot token is
 * part of every Bot API URL, and network errors quote the URL they failed on,
 * so any error object that passed near a request may carry it.
 */
import type { Logger } from "../util/log.js";
import type { Redactor } from "./redactor.js";

/**
 * A child of `log` whose logged objects are redacted before they are written.
 * Log messages are not rewritten here (pino offers no child hook for them):
 * pass a fixed message string rather than letting pino take one from an error.
 */
export function redactingLogger(log: Logger, redactor: Redactor): Logger {
  return log.child(
    {},
    {
      formatters: {
        log: (object: object) => redactor.redactValue(object) as Record<string, unknown>,
      },
    },
  );
}
