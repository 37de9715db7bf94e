/**
 * One file someone sent, saved into a project: size limits, the target path
 * (resolved and checked twice — before the download and again right before
 * the write, see paths.ts), the download, and an atomic write (a reader sees
 * the old file or the new one, never half of it).
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { systemErrorMessage } from "../../util/errors.js";
import type { Logger } from "../../util/log.js";
import type { TelegramClient } from "../client.js";
import { downloadFile } from "../file-download.js";
import type { FileDescriptor } from "../incoming.js";
import { isRefusal, resolveProjectPath, type ProjectPath } from "./paths.js";

/** Where a file goes: an exact path, into a directory, or (both null) into `uploads_dir`. */
export interface SaveTarget {
  root: string;
  path: string | null;
  dir: string | null;
  force: boolean;
}

export type SaveResult = { name: string; saved: true; rel: string; size: number } | { name: string; saved: false; error: string };

export interface SaveDeps {
  client: Pick<TelegramClient, "api">;
  log: Logger;
  files: { uploads_dir: string; deny_globs: readonly string[] };
  maxBytes: number;
}

/** Saves `document` under `target`; never throws (the reason it was not saved is in the result). */
export async function saveDocument(deps: SaveDeps, document: FileDescriptor, target: SaveTarget): Promise<SaveResult> {
  try {
    return await save(deps, document, target);
  } catch (error) {
    // The filesystem refused a look (a directory without permission, say): nothing was written.
    return { name: uploadName(document.fileName, null), saved: false, error: `failed to write file: ${systemErrorMessage(error)}` };
  }
}

async function save(deps: SaveDeps, document: FileDescriptor, target: SaveTarget): Promise<SaveResult> {
  let name = uploadName(document.fileName, null);
  const fail = (error: string): SaveResult => ({ name, saved: false, error });
  if (document.fileSize !== null && document.fileSize > deps.maxBytes) return fail("file is too large to upload.");
  // Known before the download unless the name comes from Telegram's file path.
  if (target.path !== null || document.fileName !== null) {
    const checked = await checkTarget(deps, target, targetPath(deps, target, name));
    if (typeof checked === "string") return fail(checked);
  }
  const download = await downloadFile(deps.client, document.fileId, deps.maxBytes, deps.log);
  if (!download.ok) {
    if (download.reason === "too_large") return fail("file is too large to upload.");
    return fail(download.reason === "metadata" ? "failed to fetch file metadata." : "failed to download file.");
  }
  if (download.data.length > deps.maxBytes) return fail("file is too large to upload.");
  name = uploadName(document.fileName, download.filePath);
  const rel = targetPath(deps, target, name);
  // Checked again: the project may have changed during the download.
  const checked = await checkTarget(deps, target, rel);
  if (typeof checked === "string") return fail(checked);
  try {
    await writeChecked(checked, download.data);
  } catch (error) {
    return fail(`failed to write file: ${systemErrorMessage(error)}`);
  }
  return { name, saved: true, rel: checked.rel, size: download.data.length };
}

/** Writes a path checkTarget accepted: its missing parent directories, then the file, atomically. */
export async function writeChecked(target: ProjectPath, data: Buffer): Promise<void> {
  await mkdir(dirname(target.real), { recursive: true });
  await writeFileAtomic(target.real, data);
}

/** The reply for a path that cannot be written, or where it goes. */
export async function checkTarget(deps: { files: Pick<SaveDeps["files"], "deny_globs"> }, target: Pick<SaveTarget, "root" | "force">, rel: string): Promise<ProjectPath | string> {
  const resolved = await resolveProjectPath(target.root, rel, deps.files.deny_globs);
  if (isRefusal(resolved)) return uploadRefusal(resolved);
  if (resolved.kind === "directory") return "upload target is a directory.";
  if (resolved.kind !== null && !target.force) return "file already exists; use --force to overwrite.";
  if (resolved.kind === "other") return "upload target is not a regular file.";
  return resolved;
}

/** The reply for a refused upload path. */
export function uploadRefusal(refusal: { refused: "invalid" } | { refused: "denied"; rule: string } | { refused: "escapes" }): string {
  if (refusal.refused === "denied") return `path denied by rule: ${refusal.rule}`;
  return refusal.refused === "escapes" ? "upload path escapes the repo root." : "invalid upload path.";
}

/** The file's own name (its last path segment only), else the name in Telegram's file path, else `upload.bin`. */
export function uploadName(fileName: string | null, filePath: string | null): string {
  for (const candidate of [fileName, filePath]) {
    const last = candidate?.split("/").pop() ?? "";
    if (last !== "" && last !== "." && last !== "..") return last;
  }
  return "upload.bin";
}

function targetPath(deps: Pick<SaveDeps, "files">, target: SaveTarget, name: string): string {
  if (target.path !== null) return target.path;
  return `${target.dir ?? deps.files.uploads_dir}/${name}`;
}
