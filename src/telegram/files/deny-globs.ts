/**
 * `files.deny_globs`: paths `/file put` and `/file get` refuse, with
 * upstream's semantics (Python's `PurePosixPath.match`): a pattern of k
 * segments is compared with the last k segments of the path, each segment an
 * fnmatch glob (`*` never crosses `/`; `**` is just `*`). So `*.pem` matches
 * `secrets/key.pem`, and `.ssh/**` matches `configs/.ssh/id_rsa` but not
 * `.ssh/a/b`. A `.git` segment is always denied, whatever the globs say.
 */

/** What a `.git` segment is reported as. */
export const GIT_RULE = ".git/**";

/** The first rule that denies `relPath` (`a/b/c`, relative to the project root), or null. */
export function denyReason(relPath: string, globs: readonly string[]): string | null {
  const segments = pathSegments(relPath);
  // Case-insensitive: on a case-insensitive filesystem `.GIT/config` is the repository's config.
  if (segments.some((segment) => segment.toLowerCase() === ".git")) return GIT_RULE;
  for (const glob of globs) {
    if (matchesFromRight(segments, glob)) return glob;
  }
  return null;
}

/** Whether the last segments of the path match the pattern's segments, one glob each. */
function matchesFromRight(segments: readonly string[], pattern: string): boolean {
  // An absolute pattern matches absolute paths only, and project paths are relative.
  if (pattern.startsWith("/")) return false;
  const globs = pathSegments(pattern);
  if (globs.length === 0 || globs.length > segments.length) return false;
  const tail = segments.slice(segments.length - globs.length);
  return globs.every((glob, index) => segmentRegExp(glob).test(tail[index] ?? ""));
}

/** `a//./b/` → `[a, b]`, as PurePosixPath collapses it. */
function pathSegments(path: string): string[] {
  return path.split("/").filter((segment) => segment !== "" && segment !== ".");
}

const compiled = new Map<string, RegExp>();

/** fnmatch for one segment: `*`, `?`, `[seq]`, `[!seq]`; an unclosed `[` is literal; case-sensitive (POSIX). */
export function segmentRegExp(glob: string): RegExp {
  const cached = compiled.get(glob);
  if (cached !== undefined) return cached;
  let source = "";
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i] as string;
    if (char === "*") {
      source += "[^/]*";
      while (glob[i + 1] === "*") i += 1;
    } else if (char === "?") {
      source += "[^/]";
    } else if (char === "[") {
      const set = bracketSet(glob, i);
      if (set === null) {
        source += "\\[";
      } else {
        source += set.source;
        i = set.end;
      }
    } else {
      source += escapeRegExp(char);
    }
  }
  const regexp = new RegExp(`^${source}$`, "su");
  if (compiled.size < 256) compiled.set(glob, regexp);
  return regexp;
}

/** `[…]` starting at `start`: its regexp class and the index of its `]`, or null when it is not closed. */
function bracketSet(glob: string, start: number): { source: string; end: number } | null {
  let i = start + 1;
  let negate = false;
  if (glob[i] === "!") {
    negate = true;
    i += 1;
  }
  // A `]` right after `[` or `[!` is a member, not the end.
  if (glob[i] === "]") i += 1;
  const close = glob.indexOf("]", i);
  if (close === -1) return null;
  const body = glob.slice(negate ? start + 2 : start + 1, close);
  // `-` keeps its meaning (a range); a reversed range (`[z-a]`) matches nothing, as in Python.
  const source = `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
  try {
    new RegExp(source, "u");
  } catch {
    return { source: "(?!)", end: close };
  }
  return { source, end: close };
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}
