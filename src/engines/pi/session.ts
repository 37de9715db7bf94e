/**
 * Pi session files and resume lines.
 *
 * A new pi run is given a session *file path* chosen by takopi
 * (`--session <path>`; pi 0.73 opens a path that does not exist yet as a new,
 * empty session in that file). The path follows pi's own layout, so pi finds
 * the file again when it is later resumed by id:
 *
 *     <base>/sessions/--<cwdSafe>--/<isoTimestampSafe>_<uuid4hex>.jsonl
 *
 * `base` is `$PI_CODING_AGENT_DIR` (with `~` expanded) or `~/.pi/agent`.
 * When `$PI_CODING_AGENT_SESSION_DIR` is set, pi keeps (and looks up) every
 * session directly in that directory, so the file goes there instead — the
 * spec does not mention this variable, but without it a session created here
 * could not be resumed by id.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { resumeCodec } from "../resume-lines.js";
import { expandHome } from "../../util/home.js";

/** The run dir as pi encodes it in a session directory name: `/a/b` → `--a-b--`. */
export function piSessionDirName(cwd: string): string {
  const safe = cwd.replace(/^[/\\]+/, "").replace(/[/\\:]/g, "-");
  return `--${safe}--`;
}

/** Where pi keeps the sessions of runs in `cwd`, for the given child environment. */
export function piSessionDir(cwd: string, env: NodeJS.ProcessEnv): string {
  const home = nonEmpty(env.HOME) ?? homedir();
  const sessionDir = nonEmpty(env.PI_CODING_AGENT_SESSION_DIR);
  if (sessionDir !== undefined) return expandHome(sessionDir, home);
  const agentDir = nonEmpty(env.PI_CODING_AGENT_DIR);
  const base = agentDir === undefined ? join(home, ".pi", "agent") : expandHome(agentDir, home);
  return join(base, "sessions", piSessionDirName(cwd));
}

/** `2026-11-21T23:00:10.256Z` → `2026-11-21T23-00-10-256Z` (pi names its own files the same way). */
export function piTimestamp(now: Date): string {
  return now.toISOString().replace(/[:.]/g, "-");
}

export interface NewSessionOptions {
  now?: Date;
  /** 32 hex digits; random by default. */
  id?: string;
  /** Create the directory (default true). */
  mkdir?: boolean;
}

/**
 * Invents the session file for a new run and creates its directory (`mkdir -p`).
 *
 * The directory is named after the *physical* run dir: pi looks a session id up
 * under its `process.cwd()`, which has symlinks resolved. Were the file filed
 * under a symlinked spelling, pi would find it only in its all-projects search
 * and then ask (on a closed stdin) whether to fork it, which aborts the run.
 */
export function newPiSessionPath(cwd: string, env: NodeJS.ProcessEnv, options: NewSessionOptions = {}): string {
  const dir = piSessionDir(physicalPath(cwd), env);
  if (options.mkdir ?? true) mkdirSync(dir, { recursive: true });
  const id = options.id ?? randomUUID().replace(/-/g, "");
  return join(dir, `${piTimestamp(options.now ?? new Date())}_${id}.jsonl`);
}

/** Quotes a token for the resume line when it holds whitespace or `"`, as upstream does. */
export function quotePiToken(value: string): string {
  if (!/[\s"]/.test(value)) return value;
  return `"${value.replace(/"/g, '\\"')}"`;
}

/** Undoes {@link quotePiToken}: trims, and removes one pair of matching `"` or `'` quotes. */
export function unquotePiToken(raw: string): string {
  const token = raw.trim();
  if (token.length < 2) return token;
  const first = token[0];
  if ((first !== '"' && first !== "'") || token[token.length - 1] !== first) return token;
  const inner = token.slice(1, -1);
  // `"` inside a double-quoted token was escaped by quotePiToken.
  return first === '"' ? inner.replace(/\\"/g, '"') : inner;
}

export const piResumeCodec = resumeCodec({
  engine: "pi",
  format: (value) => `pi --session ${quotePiToken(value)}`,
  pattern: /^\s*`?pi\s+--session\s+(?<token>.+?)`?\s*$/,
  clean: unquotePiToken,
});

function physicalPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
