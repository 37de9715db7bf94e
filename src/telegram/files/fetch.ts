/**
 * What `/file get <path>` sends: the file, or a directory as a zip. The same
 * path rules as uploads (paths.ts); inside a directory, symlinks and denied
 * files are left out, and the archive names are relative to the project root.
 */
import { lstat, readdir, readFile, realpath } from "node:fs/promises";
import { join, posix, relative, sep } from "node:path";
import { systemErrorMessage } from "../../util/errors.js";
import { denyReason } from "./deny-globs.js";
import { isRefusal, resolveProjectPath } from "./paths.js";
import { ZipTooLargeError, ZipWriter } from "./zip.js";

export interface FetchedFile {
  filename: string;
  data: Buffer;
}

const TOO_LARGE = "file is too large to send.";

/** The document to send for `rel` under `root`, or the reply saying why not. */
export async function fetchProjectPath(root: string, rel: string, denyGlobs: readonly string[], maxBytes: number): Promise<FetchedFile | string> {
  let resolved;
  try {
    resolved = await resolveProjectPath(root, rel, denyGlobs);
  } catch (error) {
    return `failed to read file: ${systemErrorMessage(error)}`;
  }
  if (isRefusal(resolved)) {
    if (resolved.refused === "denied") return `path denied by rule: ${resolved.rule}`;
    return resolved.refused === "escapes" ? "download path escapes the repo root." : "invalid download path.";
  }
  const name = posix.basename(resolved.rel);
  if (resolved.kind === null) return "file does not exist.";
  if (resolved.kind === "directory") {
    try {
      const data = await zipDirectory({ dir: resolved.real, arcPrefix: resolved.rel, realRoot: await realpath(root), denyGlobs, maxBytes });
      return { filename: `${name === "" ? "archive" : name}.zip`, data };
    } catch (error) {
      if (error instanceof ZipTooLargeError) return TOO_LARGE;
      return `failed to read directory: ${systemErrorMessage(error)}`;
    }
  }
  // A FIFO or a device would block the read or never end.
  if (resolved.kind === "other") return "failed to read file: not a regular file";
  try {
    if ((await lstat(resolved.real)).size > maxBytes) return TOO_LARGE;
    const data = await readFile(resolved.real);
    return data.length > maxBytes ? TOO_LARGE : { filename: name, data };
  } catch (error) {
    return `failed to read file: ${systemErrorMessage(error)}`;
  }
}

interface ZipSource {
  /** The directory's real path. */
  dir: string;
  /** Its path as asked for, relative to the root: the archive names start with it. */
  arcPrefix: string;
  realRoot: string;
  denyGlobs: readonly string[];
  maxBytes: number;
}

/** The directory as a zip; throws ZipTooLargeError as soon as it would pass `maxBytes`. */
export async function zipDirectory(source: ZipSource): Promise<Buffer> {
  const zip = new ZipWriter(source.maxBytes);
  await addDirectory(zip, source, source.dir, source.arcPrefix);
  return zip.finish();
}

async function addDirectory(zip: ZipWriter, source: ZipSource, dir: string, arcDir: string): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).toSorted((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const arcName = arcDir === "" ? entry.name : `${arcDir}/${entry.name}`;
    // Symlinks are never followed, so nothing below is reached through one; both names must pass the deny rules.
    if (entry.isSymbolicLink() || isDenied(source, arcName, path)) continue;
    if (entry.isDirectory()) {
      await addDirectory(zip, source, path, arcName);
    } else if (entry.isFile()) {
      const stats = await lstat(path);
      await zip.addFile(arcName, path, { modified: stats.mtime, mode: stats.mode });
    }
  }
}

function isDenied(source: ZipSource, arcName: string, path: string): boolean {
  const realRel = relative(source.realRoot, path).split(sep).join("/");
  return denyReason(arcName, source.denyGlobs) !== null || denyReason(realRel, source.denyGlobs) !== null;
}

