/**
 * `/file put [directives] [--force] [path]` (the caption of a file) and
 * `/file get [directives] <path>`: moving files between the chat and a
 * project. Unlike the other commands, a successful `/file get` answers with a
 * document rather than text, so the handler sends that itself and resolves
 * with "" (no text reply).
 */
import { messageRefOf } from "../../core/chat.js";
import { splitArgs } from "../../core/slash.js";
import { systemErrorMessage } from "../../util/errors.js";
import { resolveFileRoot } from "../files/context.js";
import { fetchProjectPath } from "../files/fetch.js";
import { putFiles } from "../files/put.js";
import { FILE_GET_USAGE, FILE_PUT_USAGE, FILE_USAGE, FILE_LIMITS, FILES_DISABLED, filePermission, filesSettings, type FileLimits } from "../files/rules.js";
import type { IncomingMessage } from "../incoming.js";
import type { BridgeServices } from "../services.js";

/** `put` or `get` and the text after it; null when the arguments name neither. */
export function fileSubcommand(argsText: string): { action: "put" | "get"; rest: string } | null {
  const match = /^\s*(\S+)([\s\S]*)$/.exec(argsText);
  const action = match?.[1]?.toLowerCase();
  if (action !== "put" && action !== "get") return null;
  return { action, rest: (match?.[2] ?? "").trim() };
}

export async function fileCommand(services: BridgeServices, message: IncomingMessage, argsText: string, limits: FileLimits = FILE_LIMITS): Promise<string> {
  try {
    return await runFileCommand(services, message, argsText, limits);
  } catch (error) {
    services.log.error({ event: "telegram.file_command_failed", chat_id: message.chatId, err: error }, "/file failed");
    return `error:\nfile transfer failed: ${systemErrorMessage(error)}`;
  }
}

async function runFileCommand(services: BridgeServices, message: IncomingMessage, argsText: string, limits: FileLimits): Promise<string> {
  if (!filesSettings(services).enabled) return FILES_DISABLED;
  const sub = fileSubcommand(argsText);
  if (sub === null) return FILE_USAGE;
  if (sub.action === "put") {
    if (message.document === null) return FILE_PUT_USAGE;
    return (await putFiles(services, message, sub.rest, [message.document], { album: false, asPrompt: false, limits })).reply ?? "";
  }
  return fileGet(services, message, sub.rest, limits);
}

async function fileGet(services: BridgeServices, message: IncomingMessage, rest: string, limits: FileLimits): Promise<string> {
  const denied = await filePermission(services, message);
  if (denied !== null) return denied;
  const root = await resolveFileRoot(services, message, rest, "download");
  if (!root.ok) return root.reply;
  const path = splitArgs(root.rest).join(" ").trim();
  if (path === "") return FILE_GET_USAGE;
  const fetched = await fetchProjectPath(root.root, path, filesSettings(services).deny_globs, limits.downloadBytes);
  if (typeof fetched === "string") return fetched;
  const sent = await services.client.sendDocument(message.chatId, fetched, { replyTo: messageRefOf(message), threadId: message.threadId });
  if (sent === null) return "failed to send file.";
  services.log.info({ event: "telegram.file_sent", chat_id: message.chatId, path, bytes: fetched.data.length }, "file sent");
  return "";
}
