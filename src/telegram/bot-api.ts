/**
 * takopi's one HTTP client: Bot API calls as JSON POSTs to
 * `<api_root>/bot<token>/<method>` on node:http or node:https, with a
 * keep-alive agent. The bridge, `takopi doctor` and `takopi chat-id` all call
 * Telegram through it.
 *
 * It replaces grammY's `Api` at run time, call for call (same URL, same body:
 * JSON without null or undefined fields, same answer handling), while grammY
 * stays the source of the Bot API's types. grammY fetches through node-fetch,
 * which loads a WHATWG URL parser (whatwg-url, tr46 and its Unicode tables),
 * https and zlib whatever the API root: about 15 MB of an idle bridge's
 * 100 MB. Here https (TLS) and zlib load only for an https API root, which is
 * when they are needed.
 *
 * Errors keep grammY's shape, which the outbox's rules are written against
 * (`errors.ts`): a Bot API refusal is a `BotApiError` with Telegram's
 * `error_code`, `description` and `parameters`; everything that kept an answer
 * from arriving (refused connection, reset, timeout, abort, a gateway's
 * non-JSON page) is an `HttpError` whose `error` is the cause. Neither message
 * quotes the URL, so neither carries the token.
 */
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from "node:http";
import type { ApiMethods, Opts } from "grammy/types";
import { encodeMultipart, type UploadFile } from "./multipart.js";

export type { UploadFile };

/** What each method takes and answers, from grammY's Bot API types. */
export type BotApiMethod = keyof ApiMethods;
export type BotApiParams<M extends BotApiMethod> = Opts<M>;
export type BotApiResult<M extends BotApiMethod> = ReturnType<ApiMethods[M]>;
type Other<M extends BotApiMethod, K extends keyof BotApiParams<M>> = Omit<BotApiParams<M>, K>;

/** grammY's default, far above any long poll; takopi's client passes its own. */
const DEFAULT_TIMEOUT_S = 500;

/** The fields of a Bot API error answer. */
export interface BotApiErrorAnswer {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** Telegram answered the call with `ok: false`. */
export class BotApiError extends Error {
  override readonly name = "BotApiError";
  readonly method: string;
  readonly error_code: number;
  readonly description: string;
  readonly parameters: NonNullable<BotApiErrorAnswer["parameters"]>;

  constructor(method: string, answer: BotApiErrorAnswer) {
    super(`Call to '${method}' failed! (${answer.error_code}: ${answer.description})`);
    this.method = method;
    this.error_code = answer.error_code;
    this.description = answer.description;
    this.parameters = answer.parameters ?? {};
  }
}

/** A download stopped because the file is larger than the caller takes. */
export class FileTooLargeError extends Error {
  override readonly name = "FileTooLargeError";
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    super(`the file is larger than ${maxBytes} bytes`);
    this.maxBytes = maxBytes;
  }
}

/** No answer came: the network, a timeout, an abort, or an answer that is not the Bot API's. `error` is why. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly error: unknown;
  /** The HTTP status of an answer that was not the Bot API's (a gateway's error page); null when none came. */
  readonly status: number | null;

  constructor(message: string, error: unknown, status: number | null = null) {
    super(message);
    this.error = error;
    this.status = status;
  }
}

export interface BotApiOptions {
  /** Default https://api.telegram.org; no trailing slash. */
  apiRoot?: string;
  /** Longest a call may take, in seconds, before it fails with an HttpError (default 500, grammY's). */
  timeoutSeconds?: number;
}

type HttpModule = Pick<typeof import("node:http"), "request" | "Agent">;

export class BotApi {
  readonly token: string;
  readonly #apiRoot: string;
  readonly #https: boolean;
  readonly #timeoutMs: number;
  /** node:http or node:https, loaded on the first call. */
  #module: HttpModule | null = null;
  #keepAlive: Agent | null = null;

  constructor(token: string, options: BotApiOptions = {}) {
    const apiRoot = options.apiRoot ?? "https://api.telegram.org";
    if (apiRoot.endsWith("/")) throw new Error(`Remove the trailing '/' from the 'apiRoot' option (use '${apiRoot.slice(0, -1)}' instead of '${apiRoot}')`);
    this.token = token;
    this.#apiRoot = apiRoot;
    this.#https = apiRoot.startsWith("https:");
    this.#timeoutMs = (options.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000;
  }

