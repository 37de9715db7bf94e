// Telegram errors as the outbox and the logs see them: grammY's error objects,
// whose causes quote the request URL (and so the token), described without it.
import { GrammyError, HttpError } from "grammy";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { redactingLogger } from "../../../src/secrets/log.js";
import { Redactor } from "../../../src/secrets/redactor.js";
import { classifyTelegramError, describeError } from "../../../src/telegram/errors.js";

const TOKEN = "123456789:AAHfake-Secret_token0123456789abcdefg";
const SECRET = TOKEN.split(":")[1] ?? "";

/** A network failure as node-fetch reports it: the URL, token included, in the message. */
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
    const error = new GrammyError("Call to 'editMessageText' failed!", { ok: false, error_code: 400, description: "Bad Request: chat not found" }, "editMessageText", {});
    expect(describeError(error)).toEqual({ name: "GrammyError", method: "editMessageText", code: 400, description: "Bad Request: chat not found" });
    expect(classifyTelegramError(error).kind).toBe("fatal");
  });
});

describe("redactingLogger", () => {
  it("writes no token even when a raw grammY error is logged", () => {
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
