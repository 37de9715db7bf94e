/**
 * Thrown values as text. `catch` hands over `unknown` — an Error, or whatever
 * a library threw — and a message for the user or a log needs a string either
 * way; one helper keeps that from being spelled out at every catch.
 */

/** An Error's `message`, or anything else thrown as `String(value)`. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A Node system error's `code` (`ENOENT`, `EEXIST`, …), or `"unknown"` for anything else. */
export function errorCode(error: unknown): string {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : "unknown";
}

/** Whether `error` is a system error with one of `codes`. */
export function isErrorCode(error: unknown, ...codes: string[]): boolean {
  return codes.includes(errorCode(error));
}

/**
 * A system error as `ENOENT: no such file or directory`, without Node's
 * `, open '<path>'` tail: the caller names the file it meant, and the tail
 * may name a temp file the user never heard of.
 */
export function systemErrorMessage(error: unknown): string {
  const message = errorMessage(error);
  return errorCode(error) === "unknown" ? message : message.replace(/, [a-z]+ '.*$/s, "");
}
