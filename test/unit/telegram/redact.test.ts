// Token redaction: strings, nested log fields and the
// error objects grammY throws, whose causes quote the request URL.
import { GrammyError, HttpError } from "grammy";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { classifyTelegramError, describeError } from "../../../src/telegram/errors.js";
import { redactingLogger, redactText, redactValue } from "../../../src/telegram/redact.js";

const TOKEN = "123456789:AAHfake-Secret_token0123456789abcdefg";
const SECRET = TOKEN.split(":")[1] ?? "";

/** A network failure as node-fetch reports it: the URL, token included, in the message. */
function fetchFailure(): Error {
  const cause = new Error(`request to https://api.telegram.org/bot${TOKEN}/sendMessage failed, reason: socket hang up`);
  Object.assign(cause, { code: "ECONNRESET", type: "system", url: `https://api.telegram.org/bot${TOKEN}/sendMessage` });
  return cause;
}

describe("redactText", () => {
  it("hides tokens in URLs, bare tokens and given secrets", () => {
    expect(redactText(`GET https://api.telegram.org/bot${TOKEN}/getMe`)).toBe("GET https://api.telegram.org/bot[REDACTED]/getMe");
    expect(redactText(`token=${TOKEN}`)).toBe("token=[REDACTED_TOKEN]");
    expect(redactText("odd-secret in text", ["odd-secret"])).toBe("[REDACTED] in text");
    expect(redactText("chat 12:34 at 10:00")).toBe("chat 12:34 at 10:00");
  });
});

describe("redactValue", () => {
  it("redacts nested fields and flattens errors, cycles included", () => {
    const error = new HttpError("Network request for 'sendMessage' failed!", fetchFailure());
    const looped: Record<string, unknown> = { url: `https://x/bot${TOKEN}/getMe` };
    looped.self = looped;
    const out = JSON.stringify(redactValue({ error, list: [TOKEN], looped }));
    expect(out).not.toContain(SECRET);
    expect(out).toContain("bot[REDACTED]");
    expect(out).toContain("ECONNRESET");
    expect(out).toContain("[Circular]");
  });
});

describe("describeError", () => {
  it("keeps the network cause without the token", () => {
    const detail = describeError(new HttpError("Network request for 'sendMessage' failed!", fetchFailure()));
    expect(detail).toEqual({
      name: "HttpError",
      description: "Network request for 'sendMessage' failed!",
      cause: "ECONNRESET: request to https://api.telegram.org/bot[REDACTED]/sendMessage failed, reason: socket hang up",
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
    const log = redactingLogger(root, [TOKEN]);
    const error = new HttpError("Network request for 'getUpdates' failed!", fetchFailure());
    log.error({ err: error, payload: { url: `https://api.telegram.org/bot${TOKEN}/getUpdates` } }, "poll failed");
    log.child({ component: "poller" }).warn({ error }, "again");
    const text = lines.join("");
    expect(lines).toHaveLength(2);
    expect(text).not.toContain(SECRET);
    expect(text).toContain("bot[REDACTED]");
  });
});
