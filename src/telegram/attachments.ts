/**
 * Voice notes: upstream's transcription path is not part of this build, so a
 * voice note gets an answer saying so. (Files, photos and albums are file
 * transfer's: files/transfer.ts.)
 */
import type { IncomingMessage } from "./incoming.js";
import { telegramSettings, type BridgeServices } from "./services.js";

/** The reply to a voice note, or null when it is ignored without one. */
export function voiceAnswer(services: Pick<BridgeServices, "config" | "log">, _message: IncomingMessage): string | null {
  const telegram = telegramSettings(services);
  return telegram.voice_transcription
    ? "voice notes are not transcribed by this version of takopi; please send text."
    : "voice transcription is disabled. enable it in config:\n```toml\n[transports.telegram]\nvoice_transcription = true\n```";
}
