// Telegram errors as the outbox and the logs see them: the Bot API client's
// error objects, whose causes may quote the request URL (and so the token),
// described without it;
// and how a failed call is classified: wait (429), try again (5xx, network,
// timeouts), or give up (other 4xx, anything not Telegram's), and whether a
// failed request may have taken effect all the same.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { redactingLogger } from "../../../src/secrets/log.js";
import { Redactor } from "../../../src/secrets/redactor.js";
import { BotApiError, HttpError } from "../../../src/telegram/bot-api.js";
import { classifyTelegramError, describeError } from "../../../src/telegram/errors.js";

const TOKEN = "123456789:AAHfake-Secret_token0123456789abcdefg";
const SECRET = TOKEN.split(":")[1] ?? "";

/** A network failure whose message quotes the URL, token included (as node-fetch's did). */
function fetchFailure(): Error {
  const cause = new Error(`request to https://api.telegram.org/bot${TOKEN}/sendMessage failed, reason: socket hang up`);
  Object.assign(cause, { code: "ECONNRESET", type: "system", url: `https://api.telegram.org/bot${TOKEN}/sendMessage` });
  return cause;
}

describe("describeError", () => {
  it("keeps the network cause without the token", () => {
    const detail = describeError(new HttpError("Network request for 'sendMessage' failed!", fetchFailure()));
    expect(detail).toEqual({
      name: "HttpError",
      description: "Network request for 'sendMessage' failed!",
      cause: "ECONNRESET: request to https://api.telegram.org/bot[REDACTED:bot_token]/sendMessage failed, reason: socket hang up",
    });
  });

  it("keeps method, code and description of a Bot API error", () => {
    const error = new BotApiError("editMessageText", { error_code: 400, description: "Bad Request: chat not found" });
    expect(describeError(error)).toEqual({ name: "BotApiError", method: "editMessageText", code: 400, description: "Bad Request: chat not found" });
    expect(classifyTelegramError(error).kind).toBe("fatal");
  });
});

describe("redactingLogger", () => {
  it("writes no token even when a raw client error is logged", () => {
    const lines: string[] = [];
    const root = pino({ level: "trace", base: null }, { write: (line: string) => lines.push(line) });
    const log = redactingLogger(root, Redactor.of([{ name: "bot_token", value: TOKEN }]));
    const error = new HttpError("Network request for 'getUpdates' failed!", fetchFailure());
    log.error({ err: error, payload: { url: `https://api.telegram.org/bot${TOKEN}/getUpdates` } }, "poll failed");
    log.child({ component: "poller" }).warn({ error }, "again");
    const text = lines.join("");
    expect(lines).toHaveLength(2);
    expect(text).not.toContain(SECRET);
    expect(text).toContain("bot[REDACTED:bot_token]");
    expect(text).toContain("ECONNRESET");
  });
});

function apiError(code: number, description: string, parameters: { retry_after?: number } = {}): BotApiError {
  return new BotApiError("sendMessage", { error_code: code, description, parameters });
}

function networkError(code: string | undefined, message: string): HttpError {
  const cause = Object.assign(new Error(message), code === undefined ? {} : { code });
  return new HttpError("Network request for 'sendMessage' failed!", cause);
}

describe("classifyTelegramError", () => {
  it("waits as told on 429", () => {
    expect(classifyTelegramError(apiError(429, "Too Many Requests", { retry_after: 7 }))).toMatchObject({ kind: "retry-after", retryAfterMs: 7000 });
  });

  it("retries 5xx answers, which Telegram did not act on", () => {
    for (const code of [500, 502, 503, 504]) {
      expect(classifyTelegramError(apiError(code, "Bad Gateway"))).toMatchObject({ kind: "transient", maybeDelivered: false });
    }
  });

  it("fails permanent refusals at once", () => {
    expect(classifyTelegramError(apiError(400, "Bad Request: chat not found")).kind).toBe("fatal");
    expect(classifyTelegramError(apiError(403, "Forbidden: bot was blocked by the user")).kind).toBe("fatal");
    expect(classifyTelegramError(new TypeError("a bug")).kind).toBe("fatal");
  });

  it("retries network failures, in doubt whether they landed unless no connection was made", () => {
    expect(classifyTelegramError(networkError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:443"))).toMatchObject({ kind: "transient", maybeDelivered: false });
    expect(classifyTelegramError(networkError("ENOTFOUND", "getaddrinfo ENOTFOUND api.telegram.org"))).toMatchObject({ kind: "transient", maybeDelivered: false });
    expect(classifyTelegramError(networkError("ECONNRESET", "socket hang up"))).toMatchObject({ kind: "transient", maybeDelivered: true });
    // The client's own timeout, and a gateway's HTML error page that is not JSON.
    expect(classifyTelegramError(networkError(undefined, "Request to 'sendMessage' timed out after 120 seconds"))).toMatchObject({ kind: "transient", maybeDelivered: true });
    expect(classifyTelegramError(networkError(undefined, "HTTP 502 Bad Gateway: the answer is not JSON"))).toMatchObject({ kind: "transient", maybeDelivered: true });
  });
});
