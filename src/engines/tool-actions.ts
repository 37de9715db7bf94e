/**
 * Tool name → action kind and title, shared by the engines that report tools by
 * name (claude, opencode, pi), as upstream maps them. Codex reports typed items.
 */
import type { ActionKind } from "../core/events.js";
import { relativizeCommand, relativizePath } from "../util/paths.js";

export interface ToolActionOptions {
  /** Input keys holding the file path, in order of preference (engine-specific). */
  pathKeys: readonly string[];
  /** Run base dir used to shorten paths. */
  cwd: string | null;
  /** Kind used for task/agent tools: claude shows them as subagents, opencode as plain tools. */
  subagentKind?: Extract<ActionKind, "subagent" | "tool">;
}

export interface ToolAction {
  kind: ActionKind;
  title: string;
  /** For file changes: what the progress line lists (`update \`src/a.ts\``). */
  changes?: { path: string; kind: string }[];
}

/** Describes a tool call for the progress message. Never throws on odd input. */
export function describeToolCall(name: string, input: unknown, options: ToolActionOptions): ToolAction {
  const args = isRecord(input) ? input : {};
  const lower = name.toLowerCase();
  const rawPath = firstString(args, options.pathKeys);
  const path = rawPath === undefined ? undefined : relativizePath(rawPath, options.cwd);

  switch (lower) {
    case "bash":
    case "shell":
    case "killshell": {
      const command = firstString(args, ["command", "cmd"]);
      return { kind: "command", title: command === undefined ? name : relativizeCommand(command, options.cwd) };
    }
    case "edit":
    case "write":
    case "notebookedit":
    case "multiedit":
      if (path === undefined || rawPath === undefined) return { kind: "file_change", title: name };
      return { kind: "file_change", title: path, changes: [{ path: rawPath, kind: "update" }] };
    case "read":
      return { kind: "tool", title: path === undefined ? "read" : `read: \`${path}\`` };
    case "glob": {
      const pattern = firstString(args, ["pattern"]);
      return { kind: "tool", title: pattern === undefined ? "glob" : `glob: \`${pattern}\`` };
    }
    case "grep": {
      const pattern = firstString(args, ["pattern"]);
      return { kind: "tool", title: pattern === undefined ? "grep" : `grep: ${pattern}` };
    }
    case "find": {
      const pattern = firstString(args, ["pattern"]);
      return { kind: "tool", title: pattern === undefined ? "find" : `find: ${pattern}` };
    }
    case "ls":
      return { kind: "tool", title: path === undefined ? "ls" : `ls: \`${path}\`` };
    case "websearch":
    case "web_search":
      return { kind: "web_search", title: firstString(args, ["query"]) ?? "search" };
    case "webfetch":
    case "web_fetch":
      return { kind: "web_search", title: firstString(args, ["url"]) ?? "fetch" };
    case "todowrite":
      return { kind: "note", title: "update todos" };
    case "todoread":
      return { kind: "note", title: "read todos" };
    case "askuserquestion":
      return { kind: "note", title: "ask user" };
    case "task":
    case "agent":
      return {
        kind: options.subagentKind ?? "subagent",
        title: firstString(args, ["description", "prompt"]) ?? name,
      };
    default:
      return { kind: "tool", title: name };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The first non-empty string among `keys` of `record`. */
export function firstString(record: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}
