/**
 * Path helpers for titles shown to the user: progress lines read
 * better as `src/app.ts` than as `/home/me/projects/app/src/app.ts`.
 */

/** `path` relative to `base` when it is `base` itself or inside it; otherwise unchanged. */
export function relativizePath(path: string, base: string | null): string {
  if (!base) return path;
  const root = trimTrailingSeparators(base);
  if (root === "") return path;
  if (path === root) return ".";
  for (const sep of ["/", "\\"]) {
    const prefix = root + sep;
    // `/repo2/x` shares the text prefix `/repo` but is not inside `/repo`.
    if (path.startsWith(prefix)) return path.slice(prefix.length) || ".";
  }
  return path;
}

/** A shell command with every `<base>/` occurrence removed, so it reads as typed in the repo. */
export function relativizeCommand(command: string, base: string | null): string {
  if (!base) return command;
  const root = trimTrailingSeparators(base);
  if (root === "") return command;
  return command.split(`${root}/`).join("");
}

function trimTrailingSeparators(path: string): string {
  let end = path.length;
  while (end > 1 && (path[end - 1] === "/" || path[end - 1] === "\\")) end -= 1;
  return path.slice(0, end);
}
