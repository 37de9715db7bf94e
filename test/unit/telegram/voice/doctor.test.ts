// `takopi doctor`'s voice transcription lines against a fake OpenAI-compatible
// server on 127.0.0.1: off, no key (and what to set), a working endpoint, a
// refused key, a model the endpoint does not serve, an endpoint without a
// model list, and one nobody listens on.
import { afterEach, describe, expect, it } from "vitest";
import { TelegramSchema } from "../../../../src/config/schema.js";
import { voiceDoctorChecks } from "../../../../src/telegram/voice/doctor.js";
import { startFakeTranscription, unreachableBaseUrl, type FakeTranscription, type FakeTranscriptionOptions } from "../../../support/fake-transcription.js";

const KEY = "sk-doctor-voice-0123456789";

let fake: FakeTranscription | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

function settings(extra: Record<string, unknown>) {
  return TelegramSchema.parse({ bot_token: "1:x", chat_id: 1, ...extra });
}

async function checksAgainst(options: FakeTranscriptionOptions, extra: Record<string, unknown> = {}) {
  fake = await startFakeTranscription(options);
  const telegram = settings({ voice_transcription: true, voice_transcription_base_url: fake.baseUrl, voice_transcription_api_key: KEY, ...extra });
  return voiceDoctorChecks(telegram, AbortSignal.timeout(30_000), {});
}

describe("voiceDoctorChecks", () => {
  it("says disabled when off, and asks nothing", async () => {
    expect(await voiceDoctorChecks(settings({}), AbortSignal.timeout(30_000), { OPENAI_API_KEY: KEY })).toEqual([{ label: "voice transcription", status: "ok", detail: "disabled" }]);
  });

  it("fails without a key, naming the setting and the variable", async () => {
    const checks = await voiceDoctorChecks(settings({ voice_transcription: true }), AbortSignal.timeout(30_000), {});
    expect(checks).toEqual([
      {
        label: "voice transcription",
        status: "fail",
        detail: "API key not set",
        fix: "set voice_transcription_api_key under [transports.telegram] in takopi.toml, or the OPENAI_API_KEY environment variable",
      },
      { label: "transcription endpoint", status: "skip", detail: "https://api.openai.com/v1 (no key to try)" },
    ]);
  });

  it("finds the endpoint answering and taking the key (OPENAI_API_KEY and OPENAI_BASE_URL)", async () => {
    fake = await startFakeTranscription({ acceptKey: KEY });
    const checks = await voiceDoctorChecks(settings({ voice_transcription: true }), AbortSignal.timeout(30_000), { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: fake.baseUrl });
    expect(checks).toEqual([
      { label: "voice transcription", status: "ok", detail: "OPENAI_API_KEY set, model gpt-4o-mini-transcribe" },
      { label: "transcription endpoint", status: "ok", detail: `${fake.baseUrl} answers and takes the key` },
    ]);
    expect(fake.requests).toMatchObject([{ method: "GET", path: "/models", authorization: `Bearer ${KEY}` }]);
  });

  it("fails on a refused key, saying which one to check", async () => {
    const checks = await checksAgainst({ acceptKey: "sk-another-key-0123456789" });
    expect(checks[1]).toMatchObject({ status: "fail", fix: "check transports.telegram.voice_transcription_api_key" });
    expect(checks[1]?.detail).toContain("the key was refused");
    expect(checks[1]?.detail).toContain("HTTP 401");
  });

  it("warns when the endpoint does not list the model, naming the ones it does", async () => {
    const checks = await checksAgainst({ models: ["whisper-large-v3"] });
    expect(checks[1]).toMatchObject({ status: "warn", fix: "set transports.telegram.voice_transcription_model to one it serves (whisper-large-v3)" });
  });

  it("warns when the endpoint has no model list, since the key cannot be told", async () => {
    const checks = await checksAgainst({ models: { status: 404, message: "Not Found" } });
    expect(checks[1]).toMatchObject({ status: "warn" });
    expect(checks[1]?.detail).toContain("answered HTTP 404");
  });

  it("fails when nobody listens there, pointing at the base URL", async () => {
    const baseUrl = await unreachableBaseUrl();
    const checks = await voiceDoctorChecks(settings({ voice_transcription: true, voice_transcription_base_url: baseUrl, voice_transcription_api_key: KEY }), AbortSignal.timeout(30_000), {});
    expect(checks[1]).toEqual({
      label: "transcription endpoint",
      status: "fail",
      detail: `cannot reach ${baseUrl} (ECONNREFUSED)`,
      fix: "check transports.telegram.voice_transcription_base_url and that the server is running",
    });
  });
});
