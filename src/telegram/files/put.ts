/**
 * `/file put [directives] [--force] [path]` on a file or an album, and the
 * uploads that need no command (auto-put): who may, which project, which
 * path, then each file saved in turn (save.ts) and one reply for all of them.
 */
import { posix } from "node:path";
import { splitArgs } from "../../core/slash.js";
import { systemErrorMessage } from "../../util/errors.js";
import type { FileDescriptor, IncomingMessage } from "../incoming.js";
import type { BridgeServices } from "../services.js";
import { resolveFileRoot } from "./context.js";
import { isRefusal, normalizeRelativePath, resolveProjectPath } from "./paths.js";
import { filePermission, filesSettings, formatBytes, type FileLimits } from "./rules.js";
import { saveDocument, uploadRefusal, type SaveResult, type SaveTarget } from "./save.js";

/** What an upload did: the reply to post (null for none) and what was saved. */
export interface PutOutcome {
  reply: string | null;
  saved: Extract<SaveResult, { saved: true }>[];
  /** The context the files went to (null when nothing was tried). */
  label: string | null;
}

/**
 * Saves `documents` (one, or an album's) as `argsText` says. `album` requires
 * a given path to be a directory; `asPrompt` resolves only the directives
 * (the rest of the caption is a prompt, not a path) and leaves the success
 * reply to the run.
 */
export async function putFiles(
  services: BridgeServices,
  message: IncomingMessage,
  argsText: string,
  documents: readonly FileDescriptor[],
  options: { album: boolean; asPrompt: boolean; limits: FileLimits },
): Promise<PutOutcome> {
  const none = (reply: string): PutOutcome => ({ reply, saved: [], label: null });
  const denied = await filePermission(services, message);
  if (denied !== null) return none(denied);
  const root = await resolveFileRoot(services, message, argsText, "upload");
  if (!root.ok) return none(root.reply);
  const target = options.asPrompt ? { root: root.root, path: null, dir: null, force: false } : await putTarget(services, root.root, root.rest, options.album);
  if (typeof target === "string") return none(target);

  const files = filesSettings(services);
  const deps = { client: services.client, log: services.log, files, maxBytes: options.limits.uploadBytes };
  const results: SaveResult[] = [];
  // One at a time: two files of an album with one name must not race for it.
  for (const document of documents) results.push(await saveDocument(deps, document, target));
  const saved = results.filter((result) => result.saved);
  const failed = results.filter((result) => !result.saved);
  for (const result of saved) {
    services.log.info({ event: "telegram.file_saved", chat_id: message.chatId, path: result.rel, bytes: result.size }, "file saved");
  }
  const outcome = { saved, label: root.label };
  const failures = failed.length === 0 ? "" : `\n\nfailed: ${failed.map((result) => `\`${result.name}\` (${result.error})`).join(", ")}`;
  if (!options.album) {
    const [first] = results;
    if (first === undefined) return { ...outcome, reply: null };
    if (!first.saved) return { ...outcome, reply: first.error };
    return { ...outcome, reply: options.asPrompt ? null : `saved \`${first.rel}\` in \`${root.label}\` (${formatBytes(first.size)})` };
  }
  if (saved.length === 0) return { ...outcome, reply: `failed to upload files.${failures}` };
  if (options.asPrompt) return { ...outcome, reply: failed.length === 0 ? null : `some files failed to upload.${failures}` };
  const names = saved.map((result) => `\`${result.name}\``).join(", ");
  const dir = target.dir ?? posix.dirname(saved[0]?.rel ?? ".");
  const total = formatBytes(saved.reduce((sum, result) => sum + result.size, 0));
  return { ...outcome, reply: `saved ${names} to \`${dir.endsWith("/") ? dir : `${dir}/`}\` in \`${root.label}\` (${total})${failures}` };
}

/** `[--force] [path]` → where the files go; a path ending in `/` (or any path for an album) is a directory. */
async function putTarget(services: BridgeServices, root: string, rest: string, album: boolean): Promise<SaveTarget | string> {
  let force = false;
  const parts: string[] = [];
  for (const token of splitArgs(rest)) {
    if (token === "--force") force = true;
    else if (token.startsWith("--")) return `unknown flag: ${token}`;
    else parts.push(token);
  }
  const path = parts.join(" ").trim();
  if (path === "") return { root, path: null, dir: null, force };
  if (!album && !path.endsWith("/")) return normalizeRelativePath(path) === null ? "invalid upload path." : { root, path, dir: null, force };
  const resolved = await resolveProjectPath(root, path, filesSettings(services).deny_globs).catch((error: unknown) => `failed to write file: ${systemErrorMessage(error)}`);
  if (typeof resolved === "string") return resolved;
  if (isRefusal(resolved)) return uploadRefusal(resolved);
  if (resolved.kind !== null && resolved.kind !== "directory") return "upload path is a file.";
  return { root, path: null, dir: resolved.rel, force };
}
