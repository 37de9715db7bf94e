/**
 * A small JSON-RPC peer over a pair of byte streams, one JSON object per line
 * (codex app-server's framing: no `"jsonrpc"` field is sent or required).
 *
 * Both sides send requests. The server numbers its requests from 0, so its
 * ids collide with ours: a message with a `method` is a request or a
 * notification from the server, one without is a response to us.
 */
import type { Readable, Writable } from "node:stream";
import { DEFAULT_MAX_LINE_BYTES, splitLines } from "./lines.js";

export type JsonRpcId = number | string;

export interface JsonRpcNotification {
  method: string;
  params: unknown;
}

export interface JsonRpcServerRequest extends JsonRpcNotification {
  id: JsonRpcId;
}

/** An error response, from either side. */
export class JsonRpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "JsonRpcError";
    this.code = code;
    this.data = data;
  }
}

/**
 * What `onRequest` returns to send nothing back: the peer withdrew the
 * request (codex `serverRequest/resolved`) and ignores a late reply anyway.
 */
export const NO_REPLY: unique symbol = Symbol("jsonrpc.noReply");

export interface JsonRpcHandlers {
  onNotification?: (message: JsonRpcNotification) => void;
  /** Answers a server request: its result, `NO_REPLY`, or a thrown `JsonRpcError`. Unset: every request gets -32601. */
  onRequest?: (message: JsonRpcServerRequest) => unknown;
  /** A line that is not a JSON object, or a response to nothing we asked. */
  onProtocolError?: (problem: string) => void;
  /** The input ended (the peer exited or closed its stdout). */
  onClose?: () => void;
}

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class JsonRpcClient {
  readonly #output: Writable;
  readonly #handlers: JsonRpcHandlers;
  readonly #pending = new Map<JsonRpcId, Pending>();
  #nextId = 1;
  #closed = false;
  /** Settles when the input has ended and every pending request was rejected. */
  readonly done: Promise<void>;

  constructor(input: Readable, output: Writable, handlers: JsonRpcHandlers = {}) {
    this.#output = output;
    this.#handlers = handlers;
    // A write to a peer that has exited fails with EPIPE; the close path reports it.
    output.on("error", () => undefined);
    this.done = this.#read(input);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends a request; resolves with its `result`, rejects with a `JsonRpcError` or when the connection closes. */
  request(method: string, params?: unknown): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error(`connection closed before ${method}`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { method, resolve, reject });
      this.#send(params === undefined ? { id, method } : { id, method, params });
    });
  }

  notify(method: string, params?: unknown): void {
    if (!this.#closed) this.#send(params === undefined ? { method } : { method, params });
  }

  /** Ends our output (the peer's stdin): codex app-server exits on EOF. */
  end(): void {
    this.#output.end();
  }

  #send(message: Record<string, unknown>): void {
    if (this.#output.writable) this.#output.write(`${JSON.stringify(message)}\n`);
  }

  async #read(input: Readable): Promise<void> {
    try {
      for await (const item of splitLines(input, DEFAULT_MAX_LINE_BYTES)) {
        if (item.type === "line") this.#receive(item.text);
        else this.#handlers.onProtocolError?.(`skipped a ${item.bytes}-byte line`);
      }
    } catch (error) {
      this.#handlers.onProtocolError?.(`input failed: ${String(error)}`);
    }
    this.#closed = true;
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(new Error(`connection closed before ${pending.method} was answered`));
    }
    this.#handlers.onClose?.();
  }

  #receive(text: string): void {
    if (text.trim() === "") return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.#handlers.onProtocolError?.(`invalid JSON: ${text.slice(0, 200)}`);
      return;
    }
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      this.#handlers.onProtocolError?.(`not an object: ${text.slice(0, 200)}`);
      return;
    }
    const record = message as Record<string, unknown>;
    const id = record.id;
    const hasId = typeof id === "number" || typeof id === "string";
    if (typeof record.method === "string") {
      if (hasId) this.#answer({ id, method: record.method, params: record.params });
      else this.#handlers.onNotification?.({ method: record.method, params: record.params });
      return;
    }
    const pending = hasId ? this.#pending.get(id) : undefined;
    if (!hasId || pending === undefined) {
      this.#handlers.onProtocolError?.(`response to no request: ${text.slice(0, 200)}`);
      return;
    }
    this.#pending.delete(id);
    if (record.error !== undefined) {
      const error = (typeof record.error === "object" && record.error !== null ? record.error : {}) as Record<string, unknown>;
      const code = typeof error.code === "number" ? error.code : -32603;
      const text = typeof error.message === "string" ? error.message : JSON.stringify(record.error);
      pending.reject(new JsonRpcError(code, text, error.data));
    } else {
      pending.resolve(record.result);
    }
  }

  #answer(request: JsonRpcServerRequest): void {
    const handler = this.#handlers.onRequest;
    if (handler === undefined) {
      this.#send({ id: request.id, error: { code: -32601, message: `unsupported request ${request.method}` } });
      return;
    }
    Promise.resolve()
      .then(() => handler(request))
      .then(
        (result) => {
          if (result !== NO_REPLY) this.#send({ id: request.id, result: result ?? null });
        },
        (error: unknown) => {
          const code = error instanceof JsonRpcError ? error.code : -32603;
          const message = error instanceof Error ? error.message : String(error);
          this.#send({ id: request.id, error: { code, message } });
        },
      );
  }
}
