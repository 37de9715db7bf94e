/**
 * Files: upstream's upload path is not part of this build, so a file gets an
 * answer saying so (or is ignored when file transfer is off). A file is never
 * run as a prompt, even with a caption (as upstream). Voice notes are
 * transcribed instead (voice/voice-note.ts).
 */
import type { IncomingMessage } from "./incoming.js";
import { telegramSettings, type BridgeServices } from "./services.js";

/** The reply to a file, or null when it is ignored without one. */
export function attachmentAnswer(services: Pick<BridgeServices, "config" | "log">, message: IncomingMessage): string | null {
  const telegram = telegramSettings(services);
  if (telegram.files.enabled) return "file transfer is not supported by this version of takopi; the file was not saved.";
  services.log.debug({ event: "telegram.attachment_ignored", chat_id: message.chatId }, "file ignored: file transfer is disabled");
  return null;
}
