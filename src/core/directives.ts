/**
 * What a message asks for besides its prompt: leading
 * `/engine`, `/project` and `@branch` directives, the `ctx:` line in the
 * footer of takopi's own answers, and resume lines. Pure functions — engine
 * ids, project aliases and resume codecs come in as parameters — so the
 * router decides with them and tests need nothing running.
 */
import type { ResumeCodec } from "../engines/backend.js";
import type { ResumeToken } from "./events.js";

/** A message that asks for something contradictory; the bridge replies `error:\n<message>` and does not run. */
export class DirectiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DirectiveError";
  }
}

/** The project and branch a run is for; either may be unset. */
export interface RunContext {
  /** A project alias, lower-cased like the config's keys. */
  project: string | null;
  branch: string | null;
}

/** The names a leading `/name` may refer to. */
export interface DirectiveNames {
  /** Engine ids, in the spelling the result should use. */
  engineIds: readonly string[];
  /** Project aliases (compared case-insensitively; results are lower-cased). */
  projects: readonly string[];
}

export interface ParsedDirectives {
  /** The text with the consumed directives removed, trimmed; unchanged when there were none. */
  prompt: string;
  engine: string | null;
  project: string | null;
  branch: string | null;
}

/**
 * Reads the directives at the start of the first non-empty line:
 * `/engine`, `/project` (each may carry `@botname`) and `@branch`, in any
 * order, until the first token that is none of them. Naming two engines, two
 * projects or two branches is a DirectiveError.
 */
export function parseDirectives(text: string, names: DirectiveNames): ParsedDirectives {
  const none: ParsedDirectives = { prompt: text, engine: null, project: null, branch: null };
  const lines = splitLines(text);
  const index = lines.findIndex((line) => line.trim() !== "");
  if (index === -1) return none;
  const tokens = (lines[index] as string).trim().split(/\s+/);
  const scan = scanDirectives(tokens, names, { stopAtConflict: true });
  if (scan.conflict !== null) throw new DirectiveError(scan.conflict);
  if (scan.consumed === 0) return none;
  if (scan.consumed < tokens.length) lines[index] = tokens.slice(scan.consumed).join(" ");
  else lines.splice(index, 1);
  return { prompt: lines.join("\n").trim(), engine: scan.engine, project: scan.project, branch: scan.branch };
}

/**
 * Whether the message opens with an `/engine` or `/project` directive; a
 * `@branch` alone does not count. Never throws: conflicting directives still
 * are directives.
 */
export function hasDirective(text: string, names: DirectiveNames): boolean {
  const line = splitLines(text).find((candidate) => candidate.trim() !== "");
  if (line === undefined) return false;
  const scan = scanDirectives(line.trim().split(/\s+/), names, { stopAtConflict: false });
  return scan.engine !== null || scan.project !== null;
}

/**
 * The context named by the last `ctx:` line in `text` — the
 * footer of an answer being replied to — or null. Backticks around the line
 * are ignored; `@branch` and `@ branch` both work. A project that is no longer
 * configured is a DirectiveError: running somewhere else would surprise.
 */
export function parseContextLine(text: string | null | undefined, projects: readonly string[]): RunContext | null {
  if (!text) return null;
  const known = new Set(projects.map((alias) => alias.toLowerCase()));
  let found: RunContext | null = null;
  for (const line of splitLines(text)) {
    const stripped = stripBackticks(line.trim());
    if (!stripped.toLowerCase().startsWith("ctx:")) continue;
    const tokens = stripped
      .slice("ctx:".length)
      .trim()
      .split(/\s+/)
      .filter((token) => token !== "");
    const [project, second, third] = tokens;
    if (project === undefined) continue;
    let branch: string | null = null;
    if (second === "@" && third !== undefined) branch = third;
    else if (second !== undefined && second.startsWith("@") && second.length > 1) branch = second.slice(1);
    const key = project.toLowerCase();
    if (!known.has(key)) {
      throw new DirectiveError(`unknown project '${project}' in ctx line; start a new thread or add it back to your config`);
    }
    found = { project: key, branch };
  }
  return found;
}

/**
 * The ctx footer line, `` `ctx: <alias> @<branch>` ``, in the
 * alias's configured spelling when `projects` lists it; null without a project.
 */
export function formatContextLine(context: RunContext | null | undefined, projects: readonly string[] = []): string | null {
  const project = context?.project;
  if (project === undefined || project === null || project === "") return null;
  const alias = projects.find((candidate) => candidate.toLowerCase() === project.toLowerCase()) ?? project;
  const branch = context?.branch;
  return branch ? `\`ctx: ${alias} @${branch}\`` : `\`ctx: ${alias}\``;
}

/**
 * The session a message continues: the first engine, in `codecs`
 * order, with a resume line in `text`, else the same over `replyText`. Within
 * one text each engine takes its last line, so a reply quoting an older
 * answer still continues the newest session.
 */
export function resolveResume(text: string, replyText: string | null | undefined, codecs: readonly ResumeCodec[]): ResumeToken | null {
  return firstResume(text, codecs) ?? (replyText ? firstResume(replyText, codecs) : null);
}

function firstResume(text: string, codecs: readonly ResumeCodec[]): ResumeToken | null {
  for (const codec of codecs) {
    const token = codec.extractResume(text);
    if (token !== null) return token;
  }
  return null;
}

/** Whether any engine reads `line` as a resume line. */
export function isResumeLine(line: string, codecs: readonly ResumeCodec[]): boolean {
  return codecs.some((codec) => codec.isResumeLine(line));
}

