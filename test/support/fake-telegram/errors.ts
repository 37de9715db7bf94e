// Bot API errors: `{ok:false, error_code, description, parameters?}` with the
// HTTP status equal to error_code, as Telegram answers them.

export interface ResponseParameters {
  retry_after?: number;
  migrate_to_chat_id?: number;
}

/** Thrown instead of an ApiError when the fake should cut the connection without answering. */
export class ConnectionDropped extends Error {
  constructor() {
    super("connection dropped by an injected fault");
    this.name = "ConnectionDropped";
  }
}

/** A Bot API error the fake answers with; thrown by method handlers. */
export class ApiError extends Error {
  readonly code: number;
  readonly description: string;
  readonly parameters: ResponseParameters | undefined;

  constructor(code: number, description: string, parameters?: ResponseParameters) {
    super(description);
    this.name = "ApiError";
    this.code = code;
    this.description = description;
    this.parameters = parameters;
  }

  toBody(): { ok: false; error_code: number; description: string; parameters?: ResponseParameters } {
    return {
      ok: false,
      error_code: this.code,
      description: this.description,
      ...(this.parameters === undefined ? {} : { parameters: this.parameters }),
    };
  }
}

export function badRequest(what: string): ApiError {
  return new ApiError(400, `Bad Request: ${what}`);
}

export function forbidden(what: string): ApiError {
  return new ApiError(403, `Forbidden: ${what}`);
}

export function unauthorized(): ApiError {
  return new ApiError(401, "Unauthorized");
}

export function notFound(): ApiError {
  return new ApiError(404, "Not Found");
}

export function conflict(what: string): ApiError {
  return new ApiError(409, `Conflict: ${what}`);
}

/** `retryAfter` null answers a 429 without `parameters`, which clients must survive too. */
export function tooManyRequests(retryAfter: number | null): ApiError {
  if (retryAfter === null) return new ApiError(429, "Too Many Requests");
  return new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
}

const SERVER_ERROR_TEXT: Record<number, string> = {
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** Any other status a test injects: 5xx with Telegram's wording, 4xx as given. */
export function injectedError(code: number, description?: string): ApiError {
  return new ApiError(code, description ?? SERVER_ERROR_TEXT[code] ?? `Error ${code}`);
}

export const NOT_MODIFIED =
  "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
export const GET_UPDATES_CONFLICT = "terminated by other getUpdates request; make sure that only one bot instance is running";
