/**
 * A voice note becomes a prompt (upstream's `telegram/voice.py`, spec §19):
 * checked against `voice_max_bytes` before anything is downloaded, fetched
 * (getFile, download), transcribed by an OpenAI-compatible endpoint, and —
 * our addition (upstream issue #169) — the transcript is shown as a reply to
 * the note before the run starts, so a mis-heard note is seen at once. Each
 * step that fails answers with upstream's text and no run.
 *
 * Where it runs (see router.ts): the mentions-only check comes first, in the
 * router (a note that does not address the bot is never transcribed). Then
 * `hearVoice` starts at once, off the chat's routing chain — a transcription
 * may take up to 120 s, and a `/cancel` or a command sent meanwhile must not
 * wait for it — while the prompt it becomes takes its place on the chat's
 * dispatching chain right away: a prompt typed after the note waits for the
 * note's run to be submitted, so the runs start in the order they were sent.
 * The transcript then goes the way of a typed prompt (directives, project,
 * engine, resume, the project question), with the `(voice transcribed) `
 * prefix put right after its leading directives, so a spoken `/claude fix
 * it` runs claude on `(voice transcribed) fix it` (upstream adds it to the
 * resolved prompt; written into the text, it also survives the project
 * question). It bypasses the forward coalescer: forwards join typed prompts
 * only, and a typed prompt still held for its forwards when a note arrives
 * runs after the note.
 */
import { DirectiveError, parseDirectives, type DirectiveNames } from "../../core/directives.js";
import type { ResumeToken } from "../../core/events.js";
import type { IncomingMessage } from "../incoming.js";
import { downloadFile } from "../file-download.js";
import { sendReply } from "../replies.js";
import { telegramSettings, type BridgeServices } from "../services.js";
import { describeError } from "../errors.js";
import { MISSING_KEY_HINT, TranscriptionError, transcribe, transcriptionEndpoint } from "./transcription.js";

export const VOICE_DISABLED_HINT = "voice transcription is disabled. enable it in config:\n```toml\n[transports.telegram]\nvoice_transcription = true\n```";
export const VOICE_TOO_LARGE = "voice message is too large to transcribe.";
export const VOICE_FETCH_FAILED = "failed to fetch voice file.";
export const VOICE_DOWNLOAD_FAILED = "failed to download voice file.";
export const VOICE_TRANSCRIPTION_FAILED = "voice transcription failed";
/** What the engine's prompt starts with (upstream's marker). */
export const VOICE_PREFIX = "(voice transcribed) ";
/** The longest transcript shown in the chat; the engine gets all of it. */
const SHOWN_TRANSCRIPT_CHARS = 500;

/** A voice note turned into a prompt. */
export interface HeardVoice {
  /** The note, with the transcript as its text. */
  message: IncomingMessage;
  /** The session of the running progress message the note replied to, if any (it continues that session). */
  replyResume: ResumeToken | null;
}

type Services = Pick<BridgeServices, "client" | "config" | "engines" | "scheduler" | "log">;

/**
 * The note as a prompt, or null once the person was told why not (or the
 * note is not one). Never throws. Replies wait for `saved` (the update's
 * offset is saved: acting on an update waits for that).
 */
export async function hearVoice(services: Services, message: IncomingMessage, saved: Promise<void>): Promise<HeardVoice | null> {
  // Looked up now: by the time the transcript is ready, the run may have ended.
  const running = message.replyTo === null ? null : services.scheduler.sessionForProgressMessage({ chatId: message.chatId, messageId: message.replyTo.messageId });
  const reply = async (text: string): Promise<null> => {
    await saved;
    await sendReply(services.client, message, text);
    return null;
  };
  try {
    const transcript = await transcribeNote(services, message, reply);
    if (transcript === null) return null;
    if (transcript === "") return await reply("no speech found in the voice message.");
    await saved;
    // Not awaited: the outbox sends a chat's messages in order, so it goes out before the run's first message.
    void services.client.sendMessage(message.chatId, shownTranscript(transcript), { replyTo: message, notify: false });
    const replyResume = running === null ? null : await running;
    if (running !== null && replyResume === null) return await reply("resume token not ready yet; try replying to the final message.");
    const names = { engineIds: services.engines.ids(), projects: Object.keys(services.config().settings.projects) };
    return { message: { ...message, text: voicePrompt(transcript, names), entities: [] }, replyResume };
  } catch (error) {
    services.log.error({ event: "telegram.voice_failed", chat_id: message.chatId, err: error }, "handling a voice note failed");
    return await reply(VOICE_TRANSCRIPTION_FAILED).catch(() => null);
  }
}

