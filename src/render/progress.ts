/**
 * The progress message as markdown: the header, the last few
 * actions with a status glyph each, and the footer with the context and resume
 * lines. Rendering reads a {@link ProgressSnapshot}; it never sees events.
 */
import type { Action } from "../core/events.js";
import type { ActionState, ProgressSnapshot } from "../core/progress.js";
import { relativizePath } from "../util/paths.js";
import { assembleMarkdown, HARD_BREAK, renderFooter, renderHeader, type MarkdownParts } from "./final.js";
import { shorten } from "./text.js";

/** Longest action title before it is shortened (upstream `MAX_PROGRESS_CMD_LEN`). */
export const MAX_PROGRESS_CMD_LEN = 300;
/** Action lines shown; older ones scroll off, the `step N` count keeps them. */
export const MAX_PROGRESS_ACTIONS = 5;
/** Changed files listed on one line before `…(N more)`. */
export const MAX_FILE_CHANGES_INLINE = 3;

export const STATUS = { running: "▸", updated: "↻", done: "✓", failed: "✗" } as const;

/**
 * Progress labels. `cancelled` carries its backticks so it renders
 * as code; a cancelled message has no cancel button (core/run-view.ts).
 */
export const PROGRESS_LABELS = {
  starting: "starting",
  working: "working",
  queued: "queued",
  cancelled: "`cancelled`",
} as const;

/** How titles are shortened and where paths are made relative. */
export interface TitleOptions {
  /** Defaults to {@link MAX_PROGRESS_CMD_LEN}. */
  width?: number;
  /** The run's working directory; `undefined` means the process cwd, `null` none. */
  baseDir?: string | null;
}

export interface ProgressInput extends TitleOptions {
  label: string;
  snapshot: ProgressSnapshot;
  elapsedSeconds: number;
  /** Overrides the snapshot's context line. */
  contextLine?: string | null;
  /** Defaults to {@link MAX_PROGRESS_ACTIONS}. */
  maxActions?: number;
  /** A line under the actions, such as how long the engine has been silent. */
  notice?: string | null;
}

/** The progress message in parts, for `prepareTelegram`. */
export function progressParts(input: ProgressInput): MarkdownParts {
  const { snapshot } = input;
  const maxActions = Math.max(0, Math.floor(input.maxActions ?? MAX_PROGRESS_ACTIONS));
  const shown = maxActions === 0 ? [] : snapshot.actions.slice(-maxActions);
  const lines = shown.map((state) => formatActionLine(state, input));
  return {
    header: renderHeader({
      label: input.label,
      engine: snapshot.engine,
      elapsedSeconds: input.elapsedSeconds,
      actionCount: snapshot.actionCount,
    }),
    body: [lines.join(HARD_BREAK), input.notice ?? ""].filter((part) => part !== "").join("\n\n") || null,
    footer: renderFooter(input.contextLine ?? snapshot.contextLine, snapshot.resumeLine),
  };
}

/** The progress message as one markdown string. */
export function renderProgress(input: ProgressInput): string {
  return assembleMarkdown(progressParts(input));
}

/** `▸` running, `↻` updated, and for completed actions `✓` or `✗`. */
export function actionStatus(state: Pick<ActionState, "action" | "displayPhase" | "ok">): string {
  if (state.displayPhase === "started") return STATUS.running;
  if (state.displayPhase === "updated") return STATUS.updated;
  if (state.ok != null) return state.ok ? STATUS.done : STATUS.failed;
  return failedExitCode(state.action) === null ? STATUS.done : STATUS.failed;
}

/** `<glyph> <title>`, plus ` (exit N)` for a completed action that exited non-zero. */
export function formatActionLine(state: Pick<ActionState, "action" | "displayPhase" | "ok">, options: TitleOptions = {}): string {
  const exitCode = state.displayPhase === "completed" ? failedExitCode(state.action) : null;
  const suffix = exitCode === null ? "" : ` (exit ${exitCode})`;
  return `${actionStatus(state)} ${formatActionTitle(state.action, options)}${suffix}`;
}

/** The title of an action by kind. */
export function formatActionTitle(action: Action, options: TitleOptions = {}): string {
  const width = options.width ?? MAX_PROGRESS_CMD_LEN;
  switch (action.kind) {
    case "command":
      return inlineCode(shorten(action.title, width));
    case "tool":
      return `tool: ${shorten(action.title, width)}`;
    case "web_search":
      return `searched: ${shorten(action.title, width)}`;
    case "subagent":
      return `subagent: ${shorten(action.title, width)}`;
    case "file_change":
      return formatFileChangeTitle(action, options);
    default:
      return shorten(action.title, width);
  }
}

/**
 * `files: add \`a.ts\`, update \`b.ts\`, …(2 more)` from `detail.changes`, or
 * `files: <title>` with a path-like title in backticks.
 */
export function formatFileChangeTitle(action: Action, options: TitleOptions = {}): string {
  const width = options.width ?? MAX_PROGRESS_CMD_LEN;
  const baseDir = options.baseDir === undefined ? process.cwd() : options.baseDir;
  const changes = action.detail.changes;
  const listed: string[] = [];
  if (Array.isArray(changes)) {
    for (const change of changes as unknown[]) {
      if (typeof change !== "object" || change === null) continue;
      const { path, kind } = change as { path?: unknown; kind?: unknown };
      if (typeof path !== "string" || path === "") continue;
      const verb = typeof kind === "string" && kind !== "" ? kind : "update";
      listed.push(`${verb} ${inlineCode(relativizePath(path, baseDir))}`);
    }
  }
  if (listed.length > 0) {
    const hidden = listed.length - MAX_FILE_CHANGES_INLINE;
    const entries = hidden > 0 ? [...listed.slice(0, MAX_FILE_CHANGES_INLINE), `…(${hidden} more)`] : listed;
    return `files: ${shorten(entries.join(", "), width)}`;
  }
  const title = relativizePath(action.title, baseDir);
  const looksLikePath = title !== action.title || title.includes("/");
  const quoted = title.length >= 2 && title.startsWith("`") && title.endsWith("`");
  return `files: ${looksLikePath && !quoted ? inlineCode(shorten(title, width)) : shorten(title, width)}`;
}

function failedExitCode(action: Action): number | null {
  const code = action.detail.exit_code;
  return typeof code === "number" && Number.isInteger(code) && code !== 0 ? code : null;
}

/**
 * `text` as an inline code span. A title with backticks in it (a shell command
 * using command substitution) gets a longer fence, so it stays one span rather
 * than breaking the line's markup as a bare `` ` `` wrapper would.
 */
export function inlineCode(text: string): string {
  if (!text.includes("`")) return `\`${text}\``;
  const longest = Math.max(...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return `${fence} ${text} ${fence}`;
}
