/**
 * A fake OpenAI-compatible transcription server on 127.0.0.1: takes
 * `POST <prefix>/audio/transcriptions` (multipart: `file`, `model`) and
 * `GET <prefix>/models`, records every request (path, model, the file's
 * name, type and bytes, the Authorization header) and answers from a script:
 * a transcript, an error status with an OpenAI-shaped body, a connection
 * dropped mid-request, or no answer until the test releases it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";
import { boundaryOf, parseMultipart } from "./fake-telegram/multipart.js";

/** What the server does with the next transcription request. */
export type TranscriptionAnswer =
  | { text: string }
  /** An error answer: `{"error": {"message": …}}` with this status (or a raw body). */
  | { status: number; message?: string; body?: string }
  /** The socket is destroyed without an answer. */
  | { drop: true }
  /** No answer until `release()`; then the inner answer. */
  | { hold: TranscriptionAnswer };

export interface TranscriptionRequest {
  method: string;
  /** The path after the prefix: `/audio/transcriptions`, `/models`, … */
  path: string;
  authorization: string | undefined;
  model: string | undefined;
  file: { filename: string | undefined; contentType: string | undefined; data: Buffer } | undefined;
}

export interface FakeTranscriptionOptions {
  /** Default `/v1`. */
  prefix?: string;
  /** Answer when the script is empty (default `{ text: "hello from the fake" }`). */
  fallback?: TranscriptionAnswer;
  /** What `GET /models` lists (default gpt-4o-mini-transcribe and whisper-1); an answer to fail it. */
  models?: string[] | { status: number; message?: string };
  /** Only this Bearer key is taken (else 401, as OpenAI); default any. */
  acceptKey?: string;
}

export interface FakeTranscription {
  /** `http://127.0.0.1:<port>/v1`: what `voice_transcription_base_url` takes. */
  readonly baseUrl: string;
  readonly requests: TranscriptionRequest[];
  /** Queues answers for the next transcription requests, in order. */
  script(...answers: TranscriptionAnswer[]): void;
  /** How many requests wait on `hold`. */
  readonly held: number;
  /** Lets every held request answer. */
  release(): void;
  close(): Promise<void>;
}

export async function startFakeTranscription(options: FakeTranscriptionOptions = {}): Promise<FakeTranscription> {
  const prefix = options.prefix ?? "/v1";
  const fallback = options.fallback ?? { text: "hello from the fake" };
  const script: TranscriptionAnswer[] = [];
  const requests: TranscriptionRequest[] = [];
  const holds: (() => void)[] = [];
  const sockets = new Set<Socket>();

  const answer = async (res: ServerResponse, given: TranscriptionAnswer): Promise<void> => {
    if ("hold" in given) {
      await new Promise<void>((resolve) => holds.push(resolve));
      return answer(res, given.hold);
    }
    if ("drop" in given) {
      res.socket?.destroy();
      return;
    }
    if ("text" in given) return json(res, 200, { text: given.text });
    if (given.body !== undefined) {
      res.writeHead(given.status, { "content-type": "text/plain" }).end(given.body);
      return;
    }
    return json(res, given.status, { error: { message: given.message ?? `error ${given.status}`, type: "invalid_request_error" } });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://fake");
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    const record: TranscriptionRequest = { method: req.method ?? "", path, authorization: req.headers.authorization, model: undefined, file: undefined };
    const boundary = boundaryOf(req.headers["content-type"] ?? "");
    if (boundary !== undefined) {
      for (const part of parseMultipart(body, boundary)) {
        if (part.name === "model") record.model = part.data.toString("utf8");
        if (part.name === "file") record.file = { filename: part.filename, contentType: part.contentType, data: part.data };
      }
    }
    requests.push(record);
    if (options.acceptKey !== undefined && req.headers.authorization !== `Bearer ${options.acceptKey}`) {
      return json(res, 401, { error: { message: `Incorrect API key provided: ${(req.headers.authorization ?? "").replace(/^Bearer /, "")}`, type: "invalid_request_error" } });
    }
    if (req.method === "GET" && path === "/models") {
      const models = options.models ?? ["gpt-4o-mini-transcribe", "whisper-1"];
      if (!Array.isArray(models)) return json(res, models.status, { error: { message: models.message ?? `error ${models.status}` } });
      return json(res, 200, { object: "list", data: models.map((id) => ({ id, object: "model" })) });
    }
    if (req.method === "POST" && path === "/audio/transcriptions") {
      if (record.file === undefined || record.model === undefined) return json(res, 400, { error: { message: "file and model are required" } });
      return answer(res, script.shift() ?? fallback);
    }
    return json(res, 404, { error: { message: `no route ${req.method ?? ""} ${url.pathname}` } });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) void json(res, 500, { error: { message: String(error) } });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${String(port)}${prefix}`,
    requests,
    script: (...answers) => {
      script.push(...answers);
    },
    get held() {
      return holds.length;
    },
    release: () => {
      for (const resolve of holds.splice(0)) resolve();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const release of holds.splice(0)) release();
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A base URL on 127.0.0.1 where nothing listens (a port bound, then let go): an unreachable endpoint. */
export async function unreachableBaseUrl(): Promise<string> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    probe.close(() => {
      resolve();
    });
  });
  return `http://127.0.0.1:${String(port)}/v1`;
}

/** Answers with JSON; a promise so that handlers can `return json(…)`. */
function json(res: ServerResponse, status: number, value: unknown): Promise<void> {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
  return Promise.resolve();
}