/** The transcript, or null after replying why there is none (§19.1, in upstream's order). */
async function transcribeNote(services: Services, message: IncomingMessage, reply: (text: string) => Promise<null>): Promise<string | null> {
  const voice = message.voice;
  if (voice === null) return null;
  const settings = telegramSettings(services);
  if (!settings.voice_transcription) return reply(VOICE_DISABLED_HINT);
  const maxBytes = settings.voice_max_bytes;
  if (voice.fileSize !== null && voice.fileSize > maxBytes) return reply(VOICE_TOO_LARGE);
  const endpoint = transcriptionEndpoint(settings);
  // Before the download: without a key there is nothing to do with the bytes.
  if (endpoint.apiKey === null) return reply(`voice transcription needs an API key: ${MISSING_KEY_HINT}.`);

  const file = await downloadFile(services.client, voice.fileId, maxBytes, services.log);
  if (!file.ok) return reply(file.reason === "metadata" ? VOICE_FETCH_FAILED : file.reason === "download" ? VOICE_DOWNLOAD_FAILED : VOICE_TOO_LARGE);
  if (file.data.length > maxBytes) return reply(VOICE_TOO_LARGE);

  const log = services.log;
  log.info({ event: "telegram.voice_transcribing", chat_id: message.chatId, bytes: file.data.length, duration_s: voice.duration, model: settings.voice_transcription_model }, "transcribing a voice note");
  try {
    const transcript = await transcribe(endpoint, { data: file.data, mimeType: voice.mimeType ?? "audio/ogg" }, settings.voice_transcription_model);
    log.info({ event: "telegram.voice_transcribed", chat_id: message.chatId, chars: transcript.length }, "voice note transcribed");
    return transcript;
  } catch (error) {
    const text = error instanceof TranscriptionError ? error.message : describeError(error).description;
    log.warn({ event: "telegram.voice_transcription_failed", chat_id: message.chatId, error: text }, "voice transcription failed");
    return reply(text.trim() === "" ? VOICE_TRANSCRIPTION_FAILED : `${VOICE_TRANSCRIPTION_FAILED}: ${text}`);
  }
}

/** `🎙 "<transcript>"`, cut to a readable length (plain text: the transcript is not markdown). */
export function shownTranscript(transcript: string): string {
  const flat = transcript.replace(/\s+/g, " ").trim();
  if (flat.length <= SHOWN_TRANSCRIPT_CHARS) return `🎙 "${flat}"`;
  // Not between the two halves of a surrogate pair (an emoji).
  const end = /[\uD800-\uDBFF]/.test(flat.charAt(SHOWN_TRANSCRIPT_CHARS - 2)) ? SHOWN_TRANSCRIPT_CHARS - 2 : SHOWN_TRANSCRIPT_CHARS - 1;
  return `🎙 "${flat.slice(0, end).trimEnd()}…"`;
}

/**
 * The text a transcript runs as: its leading directives (`/engine`,
 * `/project`, `@branch`), then the marker and the rest. Conflicting
 * directives are left for the dispatch to answer.
 */
export function voicePrompt(transcript: string, names: DirectiveNames): string {
  let parsed;
  try {
    parsed = parseDirectives(transcript, names);
  } catch (error) {
    if (error instanceof DirectiveError) return transcript;
    throw error;
  }
  const directives = [parsed.engine === null ? null : `/${parsed.engine}`, parsed.project === null ? null : `/${parsed.project}`, parsed.branch === null ? null : `@${parsed.branch}`];
  return [...directives.filter((part) => part !== null), `${VOICE_PREFIX}${parsed.prompt}`].join(" ");
}
