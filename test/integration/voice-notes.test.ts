/**
 * Voice notes end to end: a real `takopi run` against the fake Bot API server
 * and a fake OpenAI-compatible transcription server, both on 127.0.0.1. A
 * note is fetched, transcribed, its transcript shown as a reply to it, then
 * run as `(voice transcribed) …` (spoken directives still route); each step
 * that fails answers with its reason and runs nothing; a mentions-only chat
 * drops a note that does not address the bot before anything is fetched; a
 * slow transcription holds up neither commands nor the order of the chat's
 * runs; the key shows up in no chat message and no log line.
 */
import { afterEach, describe, expect, it } from "vitest";
import { bridgePerTest, CODEX_RESUME, progressOf, type BridgeHarness } from "../support/bridge-harness.js";
import { USER } from "../support/fake-telegram/standard-world.js";
import { startFakeTranscription, unreachableBaseUrl, type FakeTranscription, type FakeTranscriptionOptions } from "../support/fake-transcription.js";
import { waitFor } from "../support/scripts.js";

const KEY = "sk-voice-e2e-transcription-0123456789";
/** Stands in for an Opus note: any bytes do, the fake server only records them. */
const AUDIO = Buffer.from("OggS\u0000fake opus payload for the voice note test", "latin1");

const { started } = bridgePerTest();
let fake: FakeTranscription | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

/** A bridge with voice transcription against a fresh fake server. */
async function voiceBridge(options: FakeTranscriptionOptions = {}, telegram: Record<string, unknown> = {}): Promise<{ harness: BridgeHarness; fake: FakeTranscription }> {
  fake = await startFakeTranscription(options);
  const harness = await started({
    telegram: { voice_transcription: true, voice_transcription_base_url: fake.baseUrl, voice_transcription_api_key: KEY, ...telegram },
  });
  return { harness, fake };
}

function sendVoice(harness: BridgeHarness, options: { replyTo?: number; content?: Buffer; mimeType?: string } = {}) {
  return harness.telegram.injectMessage({
    chat: USER,
    from: USER,
    voice: { content: options.content ?? AUDIO, duration: 3, mime_type: options.mimeType ?? "audio/ogg" },
    ...(options.replyTo === undefined ? {} : { reply_to_message_id: options.replyTo }),
  });
}


/** Nothing in the chat, the Bot API calls or the log holds the key. */
function expectNoKey(harness: BridgeHarness): void {
  expect(`${harness.stdout}\n${harness.stderr}`).not.toContain(KEY);
  expect(harness.telegram.calls().filter((call) => JSON.stringify(call.params).includes(KEY))).toEqual([]);
}

