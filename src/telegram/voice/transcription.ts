/**
 * A speech-to-text client for OpenAI-compatible endpoints (OpenAI itself, or
 * a local server such as faster-whisper-server or LocalAI): the audio as
 * multipart/form-data to `POST <base_url>/audio/transcriptions`, the key as
 * `Authorization: Bearer <key>`, the transcript from the JSON answer's
 * `text`. On node:http or node:https (loaded for the URL that needs it), like
 * the Bot API client, so no SDK is needed.
 *
 * Every failure is a TranscriptionError whose message is fit for the chat
 * and for `takopi doctor`: what the endpoint said (its `error.message`, the
 * key redacted if it quotes it), or why no answer came.
 */
import type { ClientRequest, IncomingMessage } from "node:http";
import type { TelegramSettings } from "../../config/schema.js";
import { Redactor } from "../../secrets/redactor.js";
import { errorCode, errorMessage } from "../../util/errors.js";
import { encodeMultipart } from "../multipart.js";

/** Where the OpenAI SDK goes when neither the config nor OPENAI_BASE_URL says otherwise. */
export const DEFAULT_BASE_URL = "https://api.openai.com/v1";
/** Upstream's timeout for one transcription. */
export const TRANSCRIPTION_TIMEOUT_MS = 120_000;
/** An answer larger than this is not a transcript (or a model list) of a voice note. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** Where transcriptions go and with which key; the key's source names it in messages. */
export interface TranscriptionEndpoint {
  /** Without a trailing slash. */
  baseUrl: string;
  apiKey: string | null;
  /** Where the key (or the lack of one) comes from, for the messages that must say what to set. */
  keySource: "voice_transcription_api_key" | "OPENAI_API_KEY" | null;
}

/**
 * The endpoint for these settings: `voice_transcription_base_url`, else
 * OPENAI_BASE_URL, else OpenAI; `voice_transcription_api_key`, else
 * OPENAI_API_KEY (the OpenAI SDK's defaults, as upstream).
 */
export function transcriptionEndpoint(
  settings: Pick<TelegramSettings, "voice_transcription_base_url" | "voice_transcription_api_key">,
  env: NodeJS.ProcessEnv = process.env,
): TranscriptionEndpoint {
  const envBase = env.OPENAI_BASE_URL?.trim();
  const baseUrl = (settings.voice_transcription_base_url ?? (envBase === undefined || envBase === "" ? DEFAULT_BASE_URL : envBase)).replace(/\/+$/, "");
  if (settings.voice_transcription_api_key !== null) return { baseUrl, apiKey: settings.voice_transcription_api_key, keySource: "voice_transcription_api_key" };
  const envKey = env.OPENAI_API_KEY?.trim();
  return envKey === undefined || envKey === "" ? { baseUrl, apiKey: null, keySource: null } : { baseUrl, apiKey: envKey, keySource: "OPENAI_API_KEY" };
}

/** What a missing key's reply says to set. */
export const MISSING_KEY_HINT = "set `voice_transcription_api_key` under `[transports.telegram]` in takopi.toml, or the `OPENAI_API_KEY` environment variable";

export type TranscriptionFailure =
  /** The endpoint answered with an error status. */
  | "status"
  /** No connection: refused, unknown host, bad URL. */
  | "unreachable"
  /** The connection broke before a full answer arrived. */
  | "dropped"
  | "timeout"
  /** An answer that is not what an OpenAI-compatible endpoint sends. */
  | "bad_answer";

export class TranscriptionError extends Error {
  override readonly name = "TranscriptionError";
  readonly failure: TranscriptionFailure;
  /** The HTTP status, when an answer came. */
  readonly status: number | null;

  constructor(failure: TranscriptionFailure, message: string, status: number | null = null) {
    super(message);
    this.failure = failure;
    this.status = status;
  }
}

export interface AudioFile {
  data: Buffer;
  /** The note's mime type (Telegram's voice notes are `audio/ogg`). */
  mimeType: string;
}

