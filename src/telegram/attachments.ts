/**
 * Voice notes and files: upstream's upload and transcription paths are not
 * part of this build, so each gets an answer saying so (or is ignored when
 * file transfer is off). A file is never run as a prompt, even with a caption
 * (as upstream).
 */
import type { IncomingMessage } from "./incoming.js";
import { telegramSettings, type BridgeServices } from "./services.js";

/** The reply to a voice note or file, or null when it is ignored without one. */
export function attachmentAnswer(services: Pick<BridgeServices, "config" | "log">, message: IncomingMessage): string | null {
  const telegram = telegramSettings(services);
  if (message.voice !== null) {
    return telegram.voice_transcription
      ? "voice notes are not transcribed by this version of takopi; please send text."
      : "voice transcription is disabled. enable it in config:\n```toml\n[transports.telegram]\nvoice_transcription = true\n```";
  }
  if (telegram.files.enabled) return "file transfer is not supported by this version of takopi; the file was not saved.";
  services.log.debug({ event: "telegram.attachment_ignored", chat_id: message.chatId }, "file ignored: file transfer is disabled");
  return null;
}