  /** One Bot API call: its result, or a BotApiError / HttpError. */
  async call<M extends BotApiMethod>(method: M, params: BotApiParams<M>, signal?: AbortSignal): Promise<BotApiResult<M>> {
    // grammY's encoding: null and undefined fields are left out.
    const body = Buffer.from(JSON.stringify(params, (_key, value: unknown) => value ?? undefined));
    return this.#answer(method, await this.#post(method, body, "application/json", signal));
  }

  /** A call with a file upload (multipart/form-data): `file` goes in the `field` part, the rest as form fields. */
  async callWithFile<M extends BotApiMethod>(method: M, params: Record<string, unknown>, file: UploadFile, signal?: AbortSignal): Promise<BotApiResult<M>> {
    const form = encodeMultipart(params, file);
    return this.#answer(method, await this.#post(method, form.body, form.contentType, signal));
  }

  /** A document as a new message (multipart upload). */
  sendDocument(chatId: number, document: Omit<UploadFile, "field">, other: Record<string, unknown> = {}): Promise<BotApiResult<"sendDocument">> {
    return this.callWithFile("sendDocument", { chat_id: chatId, ...other }, { field: "document", ...document });
  }

  getFile(fileId: string, signal?: AbortSignal): Promise<BotApiResult<"getFile">> {
    return this.call("getFile", { file_id: fileId }, signal);
  }