describe("voice notes", () => {
  it("are transcribed, shown as a reply, then run with the (voice transcribed) prefix", async () => {
    const { harness, fake } = await voiceBridge({ acceptKey: KEY });
    fake.script({ text: "fix the failing test" });
    const note = sendVoice(harness, { mimeType: "audio/ogg; codecs=opus" });
    const shown = await harness.replyTo(note.stored.messageId, (text) => text.startsWith("🎙"));
    expect(shown.text).toBe('🎙 "fix the failing test"');
    await harness.replyTo(note.stored.messageId, (text) => text.startsWith("done"));

    const [spawn] = await harness.spawns();
    expect(spawn).toMatchObject({ engine: "codex", prompt: "(voice transcribed) fix the failing test" });
    // The transcript came before the run's progress message.
    const progress = progressOf(harness, note.stored.messageId);
    expect(progress).toBeDefined();
    expect(shown.messageId).toBeLessThan(progress?.messageId ?? 0);
    // What the endpoint got: the note's bytes as voice.ogg with its type, the model, the key.
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request).toMatchObject({ path: "/audio/transcriptions", model: "gpt-4o-mini-transcribe", authorization: `Bearer ${KEY}` });
    expect(request?.file?.filename).toBe("voice.ogg");
    expect(request?.file?.contentType).toBe("audio/ogg; codecs=opus");
    expect(request?.file?.data.equals(AUDIO)).toBe(true);
    expect(harness.logs().some((line) => line.event === "telegram.voice_transcribed")).toBe(true);
    // The start-up message says voice notes are on, with the model.
    expect(harness.botMessages().find((message) => message.text?.startsWith("🐙 takopi is ready"))?.text).toContain("voice: on (gpt-4o-mini-transcribe)");
    expectNoKey(harness);
  });

  it("route by spoken directives: /claude picks the engine, the prefix goes after it", async () => {
    const { harness, fake } = await voiceBridge({}, { voice_transcription_model: "whisper-1" });
    fake.script({ text: "/claude fix it" });
    const note = sendVoice(harness);
    await harness.replyTo(note.stored.messageId, (text) => text.startsWith("done"));
    const [spawn] = await harness.spawns();
    expect(spawn).toMatchObject({ engine: "claude", prompt: "(voice transcribed) fix it" });
    expect(fake.requests[0]?.model).toBe("whisper-1");
  });

  it("replying to the bot's answer continues that session", async () => {
    const { harness, fake } = await voiceBridge();
    const prompt = harness.send("start something");
    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    const session = CODEX_RESUME.exec(final.text ?? "")?.[1];
    expect(session).toBeDefined();
    fake.script({ text: "and now the rest" });
    const note = sendVoice(harness, { replyTo: final.messageId });
    await harness.replyTo(note.stored.messageId, (text) => text.startsWith("done"));
    const spawns = await harness.spawns();
    expect(spawns[1]).toMatchObject({ prompt: "(voice transcribed) and now the rest", resume: session });
  });

  it("too large by its declared size is refused without a download or a transcription", async () => {
    const { harness, fake } = await voiceBridge({}, { voice_max_bytes: 16 });
    const note = sendVoice(harness);
    await harness.replyTo(note.stored.messageId, (text) => text === "voice message is too large to transcribe.");
    expect(harness.telegram.calls("getFile")).toEqual([]);
    expect(harness.telegram.calls("downloadFile")).toEqual([]);
    expect(fake.requests).toEqual([]);
    expect(await harness.spawns()).toEqual([]);
  });

  it("a failed getFile or download is answered, and nothing is transcribed", async () => {
    const { harness, fake } = await voiceBridge();
    harness.telegram.failNext("getFile", { code: 400, description: "Bad Request: invalid file_id" });
    const first = sendVoice(harness);
    await harness.replyTo(first.stored.messageId, (text) => text === "failed to fetch voice file.");
    harness.telegram.failNext("downloadFile", { code: 404, description: "Not Found" });
    const second = sendVoice(harness);
    await harness.replyTo(second.stored.messageId, (text) => text === "failed to download voice file.");
    expect(fake.requests).toEqual([]);
    expect(await harness.spawns()).toEqual([]);
  });

  it("transcription errors are answered with the endpoint's words, the key redacted; nothing runs", async () => {
    // The fake quotes the key it was given in its 401, as OpenAI quotes part of it.
    const { harness, fake } = await voiceBridge({ acceptKey: "sk-the-key-it-wants-0123456789" });
    const refused = sendVoice(harness);
    const answer = await harness.replyTo(refused.stored.messageId, (text) => text.startsWith("voice transcription failed"));
    expect(answer.text).toBe(`voice transcription failed: ${fake.baseUrl} answered HTTP 401: Incorrect API key provided: [REDACTED:voice_transcription_api_key]`);
    expectNoKey(harness);
    expect(await harness.spawns()).toEqual([]);
  });

  it("a 500, a dropped connection and an empty transcript are answered; nothing runs", async () => {
    const { harness, fake } = await voiceBridge();
    fake.script({ status: 500, message: "model overloaded" }, { drop: true }, { text: "   " });
    const overloaded = sendVoice(harness);
    await harness.replyTo(overloaded.stored.messageId, (text) => text === `voice transcription failed: ${fake.baseUrl} answered HTTP 500: model overloaded`);
    const dropped = sendVoice(harness);
    await harness.replyTo(dropped.stored.messageId, (text) => text.startsWith(`voice transcription failed: ${fake.baseUrl} closed the connection`));
    const silent = sendVoice(harness);
    await harness.replyTo(silent.stored.messageId, (text) => text === "no speech found in the voice message.");
    expect(fake.requests).toHaveLength(3);
    expect(await harness.spawns()).toEqual([]);
  });

  it("an unreachable endpoint is answered as such", async () => {
    const baseUrl = await unreachableBaseUrl();
    const { harness } = await voiceBridge({}, { voice_transcription_base_url: baseUrl });
    const note = sendVoice(harness);
    await harness.replyTo(note.stored.messageId, (text) => text === `voice transcription failed: cannot reach ${baseUrl} (ECONNREFUSED)`);
    expect(await harness.spawns()).toEqual([]);
  });

  it("without an API key the reply says what to set, before anything is downloaded", async () => {
    const { harness, fake } = await voiceBridge({}, { voice_transcription_api_key: null });
    const note = sendVoice(harness);
    const answer = await harness.replyTo(note.stored.messageId, (text) => text.startsWith("voice transcription needs an API key"));
    expect(answer.text).toBe(
      "voice transcription needs an API key: set voice_transcription_api_key under [transports.telegram] in takopi.toml, or the OPENAI_API_KEY environment variable.",
    );
    expect(harness.telegram.calls("getFile")).toEqual([]);
    expect(fake.requests).toEqual([]);
  });

  it("disabled: the reply tells how to enable it", async () => {
    const harness = await started();
    const note = sendVoice(harness);
    const answer = await harness.replyTo(note.stored.messageId, (text) => text.startsWith("voice transcription is disabled"));
    expect(answer.text).toBe("voice transcription is disabled. enable it in config:\n\n[transports.telegram]\nvoice_transcription = true");
    expect(harness.telegram.calls("getFile")).toEqual([]);
  });

  it("in a mentions-only chat, a note that does not address the bot is dropped untranscribed; a reply to the bot is heard", async () => {
    const { harness, fake } = await voiceBridge();
    const mode = harness.send("/trigger mentions");
    const set = await harness.replyTo(mode.stored.messageId, (text) => text === "chat trigger mode set to mentions");
    const ignored = sendVoice(harness);
    // Routed in order: once the mention after it is answered, the ignored note was routed too.
    const mention = harness.send("@takopi_test_bot hello");
    await harness.replyTo(mention.stored.messageId, (text) => text.startsWith("done"));
    expect(harness.botMessages().filter((message) => message.replyToMessageId === ignored.stored.messageId)).toEqual([]);
    expect(harness.telegram.calls("getFile")).toEqual([]);
    expect(fake.requests).toEqual([]);

    fake.script({ text: "this one is for you" });
    const reply = sendVoice(harness, { replyTo: set.messageId });
    await harness.replyTo(reply.stored.messageId, (text) => text.startsWith("done"));
    expect((await harness.spawns())[1]?.prompt).toBe("(voice transcribed) this one is for you");
  });

  it("a slow transcription holds up no command, and the runs keep the order the messages came in", async () => {
    const { harness, fake } = await voiceBridge();
    fake.script({ hold: { text: "/claude first, the voice note" } });
    const note = sendVoice(harness);
    await waitFor(() => fake.held === 1, 20_000, "the transcription request");
    // A command sent meanwhile is answered while the transcription is still waiting.
    const command = harness.send("/agent");
    await harness.replyTo(command.stored.messageId, (text) => text.includes("codex"));
    expect(fake.held).toBe(1);
    const typed = harness.send("/codex second, typed");
    await harness.telegram.waitForConfirmed(typed.updateId);
    fake.release();
    await harness.replyTo(note.stored.messageId, (text) => text.startsWith("done"));
    await harness.replyTo(typed.stored.messageId, (text) => text.startsWith("done"));
    // Submitted in the order sent: the typed prompt waited for the note's transcript.
    const submitted = harness.logs().filter((line) => line.event === "run.submitted").map((line) => line.engine);
    expect(submitted).toEqual(["claude", "codex"]);
    const prompts = (await harness.spawns()).map((spawn) => spawn.prompt).sort();
    expect(prompts).toEqual(["(voice transcribed) first, the voice note", "second, typed"]);
  });
});