export interface RequestOptions {
  /** Default TRANSCRIPTION_TIMEOUT_MS. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The transcript of `audio` (trimmed; may be empty when nothing was said). */
export async function transcribe(endpoint: TranscriptionEndpoint, audio: AudioFile, model: string, options: RequestOptions = {}): Promise<string> {
  const form = encodeMultipart({ model }, { field: "file", filename: "voice.ogg", data: audio.data, contentType: audio.mimeType });
  const answer = await request(endpoint, "POST", "/audio/transcriptions", { body: form.body, contentType: form.contentType }, options);
  const text = (answer.json as { text?: unknown } | null)?.text;
  if (typeof text !== "string") throw new TranscriptionError("bad_answer", `${describeUrl(endpoint.baseUrl)} answered without a transcript`, answer.status);
  return text.trim();
}

/** The model ids `GET <base_url>/models` lists (for `takopi doctor`); null when the answer has no list. */
export async function listModels(endpoint: TranscriptionEndpoint, options: RequestOptions = {}): Promise<string[] | null> {
  const answer = await request(endpoint, "GET", "/models", null, options);
  const data = (answer.json as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return null;
  return data.map((model: unknown) => (model as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === "string");
}

/** The base URL as messages show it: no credentials, no query. */
export function describeUrl(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return baseUrl;
  }
}

interface Answer {
  status: number;
  json: unknown;
}

/** One request; a 2xx answer as JSON (null when it is not JSON), anything else a TranscriptionError. */
async function request(
  endpoint: TranscriptionEndpoint,
  method: "GET" | "POST",
  path: string,
  body: { body: Buffer; contentType: string } | null,
  options: RequestOptions,
): Promise<Answer> {
  const where = describeUrl(endpoint.baseUrl);
  let url: URL;
  try {
    url = new URL(`${endpoint.baseUrl}${path}`);
  } catch {
    throw new TranscriptionError("unreachable", `${where} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TranscriptionError("unreachable", `${where} is not an http(s) URL`);
  const http = url.protocol === "https:" ? await import("node:https") : await import("node:http");
  const timeoutMs = options.timeoutMs ?? TRANSCRIPTION_TIMEOUT_MS;
  const headers: Record<string, string | number> = { accept: "application/json" };
  if (endpoint.apiKey !== null) headers.authorization = `Bearer ${endpoint.apiKey}`;
  if (body !== null) {
    headers["content-type"] = body.contentType;
    headers["content-length"] = body.body.length;
  }

  if (options.signal?.aborted === true) throw new TranscriptionError("dropped", `the request to ${where} was cancelled`);
  const { promise, resolve, reject } = Promise.withResolvers<{ status: number; data: Buffer }>();
  let settled = false;
  let req: ClientRequest | null = null;
  const settle = (error: TranscriptionError | null, value?: { status: number; data: Buffer }): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    if (error !== null) {
      req?.destroy();
      reject(error);
    } else if (value !== undefined) {
      resolve(value);
    }
  };
  const timer = setTimeout(() => {
    settle(new TranscriptionError("timeout", `no answer from ${where} within ${timeoutMs % 1000 === 0 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`}`));
  }, timeoutMs);
  const onAbort = (): void => {
    settle(new TranscriptionError("dropped", `the request to ${where} was cancelled`));
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });

  try {
    req = http.request(url, { method, headers }, (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) settle(new TranscriptionError("bad_answer", `${where} sent an answer larger than ${MAX_ANSWER_BYTES} bytes`, response.statusCode ?? null));
        else chunks.push(chunk);
      });
      response.on("end", () => {
        settle(null, { status: response.statusCode ?? 0, data: Buffer.concat(chunks) });
      });
      response.on("close", () => {
        if (!response.complete) settle(new TranscriptionError("dropped", `${where} closed the connection before its answer was complete`));
      });
      response.on("error", (error) => {
        settle(new TranscriptionError("dropped", `${where} closed the connection (${networkCode(error)})`));
      });
    });
    req.on("error", (error) => {
      const code = networkCode(error);
      const refused = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"].includes(code);
      settle(new TranscriptionError(refused ? "unreachable" : "dropped", refused ? `cannot reach ${where} (${code})` : `${where} closed the connection (${code})`));
    });
    req.end(body?.body);
  } catch (error) {
    // http.request throws at once on what it cannot send (a key with a line break in a header).
    settle(new TranscriptionError("unreachable", `cannot send to ${where} (${networkCode(error)})`));
  }

  const { status, data } = await promise;
  const json = parseJson(data);
  if (status >= 200 && status < 300) return { status, json };
  // An endpoint may quote the key it refused (OpenAI quotes part of it): the message never carries it.
  const redactor = Redactor.of(endpoint.apiKey === null ? [] : [{ name: endpoint.keySource ?? "api_key", value: endpoint.apiKey }]);
  throw new TranscriptionError("status", redactor.redact(`${where} answered HTTP ${status}${describeErrorBody(json, data)}`), status);
}

function parseJson(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString("utf8")) as unknown;
  } catch {
    return null;
  }
}

/** `: <what the endpoint said>` from OpenAI's `{error: {message}}`, a `{detail}` or `{error: "…"}`, or a short plain-text body. */
function describeErrorBody(json: unknown, data: Buffer): string {
  const body = (json ?? {}) as { error?: unknown; detail?: unknown; message?: unknown };
  const candidates = [typeof body.error === "object" && body.error !== null ? (body.error as { message?: unknown }).message : body.error, body.detail, body.message];
  let said = candidates.find((value): value is string => typeof value === "string" && value.trim() !== "");
  if (said === undefined && json === null) said = data.toString("utf8").replace(/<[^>]*>/g, " ");
  const text = (said ?? "").replace(/\s+/g, " ").trim();
  if (text === "") return "";
  return `: ${text.length > 300 ? `${text.slice(0, 299)}…` : text}`;
}

function networkCode(error: unknown): string {
  const code = errorCode(error);
  return code === "unknown" ? errorMessage(error) : code;
}
