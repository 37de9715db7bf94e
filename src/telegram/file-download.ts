/**
 * A file someone sent the bot, as bytes: getFile, then the download from
 * `<api_root>/file/bot<token>/<file_path>`, never more than `maxBytes` read
 * (the size getFile declares is checked first). For file uploads and voice
 * notes; not paced by the outbox, since a download is not a message.
 */
import { BotApiError, FileTooLargeError } from "./bot-api.js";
import type { TelegramClient } from "./client.js";
import { describeError } from "./errors.js";
import type { Logger } from "../util/log.js";

/** The bytes, or which step failed: getFile (`metadata`), the size limit (`too_large`), or the download. */
export type FileDownload = { ok: true; data: Buffer; filePath: string } | { ok: false; reason: "metadata" | "too_large" | "download" };

export async function downloadFile(client: Pick<TelegramClient, "api">, fileId: string, maxBytes: number, log: Logger): Promise<FileDownload> {
  let file;
  try {
    file = await client.api.getFile(fileId);
  } catch (error) {
    // Telegram refuses getFile for a file over its 20 MB bot download limit, whatever size the message declared.
    if (error instanceof BotApiError && /file is too big/i.test(error.description)) return { ok: false, reason: "too_large" };
    log.warn({ event: "telegram.get_file_failed", error: describeError(error) }, "getFile failed");
    return { ok: false, reason: "metadata" };
  }
  if (file.file_path === undefined) return { ok: false, reason: "metadata" };
  if (file.file_size !== undefined && file.file_size > maxBytes) return { ok: false, reason: "too_large" };
  try {
    return { ok: true, data: await client.api.downloadFile(file.file_path, { maxBytes }), filePath: file.file_path };
  } catch (error) {
    if (error instanceof FileTooLargeError) return { ok: false, reason: "too_large" };
    log.warn({ event: "telegram.download_failed", error: describeError(error) }, "file download failed");
    return { ok: false, reason: "download" };
  }
}
