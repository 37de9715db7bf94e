// The Bot API client against a local HTTP server: what it sends (the method in
// the URL, JSON without null or undefined fields), and how each kind of answer
// or failure comes back — a result, a BotApiError with Telegram's fields, or an
// HttpError for a gateway's page, a timeout, an abort or a refused connection.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { BotApi, BotApiError, HttpError } from "../../../src/telegram/bot-api.js";
import { classifyTelegramError } from "../../../src/telegram/errors.js";

const TOKEN = "123:abc";
interface Seen {
  url: string;
  body: unknown;
}

const servers: { close: () => void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function serve(answer: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ root: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => {
      seen.push({ url: request.url ?? "", body: JSON.parse(text) });
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push({ close: () => server.close() });
  return { root: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const json = (value: unknown) => (_request: IncomingMessage, response: ServerResponse) => {
  response.setHeader("content-type", "application/json");
  response.end(JSON.stringify(value));
};

describe("BotApi", () => {
  it("posts the method's parameters as JSON, leaving out null and undefined, and returns the result", async () => {
    const { root, seen } = await serve(json({ ok: true, result: { message_id: 5, chat: { id: 1 } } }));
    const api = new BotApi(TOKEN, { apiRoot: root });
    const sent = await api.sendMessage(1, "hi", { message_thread_id: undefined, reply_markup: { inline_keyboard: [[{ text: "x", callback_data: "y" }]] } });
    expect(sent).toEqual({ message_id: 5, chat: { id: 1 } });
    expect(seen).toEqual([{ url: `/bot${TOKEN}/sendMessage`, body: { chat_id: 1, text: "hi", reply_markup: { inline_keyboard: [[{ text: "x", callback_data: "y" }]] } } }]);
  });

  it("turns an error answer into a BotApiError with Telegram's fields, whatever the HTTP status", async () => {
    const { root } = await serve((_request, response) => {
      response.statusCode = 429;
      json({ ok: false, error_code: 429, description: "Too Many Requests: retry after 3", parameters: { retry_after: 3 } })(_request, response);
    });
    const error: unknown = await new BotApi(TOKEN, { apiRoot: root }).getMe().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BotApiError);
    expect(error).toMatchObject({ method: "getMe", error_code: 429, description: "Too Many Requests: retry after 3", parameters: { retry_after: 3 } });
    expect(classifyTelegramError(error)).toMatchObject({ kind: "retry-after", retryAfterMs: 3000 });
  });

  it("reads a compressed answer", async () => {
    const { root } = await serve((_request, response) => {
      response.setHeader("content-encoding", "gzip");
      response.end(gzipSync(JSON.stringify({ ok: true, result: [] })));
    });
    expect(await new BotApi(TOKEN, { apiRoot: root }).getUpdates({ timeout: 0 })).toEqual([]);
  });

  it("reports a gateway's non-JSON page, a timeout, an abort and a refused connection as HttpErrors without the token", async () => {
    const { root } = await serve((request, response) => {
      if (request.url?.endsWith("/getMe") === true) {
        response.statusCode = 502;
        response.end("<html>Bad Gateway</html>");
      }
      // Anything else is never answered.
    });
    const api = new BotApi(TOKEN, { apiRoot: root, timeoutSeconds: 0.2 });
    const gateway: unknown = await api.getMe().catch((caught: unknown) => caught);
    expect(gateway).toBeInstanceOf(HttpError);
    expect(gateway).toMatchObject({ status: 502, message: "Network request for 'getMe' failed!" });
    expect(String((gateway as HttpError).error)).toContain("HTTP 502");

    const timedOut: unknown = await api.getUpdates({}).catch((caught: unknown) => caught);
    expect(timedOut).toBeInstanceOf(HttpError);
    expect(String((timedOut as HttpError).error)).toContain("timed out after 0.2 seconds");

    const controller = new AbortController();
    const aborted = new BotApi(TOKEN, { apiRoot: root }).getUpdates({}, controller.signal).catch((caught: unknown) => caught);
    controller.abort();
    expect(await aborted).toBeInstanceOf(HttpError);

    const refused: unknown = await new BotApi(TOKEN, { apiRoot: "http://127.0.0.1:9" }).getMe().catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(HttpError);
    expect(classifyTelegramError(refused)).toMatchObject({ kind: "transient", maybeDelivered: false });
    for (const error of [gateway, timedOut, refused]) expect(JSON.stringify({ message: (error as Error).message, cause: String((error as HttpError).error) })).not.toContain(TOKEN);
  });
});

describe("BotApi files, against the fake Bot API server", () => {
  // Every byte value, twice, and a CRLF + boundary-looking run: multipart must carry them untouched.
  const binary = Buffer.concat([Buffer.from(Array.from({ length: 512 }, (_, index) => index % 256)), Buffer.from("\r\n--takopi-x--\r\n")]);

  it("uploads a document as multipart, byte for byte, with its parameters", async () => {
    const { startFakeTelegram } = await import("../../support/fake-telegram/index.js");
    const { USER, STANDARD_WORLD } = await import("../../support/fake-telegram/standard-world.js");
    const tg = await startFakeTelegram(STANDARD_WORLD);
    try {
      const asked = tg.injectMessage({ chat: USER, from: USER, text: "send it" });
      const api = new BotApi(tg.token, { apiRoot: tg.apiRoot });
      const sent = await api.sendDocument(USER, { filename: 'a "b".bin', data: binary }, { caption: "here", reply_parameters: { message_id: asked.message.message_id } });
      expect(sent.document.file_name).toBe("a %22b%22.bin");
      const stored = tg.messages(USER).at(-1);
      expect(stored?.upload?.data.equals(binary)).toBe(true);
      expect(stored?.caption).toBe("here");
      expect(stored?.replyToMessageId).toBe(asked.message.message_id);
    } finally {
      await tg.close();
    }
  });

  it("downloads a file getFile names, and stops at maxBytes", async () => {
    const { startFakeTelegram } = await import("../../support/fake-telegram/index.js");
    const { USER, STANDARD_WORLD } = await import("../../support/fake-telegram/standard-world.js");
    const { FileTooLargeError } = await import("../../../src/telegram/bot-api.js");
    const tg = await startFakeTelegram(STANDARD_WORLD);
    try {
      const injected = tg.injectMessage({ chat: USER, from: USER, document: { content: binary, file_name: "x.bin", file_path: "documents/with space/x.bin" } });
      const fileId = injected.message.document?.file_id ?? "";
      const api = new BotApi(tg.token, { apiRoot: tg.apiRoot });
      const file = await api.getFile(fileId);
      expect(file.file_path).toBe("documents/with space/x.bin");
      expect((await api.downloadFile(file.file_path ?? "", { maxBytes: binary.length })).equals(binary)).toBe(true);
      await expect(api.downloadFile(file.file_path ?? "", { maxBytes: binary.length - 1 })).rejects.toBeInstanceOf(FileTooLargeError);
      const missing: unknown = await api.downloadFile("documents/none.bin", { maxBytes: 10 }).catch((caught: unknown) => caught);
      expect(missing).toBeInstanceOf(HttpError);
      expect((missing as HttpError).status).toBe(404);
      expect(String((missing as HttpError).error)).not.toContain(tg.token);
    } finally {
      await tg.close();
    }
  });
});
