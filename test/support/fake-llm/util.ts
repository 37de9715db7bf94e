// Small shared helpers for the fake LLM server: JSON narrowing, ids, SSE
// framing and a response wrapper that knows whether its client went away.
import type { IncomingMessage, ServerResponse } from "node:http";

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

export function getString(obj: unknown, key: string): string | undefined {
  if (!isObject(obj)) return undefined;
  const value = obj[key];
  return typeof value === "string" ? value : undefined;
}

export function getObject(obj: unknown, key: string): JsonObject | undefined {
  if (!isObject(obj)) return undefined;
  const value = obj[key];
  return isObject(value) ? value : undefined;
}

/** Concatenated text of a string, a content-part array or a nested `content`/`text`/`output`. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map((part) => textOf(part)).join("");
  if (isObject(value)) {
    if (typeof value.text === "string") return value.text;
    if ("content" in value) return textOf(value.content);
    if ("output" in value) return textOf(value.output);
  }
  return "";
}

/** `<prefix>_<base36 time><random>`, e.g. `resp_mwr0govfs6bpzq`. */
export function makeId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Split a text in two at ceil(len / 2), the way every dialect streams it. */
export function splitHalves(text: string): [string, string] {
  const cut = Math.ceil(text.length / 2);
  return [text.slice(0, cut), text.slice(cut)];
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Parsed JSON body; null when empty; `{_unparsed}` when not JSON. */
export function parseBody(raw: string): unknown {
  if (raw.length === 0) return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return { _unparsed: raw.slice(0, 2000) };
  }
}

/** Sleeps that the server can cancel all at once when it closes. */
export class Timers {
  private readonly pending = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.pending.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.pending.add(entry);
    });
  }

  cancelAll(): void {
    for (const entry of this.pending) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.pending.clear();
  }
}

/** Everything a dialect handler needs to answer one request. */
export interface Reply {
  readonly res: ServerResponse;
  readonly timers: Timers;
  readonly slowMs: number;
  /** True once the client disconnected or the response ended. */
  gone(): boolean;
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  /** Sends SSE headers (once). */
  startSse(): void;
  /** Writes one SSE event; `event` null means a data-only line (Chat Completions). */
  sse(event: string | null, data: unknown): void;
  /** Writes a raw `data: <text>` line, e.g. `[DONE]`. */
  sseRaw(text: string): void;
  end(): void;
}

export function makeReply(res: ServerResponse, timers: Timers, slowMs: number): Reply {
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  const gone = (): boolean => closed || res.destroyed || res.writableEnded;
  return {
    res,
    timers,
    slowMs,
    gone,
    json(status, body, headers = {}) {
      if (gone()) return;
      const text = JSON.stringify(body);
      res.writeHead(status, {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(text)),
        ...headers,
      });
      res.end(text);
    },
    startSse() {
      if (res.headersSent || gone()) return;
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      res.flushHeaders();
    },
    sse(event, data) {
      if (gone()) return;
      const prefix = event === null ? "" : `event: ${event}\n`;
      res.write(`${prefix}data: ${JSON.stringify(data)}\n\n`);
    },
    sseRaw(text) {
      if (gone()) return;
      res.write(`data: ${text}\n\n`);
    },
    end() {
      if (!gone()) res.end();
    },
  };
}
