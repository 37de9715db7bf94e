// The HTTP side of the fake Bot API: `{root}/bot<token>/<method>` and
// `{root}/file/bot<token>/<file_path>`, each call logged, then run through
// flood control, injected faults and the per-chat budget before its method.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { BodyTooLarge, parseRequest, readBody } from "./body.js";
import type { CallInit, CallLog, CallRecord } from "./calls.js";
import { ApiError, ConnectionDropped, injectedError, notFound, tooManyRequests, unauthorized } from "./errors.js";
import type { FaultPlan } from "./faults.js";
import { BUDGET_METHODS, type FloodControl } from "./limits.js";
import { findMethod } from "./methods/index.js";
import { Params } from "./params.js";
import type { TgChat } from "./types.js";
import type { UpdateQueue } from "./updates.js";
import type { BotAccount, StoredFile } from "./records.js";
import type { World } from "./world.js";

/** A bug in the fake (or a request it could not handle) rather than a Bot API error. */
export interface ServerError {
  method: string;
  error: string;
}

export interface ServerParts {
  world: World;
  calls: CallLog;
  faults: FaultPlan;
  flood: FloodControl;
  errors: ServerError[];
  queueFor: (bot: BotAccount) => UpdateQueue;
  /** Runs after every logged change, so waiters re-check. */
  notify: () => void;
  maxBodyBytes: number;
}

/** The pseudo-method name file downloads are logged (and matched by failNext) under. */
export const DOWNLOAD_METHOD = "downloadFile";

const API_PATH = /^\/bot([^/]+)\/([^/]*)\/?$/;
const FILE_PATH = /^\/file\/bot([^/]+)\/(.+)$/;

/** Sentinel for "the fault destroyed the socket; answer nothing". */
const DROPPED = Symbol("dropped");

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The chat a chat_id names, or undefined (the method itself answers 400 for those). */
function knownChat(world: World, ref: number | string | undefined): TgChat | undefined {
  try {
    return world.resolveChat(ref).chat;
  } catch {
    return undefined;
  }
}

function botSummary(bot: BotAccount): { id: number; username: string } {
  return { id: bot.user.id, username: bot.user.username };
}

