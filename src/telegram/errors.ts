/**
 * What a failed Bot API call means for the outbox: wait as told (429), try
 * again later (5xx, network, timeouts: Telegram is down or unreachable), or
 * give up (any other error: a permanent refusal). The client (`bot-api.ts`)
 * reports Bot API answers as `BotApiError` and transport failures (timeouts
 * included, and a gateway's non-JSON error page) as `HttpError`.
 */
import { inspect } from "node:util";
import { BotApiError, HttpError } from "./bot-api.js";
import { Redactor } from "../secrets/redactor.js";

/** Token-shaped text (a Bot API URL quotes the token) replaced; the errors come from any client, whose token this module does not know. */
const shapes = new Redactor();
const redactText = (text: string): string => shapes.redact(text);

/** Telegram's advice when a 429 carries no `retry_after` (upstream's default too). */
export const DEFAULT_RETRY_AFTER_S = 5;

/** A failed call, described with only loggable, token-free fields. */
export interface ErrorDetail {
  /** `BotApiError`, `HttpError` or the thrown error's name. */
  name: string;
  /** The Bot API method, when the error says. */
  method?: string;
  /** Telegram's `error_code`. */
  code?: number;
  description: string;
  /** The underlying network error (`ECONNRESET`, `socket hang up`, …), redacted. */
  cause?: string;
}

export type Failure =
  /** Flood control: nothing more for this chat until `retryAfterMs` has passed. */
  | { kind: "retry-after"; retryAfterMs: number; detail: ErrorDetail }
  /**
   * Worth another try after a pause: 5xx answers and network failures.
   * `maybeDelivered`: the request may have reached Telegram and taken effect
   * although no answer came back (a connection reset or a timeout after it
   * was sent); false for a Bot API 5xx answer and for failures to connect.
   */
  | { kind: "transient"; maybeDelivered: boolean; detail: ErrorDetail }
  /** Retrying would get the same answer (4xx other than 429) or the error is not Telegram's. */
  | { kind: "fatal"; detail: ErrorDetail };

export type ClassifyError = (error: unknown) => Failure;

/** Classifies the Bot API client's errors; anything else is fatal (a bug should not be retried). */
export function classifyTelegramError(error: unknown): Failure {
  const detail = describeError(error);
  if (error instanceof BotApiError) {
    if (error.error_code === 429) {
      const seconds = error.parameters.retry_after ?? DEFAULT_RETRY_AFTER_S;
      return { kind: "retry-after", retryAfterMs: Math.max(0, seconds) * 1000, detail };
    }
    // Telegram answered: it did not act on the call.
    if (error.error_code >= 500) return { kind: "transient", maybeDelivered: false, detail };
    return { kind: "fatal", detail };
  }
  if (error instanceof HttpError) return { kind: "transient", maybeDelivered: !neverSent(error.error), detail };
  return { kind: "fatal", detail };
}

/** Network errors that happen before a request can be sent: no connection was made. */
const CONNECT_ERROR_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "EHOSTDOWN"]);

/** The request certainly did not reach Telegram (the socket's error carries its code). */
function neverSent(cause: unknown): boolean {
  const code = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === "string" && CONNECT_ERROR_CODES.has(code);
}

/** A token-free description of any thrown value. */
export function describeError(error: unknown): ErrorDetail {
  if (error instanceof BotApiError) {
    return { name: "BotApiError", method: error.method, code: error.error_code, description: redactText(error.description) };
  }
  if (error instanceof HttpError) {
    const detail: ErrorDetail = { name: "HttpError", description: redactText(error.message) };
    const cause = causeText(error.error);
    if (cause !== undefined) detail.cause = cause;
    return detail;
  }
  if (error instanceof Error) {
    const detail: ErrorDetail = { name: error.name, description: redactText(error.message) };
    const cause = causeText(error.cause);
    if (cause !== undefined) detail.cause = cause;
    return detail;
  }
  return { name: typeof error, description: redactText(String(error)) };
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (!(cause instanceof Error)) return redactText(typeof cause === "string" ? cause : inspect(cause, { depth: 2, breakLength: Infinity }));
  const code = (cause as { code?: unknown }).code;
  const text = typeof code === "string" && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  return redactText(text);
}

/** A Bot API 400 whose description contains `fragment` (Telegram words are stable, case is not). */
export function isBadRequest(error: unknown, fragment: string): boolean {
  return error instanceof BotApiError && error.error_code === 400 && error.description.toLowerCase().includes(fragment);
}

/** The edit would not change the message: the wanted state is already shown. */
export function isNotModified(error: unknown): boolean {
  return isBadRequest(error, "message is not modified");
}

/** The message to edit is gone (deleted by a user, or too old). */
export function isEditTargetMissing(error: unknown): boolean {
  return isBadRequest(error, "message to edit not found");
}
