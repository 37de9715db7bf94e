// The transcription client against a fake OpenAI-compatible server on
// 127.0.0.1: what it sends (multipart file and model, the Bearer key), what it
// makes of the answers (the transcript, error statuses with the endpoint's
// words, a dropped connection, no server, no answer in time, a cancel), and
// where the endpoint and key come from (config, then OPENAI_* variables).
import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_BASE_URL,
  describeUrl,
  listModels,
  transcribe,
  TranscriptionError,
  transcriptionEndpoint,
  type TranscriptionEndpoint,
} from "../../../../src/telegram/voice/transcription.js";
import { startFakeTranscription, unreachableBaseUrl, type FakeTranscription } from "../../../support/fake-transcription.js";

const KEY = "sk-test-transcription-0123456789";
const AUDIO = { data: Buffer.from([0x4f, 0x67, 0x67, 0x53, 0x00, 0xff, 0x10]), mimeType: "audio/ogg" };

let fake: FakeTranscription | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function server(options: Parameters<typeof startFakeTranscription>[0] = {}): Promise<{ fake: FakeTranscription; endpoint: TranscriptionEndpoint }> {
  fake = await startFakeTranscription(options);
  return { fake, endpoint: { baseUrl: fake.baseUrl, apiKey: KEY, keySource: "voice_transcription_api_key" } };
}

async function failure(promise: Promise<unknown>): Promise<TranscriptionError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TranscriptionError);
  return error as TranscriptionError;
}


describe("transcribe", () => {
  it("posts the audio as voice.ogg with its mime type and the model, with the key as a Bearer token", async () => {
    const { fake, endpoint } = await server();
    fake.script({ text: "  fix the failing test \n" });
    expect(await transcribe(endpoint, { ...AUDIO, mimeType: "audio/mpeg" }, "whisper-1")).toBe("fix the failing test");
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request).toMatchObject({ method: "POST", path: "/audio/transcriptions", authorization: `Bearer ${KEY}`, model: "whisper-1" });
    expect(request?.file?.filename).toBe("voice.ogg");
    expect(request?.file?.contentType).toBe("audio/mpeg");
    expect(request?.file?.data.equals(AUDIO.data)).toBe(true);
  });

  it("reports an error status with what the endpoint said", async () => {
    const { fake, endpoint } = await server();
    fake.script({ status: 401, message: "Incorrect API key provided" }, { status: 500, body: "<html><body>Internal Server Error</body></html>" });
    const unauthorized = await failure(transcribe(endpoint, AUDIO, "m"));
    expect(unauthorized.failure).toBe("status");
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.message).toBe(`${fake.baseUrl} answered HTTP 401: Incorrect API key provided`);
    const broken = await failure(transcribe(endpoint, AUDIO, "m"));
    expect(broken.status).toBe(500);
    expect(broken.message).toBe(`${fake.baseUrl} answered HTTP 500: Internal Server Error`);
  });

  it("reports a 200 answer without a transcript", async () => {
    const { fake, endpoint } = await server();
    fake.script({ status: 200, body: "not json" });
    const error = await failure(transcribe(endpoint, AUDIO, "m"));
    expect(error.failure).toBe("bad_answer");
    expect(error.message).toBe(`${fake.baseUrl} answered without a transcript`);
  });

  it("reports a connection dropped before the answer", async () => {
    const { fake, endpoint } = await server();
    fake.script({ drop: true });
    const error = await failure(transcribe(endpoint, AUDIO, "m"));
    expect(error.failure).toBe("dropped");
    expect(error.message).toContain(`${fake.baseUrl} closed the connection`);
  });

  it("reports an endpoint nobody listens on as unreachable", async () => {
    const baseUrl = await unreachableBaseUrl();
    const error = await failure(transcribe({ baseUrl, apiKey: KEY, keySource: "OPENAI_API_KEY" }, AUDIO, "m"));
    expect(error.failure).toBe("unreachable");
    expect(error.message).toBe(`cannot reach ${baseUrl} (ECONNREFUSED)`);
  });

  it("gives up when no answer comes within the timeout, and when cancelled", async () => {
    const { fake, endpoint } = await server();
    fake.script({ hold: { text: "too late" } }, { hold: { text: "too late" } });
    const slow = await failure(transcribe(endpoint, AUDIO, "m", { timeoutMs: 300 }));
    expect(slow.failure).toBe("timeout");
    expect(slow.message).toBe(`no answer from ${fake.baseUrl} within 300 ms`);
    const controller = new AbortController();
    const cancelled = transcribe(endpoint, AUDIO, "m", { signal: controller.signal });
    await expect.poll(() => fake.held).toBe(2);
    controller.abort();
    expect((await failure(cancelled)).message).toBe(`the request to ${fake.baseUrl} was cancelled`);
  });

  it("reports a key that cannot go into a header without sending anything or quoting it", async () => {
    const { fake, endpoint } = await server();
    const error = await failure(transcribe({ ...endpoint, apiKey: "sk-broken\nkey-0123456789" }, AUDIO, "m"));
    expect(error.failure).toBe("unreachable");
    expect(error.message).toMatch(new RegExp(`^cannot send to ${fake.baseUrl} \\(`));
    expect(error.message).not.toContain("sk-broken");
    expect(fake.requests).toEqual([]);
  });

  it("refuses a base URL that is not http(s) without a request", async () => {
    const error = await failure(transcribe({ baseUrl: "ftp://example.invalid/v1", apiKey: KEY, keySource: null }, AUDIO, "m"));
    expect(error.failure).toBe("unreachable");
    expect(error.message).toBe("ftp://example.invalid/v1 is not an http(s) URL");
  });
});