export function createBotApiServer(parts: ServerParts): Server {
  const { world, calls, faults, flood, errors, notify } = parts;

  const finish = (record: CallRecord, res: ServerResponse, status: number, body: unknown, raw?: StoredFile): void => {
    record.finishedAt = Date.now();
    if (res.destroyed || res.writableEnded) {
      record.status = "aborted";
      notify();
      return;
    }
    record.status = status;
    if (raw !== undefined) {
      res.writeHead(status, { "content-type": raw.mimeType ?? "application/octet-stream", "content-length": String(raw.data.length) });
      res.end(raw.data);
    } else {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
      res.end(text);
    }
    notify();
  };

  const succeed = (record: CallRecord, res: ServerResponse, result: unknown): void => {
    record.ok = true;
    record.result = result;
    finish(record, res, 200, { ok: true, result });
  };

  const refuse = (record: CallRecord, res: ServerResponse, error: ApiError): void => {
    record.ok = false;
    record.errorCode = error.code;
    record.description = error.description;
    record.retryAfter = error.parameters?.retry_after;
    if (error.code === 409 && record.fault === undefined) record.fault = "conflict";
    finish(record, res, error.code, error.toBody());
  };

  const fail = (record: CallRecord, res: ServerResponse, err: unknown): void => {
    if (err instanceof ConnectionDropped) {
      record.status = "dropped";
      record.finishedAt = Date.now();
      res.socket?.destroy();
      notify();
      return;
    }
    if (err instanceof ApiError) {
      refuse(record, res, err);
      return;
    }
    errors.push({ method: record.method, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    refuse(record, res, new ApiError(500, `Internal Server Error: fake-telegram: ${err instanceof Error ? err.message : String(err)}`));
  };

  const drop = (record: CallRecord, req: IncomingMessage): typeof DROPPED => {
    record.status = "dropped";
    record.finishedAt = Date.now();
    req.socket.destroy();
    notify();
    return DROPPED;
  };

  /**
   * Flood wait, injected fault and chat budget, then `serve`. Budget checks
   * happen only for chats that exist; the method answers 400 for the others.
   */
  const run = async (
    bot: BotAccount,
    record: CallRecord,
    req: IncomingMessage,
    signal: AbortSignal,
    serve: () => unknown,
  ): Promise<unknown> => {
    const now = record.receivedAt;
    const botId = bot.user.id;
    const owed = flood.arrive(botId, record.method, record.chatId, now);
    if (owed !== undefined) {
      record.fault = "flood-wait";
      throw tooManyRequests(owed);
    }
    const fault = faults.take(record);
    let dropAfter = false;
    if (fault !== undefined) {
      if ("delayMs" in fault) {
        await sleep(fault.delayMs, signal);
      } else if ("drop" in fault) {
        if (fault.afterHandling !== true) return drop(record, req);
        dropAfter = true;
      } else {
        record.fault = "injected";
        if (fault.code !== 429) throw injectedError(fault.code, fault.description);
        const retryAfter = fault.retry_after === undefined ? 1 : fault.retry_after;
        if (retryAfter !== null) flood.told(botId, record.method, record.chatId, retryAfter, now, "injected");
        const error = tooManyRequests(retryAfter);
        throw fault.description === undefined ? error : new ApiError(429, fault.description, error.parameters);
      }
    }
    let chat: TgChat | undefined;
    if (flood.enforcing && BUDGET_METHODS.has(record.method)) {
      chat = knownChat(world, record.chatId);
      const retryAfter = chat === undefined ? undefined : flood.overBudget(botId, record.method, chat, now);
      if (retryAfter !== undefined) {
        record.fault = "rate-limit";
        throw tooManyRequests(retryAfter);
      }
    }
    const result = await serve();
    if (chat !== undefined) flood.spend(botId, record.method, chat, now);
    if (dropAfter) return drop(record, req);
    return result;
  };

  /** An AbortSignal that fires when the client goes away before the answer. */
  const clientGone = (res: ServerResponse): AbortSignal => {
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    return controller.signal;
  };

  const openUnparsed = (init: Pick<CallInit, "bot" | "method">): CallRecord =>
    calls.open({ ...init, params: {}, files: [], encoding: "none", chatId: undefined });

  const handleMethod = async (req: IncomingMessage, res: ServerResponse, token: string, name: string, query: URLSearchParams): Promise<void> => {
    const bot = world.botByToken(token);
    const method = findMethod(name);
    if (bot === undefined || method === undefined) {
      req.resume();
      const record = openUnparsed({ bot: bot === undefined ? null : botSummary(bot), method: method?.name ?? name });
      refuse(record, res, bot === undefined ? unauthorized() : notFound());
      return;
    }
    let params: Params;
    try {
      params = new Params(parseRequest(req.headers["content-type"], await readBody(req, parts.maxBodyBytes), query));
    } catch (err) {
      const record = openUnparsed({ bot: botSummary(bot), method: method.name });
      if (err instanceof BodyTooLarge) {
        res.setHeader("connection", "close");
        refuse(record, res, new ApiError(413, "Request Entity Too Large"));
        return;
      }
      fail(record, res, err);
      return;
    }
    let chatId: number | string | undefined;
    try {
      chatId = params.chatRef();
    } catch {
      chatId = undefined;
    }
    const record = calls.open({
      bot: botSummary(bot),
      method: method.name,
      params: params.fields,
      files: params.fileSummaries(),
      encoding: params.encoding,
      chatId,
    });
    notify();
    const signal = clientGone(res);
    try {
      const result = await run(bot, record, req, signal, () =>
        method.handler({ bot, params, world, updates: parts.queueFor(bot), signal, now: record.receivedAt }),
      );
      if (result !== DROPPED) succeed(record, res, result);
    } catch (err) {
      fail(record, res, err);
    }
  };

  const handleDownload = async (req: IncomingMessage, res: ServerResponse, token: string, filePath: string): Promise<void> => {
    req.resume();
    const bot = world.botByToken(token);
    if (bot === undefined) {
      refuse(openUnparsed({ bot: null, method: DOWNLOAD_METHOD }), res, unauthorized());
      return;
    }
    const record = calls.open({
      bot: botSummary(bot),
      method: DOWNLOAD_METHOD,
      params: { file_path: filePath },
      files: [],
      encoding: "none",
      chatId: undefined,
    });
    notify();
    try {
      const file = await run(bot, record, req, clientGone(res), () => {
        const found = world.fileByPath(filePath);
        if (found === undefined) throw notFound();
        return found;
      });
      if (file === DROPPED) return;
      const stored = file as StoredFile;
      record.ok = true;
      record.result = { file_path: stored.path, size: stored.data.length };
      finish(record, res, 200, undefined, stored);
    } catch (err) {
      fail(record, res, err);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://fake-telegram.invalid");
    const api = API_PATH.exec(url.pathname);
    if (api?.[1] !== undefined && api[2] !== undefined) {
      await handleMethod(req, res, decodeURIComponent(api[1]), api[2], url.searchParams);
      return;
    }
    const file = FILE_PATH.exec(url.pathname);
    if (file?.[1] !== undefined && file[2] !== undefined) {
      await handleDownload(req, res, decodeURIComponent(file[1]), decodeURIComponent(file[2]));
      return;
    }
    req.resume();
    const text = JSON.stringify(notFound().toBody());
    res.writeHead(404, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
    res.end(text);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      errors.push({ method: "(routing)", error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: false, error_code: 500, description: "Internal Server Error" }));
      } else {
        res.destroy();
      }
    });
  });
  server.on("connection", (socket: Socket) => {
    // Resets are expected: dropped-connection faults and killed bridge processes.
    socket.on("error", () => undefined);
  });
  server.on("clientError", (_err, socket) => {
    socket.destroy();
  });
  return server;
}
