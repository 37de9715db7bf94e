/**
 * The message the bridge posts to the main chat once it is up:
 * what it will run and where, so a restart is visible from the phone.
 */
import { HARD_BREAK } from "../render/final.js";
import { renderMarkdown, type RenderedText } from "./markdown.js";
import type { PlainPromptTarget } from "../core/plain-prompt.js";
import { shortenHome } from "../util/home.js";

export interface StartupFacts {
  defaultEngine: string;
  available: readonly string[];
  /** `not installed: a; misconfigured: b`, or null. */
  unavailable: string | null;
  projects: readonly string[];
  sessionMode: "stateless" | "chat";
  showResumeLine: boolean;
  /** `disabled`, or `enabled (scope=…)` with `auto` resolved. */
  topics: string;
  /** `off`, or `on` with the auto-put mode. */
  files: string;
  /** The transcription model, or null when voice notes are not transcribed. */
  voiceModel: string | null;
  cwd: string;
  /** Where a prompt that names no project runs, in the main chat. */
  plainPrompts: PlainPromptTarget;
  /** Backlog messages handled and skipped at start-up (our addition). */
  backlog: { handled: number; skipped: number };
}

export function startupMessage(facts: StartupFacts): RenderedText {
  const engines = `${facts.available.length > 0 ? facts.available.join(", ") : "none"}${facts.unavailable === null ? "" : ` (${facts.unavailable})`}`;
  const lines = [
    `default: \`${facts.defaultEngine}\``,
    `engines: \`${engines}\``,
    `projects: \`${facts.projects.length > 0 ? [...facts.projects].sort().join(", ") : "none"}\``,
    `mode: \`${facts.sessionMode}\``,
    `topics: \`${facts.topics}\``,
    `files: \`${facts.files}\``,
    `voice: \`${facts.voiceModel === null ? "off" : `on (${facts.voiceModel})`}\``,
    `resume lines: \`${facts.showResumeLine ? "shown" : "hidden"}\``,
    plainPromptsLine(facts.plainPrompts, facts.cwd),
  ];
  const { handled, skipped } = facts.backlog;
  if (handled > 0 || skipped > 0) lines.push(`while offline: \`${handled} handled, ${skipped} too old\``);
  return renderMarkdown(`🐙 **takopi is ready**\n\n${lines.join(HARD_BREAK)}`);
}

/** Upstream's `working in:` line, unless the config came from a projects directory: then where plain prompts go. */
function plainPromptsLine(target: PlainPromptTarget, cwd: string): string {
  switch (target.kind) {
    case "cwd":
      return `working in: \`${shortenHome(cwd)}\``;
    case "project":
      return `plain prompts: \`run in ${target.alias}\``;
    case "choose":
      return "plain prompts: `ask which project`";
    case "no_projects":
      return `plain prompts: \`no projects yet: add a directory to ${target.projectsDir}\``;
  }
}