/**
 * The prompt an engine gets: every resume line removed, trimmed;
 * `continue` when nothing else was said, since the line alone means "go on".
 */
export function stripResumeLines(prompt: string, codecs: readonly ResumeCodec[]): string {
  const kept = splitLines(prompt).filter((line) => !isResumeLine(line, codecs));
  const stripped = kept.join("\n").trim();
  return stripped === "" ? "continue" : stripped;
}

/** Where a run's context came from, for `/ctx` and topic binding. */
export type ContextSource = "reply_ctx" | "directives" | "ambient" | "default_project" | "none";

export interface MessageInput {
  text: string;
  /** Text of the message this one replies to (not its caption, as upstream). */
  replyText?: string | null;
  /** The context the chat or topic is bound to, if any. */
  ambient?: RunContext | null;
  /** The chat's project, else the global `default_project` (see defaultProjectFor). */
  defaultProject?: string | null;
  names: DirectiveNames;
  /** Every engine's resume codec, in router order. */
  codecs: readonly ResumeCodec[];
}

export interface ResolvedMessage {
  /** Directives removed; resume lines still in (stripResumeLines runs at dispatch). */
  prompt: string;
  resumeToken: ResumeToken | null;
  /** The `/engine` directive, if any. */
  engineOverride: string | null;
  context: RunContext | null;
  contextSource: ContextSource;
}

/**
 * Prompt, session, engine and context for one message. A ctx
 * line in the replied-to answer wins outright; otherwise directives, then the
 * ambient binding, then the default project choose the project, and the
 * ambient branch carries over only while the project stays the ambient one.
 */
export function resolveMessage(input: MessageInput): ResolvedMessage {
  const directives = parseDirectives(input.text, input.names);
  const resumeToken = resolveResume(directives.prompt, input.replyText, input.codecs);
  const base = { prompt: directives.prompt, resumeToken, engineOverride: directives.engine };
  const replyContext = parseContextLine(input.replyText, input.names.projects);
  if (replyContext !== null) return { ...base, context: replyContext, contextSource: "reply_ctx" };

  const ambient = input.ambient ?? null;
  const defaultProject = input.defaultProject ?? null;
  const project = directives.project ?? ambient?.project ?? defaultProject;
  let branch = directives.branch;
  if (branch === null && ambient !== null && project === ambient.project) branch = ambient.branch;
  const context = project === null && branch === null ? null : { project, branch };

  let contextSource: ContextSource = "none";
  if (directives.project !== null || directives.branch !== null) contextSource = "directives";
  else if (ambient?.project != null) contextSource = "ambient";
  else if (defaultProject !== null) contextSource = "default_project";
  return { ...base, context, contextSource };
}

/**
 * The project a chat defaults to: the one whose `chat_id` is
 * this chat, else the global `default_project`.
 */
export function defaultProjectFor(
  chatId: number | null | undefined,
  projects: Readonly<Record<string, { chat_id?: number | null }>>,
  globalDefault: string | null,
): string | null {
  if (chatId !== null && chatId !== undefined) {
    for (const [alias, project] of Object.entries(projects)) {
      if (project.chat_id === chatId) return alias;
    }
  }
  return globalDefault;
}

interface DirectiveScan {
  engine: string | null;
  project: string | null;
  branch: string | null;
  /** How many leading tokens are directives. */
  consumed: number;
  /** The first contradiction met, as the user-facing message. */
  conflict: string | null;
}

function scanDirectives(tokens: readonly string[], names: DirectiveNames, options: { stopAtConflict: boolean }): DirectiveScan {
  const engines = new Map(names.engineIds.map((id) => [id.toLowerCase(), id]));
  const projects = new Set(names.projects.map((alias) => alias.toLowerCase()));
  const scan: DirectiveScan = { engine: null, project: null, branch: null, consumed: 0, conflict: null };
  const conflict = (message: string): boolean => {
    scan.conflict ??= message;
    return options.stopAtConflict;
  };
  for (const token of tokens) {
    if (token.startsWith("/")) {
      const name = (token.slice(1).split("@")[0] ?? "").toLowerCase();
      if (name === "") break;
      const engine = engines.get(name);
      if (engine !== undefined) {
        if (scan.engine !== null && conflict("multiple engine directives")) break;
        scan.engine ??= engine;
      } else if (projects.has(name)) {
        if (scan.project !== null && conflict("multiple project directives")) break;
        scan.project ??= name;
      } else {
        break;
      }
    } else if (token.startsWith("@") && token.length > 1) {
      if (scan.branch !== null && conflict("multiple @branch directives")) break;
      scan.branch ??= token.slice(1);
    } else {
      break;
    }
    scan.consumed += 1;
  }
  return scan;
}

/**
 * Lines as upstream's `str.splitlines()` sees them (less the ASCII file,
 * group and record separators, which no chat message carries).
 */
function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split(/\r\n|[\n\r\v\f\x85\u2028\u2029]/);
  // A trailing line break ends the last line rather than starting an empty one.
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** `` `ctx: x` `` → `ctx: x`; a lone leading or trailing backtick goes too. */
function stripBackticks(line: string): string {
  if (line.length > 1 && line.startsWith("`") && line.endsWith("`")) return line.slice(1, -1).trim();
  if (line.startsWith("`")) return line.slice(1).trim();
  if (line.endsWith("`")) return line.slice(0, -1).trim();
  return line;
}