describe("listModels", () => {
  it("lists the endpoint's model ids with the key", async () => {
    const { fake, endpoint } = await server({ models: ["whisper-1", "tiny"] });
    expect(await listModels(endpoint)).toEqual(["whisper-1", "tiny"]);
    expect(fake.requests).toMatchObject([{ method: "GET", path: "/models", authorization: `Bearer ${KEY}` }]);
  });

  it("reports a refused key, without the key the endpoint quotes", async () => {
    const { fake, endpoint } = await server({ acceptKey: "sk-the-right-one-0123456789" });
    const error = await failure(listModels(endpoint));
    expect(error.status).toBe(401);
    expect(error.message).toBe(`${fake.baseUrl} answered HTTP 401: Incorrect API key provided: [REDACTED:voice_transcription_api_key]`);
  });
});

describe("transcriptionEndpoint", () => {
  const none = { voice_transcription_base_url: null, voice_transcription_api_key: null };

  it("takes the config first, then OPENAI_BASE_URL and OPENAI_API_KEY, then OpenAI without a key", () => {
    const env = { OPENAI_BASE_URL: "http://proxy:8080/v1/", OPENAI_API_KEY: "sk-env-0123456789" };
    expect(transcriptionEndpoint({ voice_transcription_base_url: "http://localhost:8000/v1", voice_transcription_api_key: "local" }, env)).toEqual({
      baseUrl: "http://localhost:8000/v1",
      apiKey: "local",
      keySource: "voice_transcription_api_key",
    });
    expect(transcriptionEndpoint(none, env)).toEqual({ baseUrl: "http://proxy:8080/v1", apiKey: "sk-env-0123456789", keySource: "OPENAI_API_KEY" });
    expect(transcriptionEndpoint(none, { OPENAI_API_KEY: " ", OPENAI_BASE_URL: "" })).toEqual({ baseUrl: DEFAULT_BASE_URL, apiKey: null, keySource: null });
  });

  it("shows a URL without its credentials or query", () => {
    expect(describeUrl("https://user:secret@example.com/v1/?k=1")).toBe("https://example.com/v1");
  });
});
