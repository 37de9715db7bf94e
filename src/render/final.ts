/**
 * The final message as markdown: a header, the answer, and a
 * footer with the context and resume lines. The footer is never trimmed, so a
 * long answer can always be continued.
 */
import { fenceCloser, openMarkupAt, safeCut } from "./markdown-source.js";
import { formatElapsed } from "./text.js";

/** Longest body sent in one message, counted on the markdown source, as upstream counts it. */
export const MAX_BODY_CHARS = 3500;

/** A markdown hard break: keeps lines apart without a blank line between them. */
export const HARD_BREAK = "  \n";

/** `trim` cuts a long body to one message; `split` sends the rest as follow-ups (final messages only). */
export type MessageOverflow = "trim" | "split";

/** A message in three parts; only the body is ever trimmed or split. */
export interface MarkdownParts {
  header: string;
  body?: string | null;
  footer?: string | null;
}

/** The parts joined by blank lines, empty ones skipped. */
export function assembleMarkdown(parts: MarkdownParts): string {
  return [parts.header, parts.body, parts.footer].filter((part): part is string => part != null && part !== "").join("\n\n");
}

export interface HeaderParts {
  /** `done`, `error`, `working`, … */
  label: string;
  engine: string;
  elapsedSeconds: number;
  /** Distinct actions so far; `step N` is shown when positive. */
  actionCount: number;
}

export function renderHeader(parts: HeaderParts): string {
  const items = [parts.label, parts.engine, formatElapsed(parts.elapsedSeconds)];
  if (parts.actionCount > 0) items.push(`step ${parts.actionCount}`);
  return items.join(" · ");
}

/**
 * The usage line (when shown), the context line, then the resume line, as
 * hard-broken lines: the resume line stays last, where it is looked for.
 */
export function renderFooter(contextLine: string | null, resumeLine: string | null, usageLine: string | null = null): string {
  return [usageLine === null ? null : `\`${usageLine}\``, contextLine, resumeLine].filter((line): line is string => line != null && line !== "").join(HARD_BREAK);
}

/**
 * Cuts a body to `limit` characters ending in `…`, leaving shorter ones alone.
 *
 * Upstream cuts the markdown source blindly, so a cut inside a
 * code fence left the fence open and the footer — the resume line — rendered
 * as code. Here an open fence is closed after the `…`, and an inline code span
 * cut in half is closed with its own backtick run; the result still fits in
 * `limit`. Other markup (emphasis, links) cut in half renders as literal text.
 */
export function trimBody(body: string, limit: number = MAX_BODY_CHARS): string {
  if (body.length <= limit) return body;
  if (limit < 1) return "";
  let room = limit - 1;
  for (;;) {
    const end = safeCut(body, room);
    // Judged with the `…` in place: it turns a closing fence line (```` ``` ````) into an opening one.
    const cut = `${body.slice(0, end)}…`;
    const open = openMarkupAt(cut);
    const closer = open.fence !== null ? fenceCloser(cut, open.fence) : "`".repeat(open.codeSpan);
    if (cut.length + closer.length <= limit) return cut + closer;
    // A closer needs room: cut earlier. Closers only grow as `room` shrinks, so this ends.
    const next = limit - 1 - closer.length;
    if (next <= 0) return "…";
    room = Math.min(next, end - 1);
  }
}

export interface FinalMessage extends HeaderParts {
  body: string;
  contextLine?: string | null;
  resumeLine?: string | null;
  /** What the run used (`12.3k in · 1.2k out · $0.042`), shown as code; null hides it (`show_usage = false`). */
  usageLine?: string | null;
}

/** Header, trimmed answer (none when blank) and footer, untrimmed; no action list. */
export function finalParts(message: FinalMessage): MarkdownParts {
  const body = message.body.trim();
  return {
    header: renderHeader(message),
    body: body === "" ? null : body,
    footer: renderFooter(message.contextLine ?? null, message.resumeLine ?? null, message.usageLine ?? null),
  };
}

/** The final message as one markdown string, its body trimmed to {@link MAX_BODY_CHARS}. */
export function renderFinal(message: FinalMessage): string {
  const parts = finalParts(message);
  return assembleMarkdown({ ...parts, body: parts.body == null ? null : trimBody(parts.body) });
}
