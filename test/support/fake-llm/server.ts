// The fake LLM HTTP server: routing, scenario selection, request recording and
// the blackhole proxy. Dialects live in responses.ts, chat.ts, anthropic.ts.
import { appendFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { anthropicConversation, handleAnthropic } from "./anthropic.js";
import { chatConversation, handleChat } from "./chat.js";
import { handleResponses, responsesConversation } from "./responses.js";
import { isScenario } from "./scenarios.js";
import { getString, makeReply, parseBody, readBody, Timers } from "./util.js";

export interface RecordedRequest {
  seq: number;
  ts: string;
  kind: "request";
  method: string;
  /** Path after the `/s/<scenario>` prefix was stripped, without the query string. */
  path: string;
  scenario: string;
  query?: Record<string, string>;
  headers: Record<string, string | string[]>;
  /** Parsed JSON body; null when empty; `{_unparsed}` when not JSON. */
  body: unknown;
}

export interface ProxyAttempt {
  method: string;
  /** Absolute URL, or `host:port` for CONNECT. */
  url: string;
}

export interface ServerError {
  kind: "handler_error" | "socket_error";
  error: string;
}

export interface FakeLlmOptions {
  /** How long the `slow` scenario stalls mid-stream (default 20000). */
  slowMs?: number;
  /** Default scenario when the URL has no `/s/<scenario>/` prefix (default `text`). */
  scenario?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Append every log entry as a JSON line to this file. */
  logFile?: string;
}

export interface FakeLlm {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  proxyAttempts: ProxyAttempt[];
  errors: ServerError[];
  /** `${url}/s/<scenario><suffix>`; suffix defaults to `/v1`. */
  scenarioUrl(scenario: string, suffix?: "/v1" | ""): string;
  /** The global default scenario (what `/__scenario` sets). */
  readonly scenario: string;
  setScenario(scenario: string): void;
  close(): Promise<void>;
}

const MODEL_IDS = ["fake-model", "gpt-fake", "claude-fake"];
const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;
const SCENARIO_PREFIX = /^\/s\/([^/]+)(\/.*)?$/;

function headerRecord(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function modelsBody(): unknown {
  const data = MODEL_IDS.map((id) => ({
    id,
    object: "model",
    created: 0,
    owned_by: "fake",
    type: "model",
    display_name: id,
  }));
  return { object: "list", data, models: [], has_more: false, first_id: MODEL_IDS[0], last_id: MODEL_IDS.at(-1) };
}

export async function startFakeLlm(opts: FakeLlmOptions = {}): Promise<FakeLlm> {
  const slowMs = opts.slowMs ?? 20_000;
  const host = opts.host ?? "127.0.0.1";
  let globalScenario = opts.scenario ?? "text";
  let seq = 0;
  const timers = new Timers();
  const requests: RecordedRequest[] = [];
  const proxyAttempts: ProxyAttempt[] = [];
  const errors: ServerError[] = [];
  const connectSockets = new Set<Duplex>();

  const log = (entry: Record<string, unknown>): void => {
    if (opts.logFile === undefined) return;
    try {
      appendFileSync(opts.logFile, `${JSON.stringify(entry)}\n`);
    } catch {
      // Logging must never break the server.
    }
  };
  const recordError = (kind: ServerError["kind"], err: unknown): void => {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    errors.push({ kind, error });
    log({ seq: seq++, ts: new Date().toISOString(), kind, error });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? "GET";
    const rawUrl = req.url ?? "/";
    if (ABSOLUTE_URL.test(rawUrl)) {
      req.resume();
      proxyAttempts.push({ method, url: rawUrl });
      log({ seq: seq++, ts: new Date().toISOString(), kind: "proxy", method, url: rawUrl });
      res.writeHead(502, { "content-type": "text/plain" });
      res.end("fake-llm: external access blocked");
      return;
    }
    const parsed = new URL(rawUrl, "http://fake-llm.invalid");
    let path = parsed.pathname;
    let scenario = globalScenario;
    const prefix = SCENARIO_PREFIX.exec(path);
    if (prefix?.[1] !== undefined) {
      scenario = decodeURIComponent(prefix[1]);
      path = prefix[2] ?? "/";
    }
    const query = Object.fromEntries(parsed.searchParams);
    const body = parseBody(await readBody(req));
    const headers = headerRecord(req);
    const record: RecordedRequest = {
      seq: seq++,
      ts: new Date().toISOString(),
      kind: "request",
      method,
      path,
      scenario,
      ...(Object.keys(query).length > 0 ? { query } : {}),
      headers,
      body,
    };
    requests.push(record);
    log({ ...record });

    const reply = makeReply(res, timers, slowMs);
    if (path.endsWith("/__scenario")) {
      const name = query.name ?? getString(body, "name");
      if (name === undefined || !isScenario(name)) {
        reply.json(400, { error: { message: `fake-llm: unknown scenario ${String(name)}` } });
        return;
      }
      globalScenario = name;
      reply.json(200, { scenario: name });
      return;
    }
    if (path.endsWith("/__health")) {
      reply.json(200, { ok: true, scenario: globalScenario });
      return;
    }
    if (method === "POST" && path.endsWith("/responses")) {
      await handleResponses(reply, body, scenario, responsesConversation(body, headers));
      return;
    }
    if (method === "POST" && path.endsWith("/chat/completions")) {
      await handleChat(reply, body, scenario, chatConversation(body, headers));
      return;
    }
    if (method === "POST" && path.endsWith("/messages/count_tokens")) {
      reply.json(200, { input_tokens: 42 });
      return;
    }
    if (method === "POST" && path.endsWith("/messages")) {
      await handleAnthropic(reply, body, scenario, anthropicConversation(body, headers));
      return;
    }
    if (method === "GET" && path.endsWith("/models")) {
      reply.json(200, modelsBody());
      return;
    }
    reply.json(404, { error: { message: `fake-llm: no route for ${method} ${path}`, type: "not_found" } });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      recordError("handler_error", err);
      if (res.destroyed || res.writableEnded) return;
      if (res.headersSent) {
        res.end();
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      const text = JSON.stringify({ error: { message } });
      res.writeHead(500, { "content-type": "application/json" });
      res.end(text);
    });
  });

  server.on("connection", (socket: Socket) => {
    socket.on("error", (err) => {
      recordError("socket_error", err);
    });
  });
  server.on("clientError", (err, socket) => {
    recordError("socket_error", err);
    socket.destroy();
  });
  server.on("connect", (req: IncomingMessage, socket: Duplex) => {
    connectSockets.add(socket);
    socket.on("error", () => {
      // Clients often reset a refused tunnel; nothing to do.
    });
    socket.on("close", () => connectSockets.delete(socket));
    const url = req.url ?? "";
    proxyAttempts.push({ method: "CONNECT", url });
    log({ seq: seq++, ts: new Date().toISOString(), kind: "proxy", method: "CONNECT", url });
    socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    setTimeout(() => socket.destroy(), 100).unref();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => {
    recordError("socket_error", err);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${String(port)}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    requests,
    proxyAttempts,
    errors,
    scenarioUrl(scenario, suffix = "/v1") {
      return `${url}/s/${encodeURIComponent(scenario)}${suffix}`;
    },
    get scenario() {
      return globalScenario;
    },
    setScenario(scenario) {
      globalScenario = scenario;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        timers.cancelAll();
        for (const socket of connectSockets) socket.destroy();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
