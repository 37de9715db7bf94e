/**
 * The final message as markdown (spec §7.8–§7.11): a header, the answer, and a
 * footer with the context and resume lines. The footer is never trimmed, so a
 * long answer can always be continued.
 */
import { formatElapsed } from "./text.js";

/** Longest body sent in one message, counted on the markdown source (spec §7.11). */
export const MAX_BODY_CHARS = 3500;

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

export function renderFooter(contextLine: string | null, resumeLine: string | null): string {
  return [contextLine, resumeLine].filter((line): line is string => line != null && line !== "").join("  \n");
}

/** Cuts a body to {@link MAX_BODY_CHARS} (ending in `…`), leaving shorter ones alone. */
export function trimBody(body: string, limit: number = MAX_BODY_CHARS): string {
  if (body.length <= limit) return body;
  let end = limit - 1;
  // Never split a surrogate pair (an emoji) in half.
  const last = body.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${body.slice(0, end)}…`;
}

export interface FinalMessage extends HeaderParts {
  body: string;
  contextLine?: string | null;
  resumeLine?: string | null;
}

export function renderFinal(message: FinalMessage): string {
  const body = trimBody(message.body.trim());
  return [renderHeader(message), body, renderFooter(message.contextLine ?? null, message.resumeLine ?? null)]
    .filter((part) => part !== "")
    .join("\n\n");
}
