/**
 * What file transfer allows, and the words it uses: the size limits, who may
 * move files, how sizes are written, and the hint an attachment gets when
 * takopi does nothing with it.
 */
import type { FilesSettings } from "../../config/schema.js";
import type { IncomingMessage } from "../incoming.js";
import { settingsPermission, telegramSettings, type BridgeServices } from "../services.js";

/** Telegram lets a bot download at most 20 MB (getFile). */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
/** Telegram takes at most 50 MB from a bot (sendDocument). */
export const MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024;

export interface FileLimits {
  uploadBytes: number;
  downloadBytes: number;
}

export const FILE_LIMITS: FileLimits = { uploadBytes: MAX_UPLOAD_BYTES, downloadBytes: MAX_DOWNLOAD_BYTES };

export const FILE_USAGE = "usage: `/file put <path>` or `/file get <path>`";
export const FILE_PUT_USAGE = "usage: `/file put <path>`";
export const FILE_GET_USAGE = "usage: `/file get <path>`";
export const FILES_DISABLED = "file transfer disabled; enable `[transports.telegram.files]`.";

export function filesSettings(services: Pick<BridgeServices, "config">): FilesSettings {
  return telegramSettings(services).files;
}

/**
 * Who may move files: the users in `files.allowed_user_ids` when it lists
 * any, else anyone in a private chat and group admins in a group. Null when
 * allowed, else the reply.
 */
export async function filePermission(services: Pick<BridgeServices, "config" | "client">, message: IncomingMessage): Promise<string | null> {
  if (message.senderId === null) return "cannot verify sender for file transfer.";
  const allowed = filesSettings(services).allowed_user_ids;
  if (allowed.length > 0) return allowed.includes(message.senderId) ? null : "file transfer is not allowed for this user.";
  switch (await settingsPermission(services, message)) {
    case "no_sender":
      return "cannot verify sender for file transfer.";
    case "unverified":
      return "failed to verify file transfer permissions.";
    case "not_admin":
      return "file transfer is restricted to group admins.";
    case null:
      return null;
  }
}

/** `0 b`, `1023 b`, `1.5 kb`, `12 mb`: one decimal below 10, as upstream. */
export function formatBytes(value: number): string {
  let size = Math.max(0, value);
  const units = ["b", "kb", "mb", "gb", "tb"] as const;
  for (const [index, unit] of units.entries()) {
    if (size < 1024 || index === units.length - 1) {
      if (unit === "b") return `${Math.floor(size)} b`;
      return size < 10 ? `${size.toFixed(1)} ${unit}` : `${size.toFixed(0)} ${unit}`;
    }
    size /= 1024;
  }
  return `${Math.floor(size)} b`;
}

/**
 * The one line an attachment gets when takopi neither saves it nor runs it
 * (upstream stays silent): what takopi can do with it instead. With file
 * transfer on, a file without a usable caption gets upstream's usage text
 * instead; this is for what cannot be saved (a sticker).
 */
export function attachmentHint(files: Pick<FilesSettings, "enabled">): string {
  if (!files.enabled) {
    return "takopi can save files to a project when `[transports.telegram.files] enabled = true`; photos, stickers and files are not read as prompts.";
  }
  return "takopi does not read stickers as prompts; send text, or a file with `/file put <path>` as its caption to save it.";
}