  /**
   * The bytes of a file getFile named (`<api_root>/file/bot<token>/<file_path>`).
   * Stops reading, and throws FileTooLargeError, once more than `maxBytes`
   * arrived; anything else that keeps the bytes from arriving is an HttpError.
   */
  downloadFile(filePath: string, options: { maxBytes: number; signal?: AbortSignal }): Promise<Buffer> {
    const failed = "Download of a file failed!";
    const url = `${this.#apiRoot}/file/bot${this.token}/${filePath.split("/").map(encodeURIComponent).join("/")}`;
    return this.#request(failed, "download a file", options.signal, (settle) => {
      const request = this.#http().request(url, { method: "GET", agent: this.#agent() }, (response) => {
        const status = response.statusCode ?? 0;
        if (status !== 200) {
          response.resume();
          settle(new HttpError(failed, new Error(`HTTP ${status} ${response.statusMessage ?? ""}`.trimEnd()), status));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            settle(new FileTooLargeError(options.maxBytes));
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () => {
          settle(null, Buffer.concat(chunks));
        });
        response.on("error", (error) => {
          settle(new HttpError(failed, error));
        });
      });
      request.end();
      return request;
    });
  }

  #answer<M extends BotApiMethod>(method: M, answer: Record<string, unknown>): BotApiResult<M> {
    if (answer.ok === true) return answer.result as BotApiResult<M>;
    if (typeof answer.error_code === "number") {
      const parameters = typeof answer.parameters === "object" && answer.parameters !== null ? (answer.parameters as BotApiErrorAnswer["parameters"]) : undefined;
      throw new BotApiError(method, {
        error_code: answer.error_code,
        description: typeof answer.description === "string" ? answer.description : "",
        ...(parameters === undefined ? {} : { parameters }),
      });
    }
    throw new HttpError(`Network request for '${method}' failed!`, new Error("the answer is not a Bot API answer (no ok, no error_code)"));
  }

  getMe(signal?: AbortSignal): Promise<BotApiResult<"getMe">> {
    return this.call("getMe", {}, signal);
  }

  getUpdates(params: BotApiParams<"getUpdates"> = {}, signal?: AbortSignal): Promise<BotApiResult<"getUpdates">> {
    return this.call("getUpdates", params, signal);
  }

  sendMessage(chatId: number | string, text: string, other: Other<"sendMessage", "chat_id" | "text"> = {}): Promise<BotApiResult<"sendMessage">> {
    return this.call("sendMessage", { chat_id: chatId, text, ...other });
  }

  editMessageText(chatId: number | string, messageId: number, text: string, other: Other<"editMessageText", "chat_id" | "message_id" | "inline_message_id" | "text"> = {}): Promise<BotApiResult<"editMessageText">> {
    return this.call("editMessageText", { chat_id: chatId, message_id: messageId, text, ...other });
  }

  deleteMessage(chatId: number | string, messageId: number): Promise<BotApiResult<"deleteMessage">> {
    return this.call("deleteMessage", { chat_id: chatId, message_id: messageId });
  }

  answerCallbackQuery(callbackQueryId: string, other: Other<"answerCallbackQuery", "callback_query_id"> = {}): Promise<BotApiResult<"answerCallbackQuery">> {
    return this.call("answerCallbackQuery", { callback_query_id: callbackQueryId, ...other });
  }

  setMyCommands(commands: BotApiParams<"setMyCommands">["commands"], other: Other<"setMyCommands", "commands"> = {}): Promise<BotApiResult<"setMyCommands">> {
    return this.call("setMyCommands", { commands, ...other });
  }

  sendChatAction(chatId: number | string, action: BotApiParams<"sendChatAction">["action"], other: Other<"sendChatAction", "chat_id" | "action"> = {}): Promise<BotApiResult<"sendChatAction">> {
    return this.call("sendChatAction", { chat_id: chatId, action, ...other });
  }

  getChat(chatId: number | string, signal?: AbortSignal): Promise<BotApiResult<"getChat">> {
    return this.call("getChat", { chat_id: chatId }, signal);
  }

  getChatMember(chatId: number | string, userId: number, signal?: AbortSignal): Promise<BotApiResult<"getChatMember">> {
    return this.call("getChatMember", { chat_id: chatId, user_id: userId }, signal);
  }

  /** The decoded JSON answer, whatever the HTTP status (Telegram's errors are JSON too). */
  #post(method: string, body: Buffer, contentType: string, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
    const failed = `Network request for '${method}' failed!`;
    return this.#request(failed, `'${method}'`, signal, (settle) => {
      const options: RequestOptions = {
        method: "POST",
        agent: this.#agent(),
        headers: {
          "content-type": contentType,
          "content-length": body.length,
          connection: "keep-alive",
          // As grammY asks over https (node-fetch's `compress`): getUpdates answers can be large.
          ...(this.#https ? { "accept-encoding": "gzip, deflate" } : {}),
        },
      };
      const request = this.#http().request(`${this.#apiRoot}/bot${this.token}/${method}`, options, (response) => {
        readAnswer(response).then(
          (text) => {
            try {
              const answer: unknown = JSON.parse(text);
              if (typeof answer !== "object" || answer === null) throw new Error("not a JSON object");
              settle(null, answer as Record<string, unknown>);
            } catch {
              const status = response.statusCode ?? null;
              settle(new HttpError(failed, new Error(`HTTP ${status ?? "?"} ${response.statusMessage ?? ""}: the answer is not JSON`.replace(" :", ":")), status));
            }
          },
          (error: unknown) => {
            settle(new HttpError(failed, error));
          },
        );
      });
      request.end(body);
      return request;
    });
  }

  /**
   * One request, settled once: by `start`'s answer, a request error, the
   * signal or the timeout (which destroy the request). `failed` is the
   * HttpError's message.
   */
  #request<T>(failed: string, what: string, signal: AbortSignal | undefined, start: (settle: (error: Error | null, value?: T) => void) => ClientRequest): Promise<T> {
    return new Promise((resolve, reject) => {
      // Set below; settle() may run before either exists (an aborted signal).
      const pending: { request?: ClientRequest; timer?: NodeJS.Timeout } = {};
      let settled = false;
      const settle = (error: Error | null, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(pending.timer);
        signal?.removeEventListener("abort", onAbort);
        if (error === null) resolve(value as T);
        else {
          reject(error);
          pending.request?.destroy();
        }
      };
      const onAbort = (): void => {
        settle(new HttpError(failed, signal?.reason));
      };
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      pending.timer = setTimeout(() => {
        settle(new HttpError(failed, new Error(`Request to ${what} timed out after ${this.#timeoutMs / 1000} seconds`)));
      }, this.#timeoutMs);
      const request = start(settle);
      pending.request = request;
      request.on("error", (error) => {
        settle(new HttpError(failed, error));
      });
    });
  }

  #http(): HttpModule {
    // getBuiltinModule rather than `import`: an ESM import of node:http builds
    // its module namespace, and with it the WebSocket classes node:http
    // exports lazily — the whole undici client (~13 MB) that takopi never uses.
    this.#module ??= process.getBuiltinModule(this.#https ? "node:https" : "node:http");
    return this.#module;
  }

  #agent(): Agent {
    this.#keepAlive ??= new (this.#http().Agent)({ keepAlive: true });
    return this.#keepAlive;
  }
}

/** The answer's body as text, inflated when the server compressed it. */
async function readAnswer(response: IncomingMessage): Promise<string> {
  const encoding = response.headers["content-encoding"];
  let stream: AsyncIterable<Buffer> = response;
  if (encoding === "gzip" || encoding === "deflate") {
    const zlib = process.getBuiltinModule("node:zlib");
    const inflate = encoding === "gzip" ? zlib.createGunzip() : zlib.createInflate();
    response.pipe(inflate);
    response.on("error", (error) => inflate.destroy(error));
    stream = inflate;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}
