/**
 * Where a `/file` path lands, and the promise that it never lands outside the
 * project (or worktree) it is meant for. A path a person typed is refused when
 * it is empty, starts with `~`, is absolute, has a `..` segment, or is only
 * dots; a `.git` segment or a deny glob denies it (deny-globs.ts). What is
 * left is looked up on disk: every symlink on the way — a parent directory or
 * the file itself — is followed to its real location, which must be inside the
 * real root and must not be denied either. `..%2f` and backslashes are plain
 * name characters here, as on any POSIX filesystem.
 *
 * A check and the write after it are two steps: the bridge checks again right
 * before writing, but someone with a shell in the project can still swap a
 * directory for a symlink in between. That person can write outside anyway.
 */
import { lstat, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { isErrorCode } from "../../util/errors.js";
import { denyReason } from "./deny-globs.js";

/** Why a path is refused: not a usable relative path, a deny rule, or it leads out of the root. */
export type PathRefusal = { refused: "invalid" } | { refused: "denied"; rule: string } | { refused: "escapes" };

export interface ProjectPath {
  /** As typed, normalised: `docs/a.txt`. */
  rel: string;
  /** The real location (symlinks resolved; for a missing path, its real parent plus the missing names). */
  real: string;
  /** What is there now; null when nothing is. */
  kind: "file" | "directory" | "other" | null;
}

/** `./docs//a.txt` → `docs/a.txt`; null when the path is not a plain relative path (see the module comment). */
export function normalizeRelativePath(value: string): string | null {
  const cleaned = value.trim();
  if (cleaned === "" || cleaned.startsWith("~") || isAbsolute(cleaned) || cleaned.includes("\0")) return null;
  const segments = cleaned.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.length === 0 || segments.includes("..")) return null;
  return segments.join("/");
}

/**
 * Resolves `requested` inside `root`: the path and what is there, or why it is
 * refused. Throws only when the root itself cannot be resolved.
 */
export async function resolveProjectPath(root: string, requested: string, denyGlobs: readonly string[]): Promise<ProjectPath | PathRefusal> {
  const rel = normalizeRelativePath(requested);
  if (rel === null) return { refused: "invalid" };
  const rule = denyReason(rel, denyGlobs);
  if (rule !== null) return { refused: "denied", rule };
  const realRoot = await realpath(root);
  const segments = rel.split("/");
  // The deepest part of the path that exists, resolved; the rest does not exist yet.
  let existing = realRoot;
  let missing: string[] = [];
  for (const [index, segment] of segments.entries()) {
    const candidate = join(existing, segment);
    const stats = await lstatOrNull(candidate);
    if (stats === null) {
      missing = segments.slice(index);
      break;
    }
    if (stats.isSymbolicLink()) {
      const target = await realpath(candidate).catch((error: unknown) => {
        if (isErrorCode(error, "ENOENT", "ELOOP", "ENOTDIR")) return null;
        throw error;
      });
      // A dangling or looping link: where it would lead cannot be checked, so it leads nowhere.
      if (target === null) return { refused: "escapes" };
      existing = target;
    } else {
      existing = candidate;
    }
    if (!isInside(realRoot, existing)) return { refused: "escapes" };
  }
  const real = join(existing, ...missing);
  const realRule = denyReason(relative(realRoot, real).split(sep).join("/"), denyGlobs);
  if (realRule !== null) return { refused: "denied", rule: realRule };
  return { rel, real, kind: missing.length > 0 ? null : await kindOf(existing) };
}

export function isRefusal(resolved: ProjectPath | PathRefusal): resolved is PathRefusal {
  return "refused" in resolved;
}

/** `path` is `root` or below it (both real paths). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if (isErrorCode(error, "ENOENT")) return null;
    // A file where a directory was expected (`a.txt/b`): nothing can exist below it.
    if (isErrorCode(error, "ENOTDIR")) return null;
    throw error;
  }
}

async function kindOf(real: string): Promise<ProjectPath["kind"]> {
  const stats = await lstat(real);
  if (stats.isFile()) return "file";
  return stats.isDirectory() ? "directory" : "other";
}
