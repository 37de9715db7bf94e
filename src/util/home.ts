/** `~` in paths the user writes and reads (config values, messages). */
import { homedir } from "node:os";
import { join, sep } from "node:path";

/** `~`, `~/x` (or `~\x` as written on Windows) → an absolute path under the home directory; anything else unchanged. */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === "~") return home;
  if (path.startsWith("~/") || path.startsWith("~\\")) return join(home, path.slice(2));
  return path;
}

/** `/home/me/x` → `~/x`, for messages; paths outside home unchanged. */
export function shortenHome(path: string, home: string = homedir()): string {
  if (home === "" || home === sep) return path;
  if (path === home) return "~";
  return path.startsWith(home + sep) ? `~/${path.slice(home.length + 1)}` : path;
}
