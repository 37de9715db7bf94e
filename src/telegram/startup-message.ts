/**
 * The message the bridge posts to the main chat once it is up:
 * what it will run and where, so a restart is visible from the phone.
 */
import { HARD_BREAK } from "../render/final.js";
import { renderMarkdown, type RenderedText } from "./markdown.js";
import { shortenHome } from "../util/home.js";

export interface StartupFacts {
  defaultEngine: string;
  available: readonly string[];
  /** `not installed: a; misconfigured: b`, or null. */
  unavailable: string | null;
  projects: readonly string[];
  sessionMode: "stateless" | "chat";
  showResumeLine: boolean;
  cwd: string;
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
    "topics: `disabled`",
    `resume lines: \`${facts.showResumeLine ? "shown" : "hidden"}\``,
    `working in: \`${shortenHome(facts.cwd)}\``,
  ];
  const { handled, skipped } = facts.backlog;
  if (handled > 0 || skipped > 0) lines.push(`while offline: \`${handled} handled, ${skipped} too old\``);
  return renderMarkdown(`🐙 **takopi is ready**\n\n${lines.join(HARD_BREAK)}`);
}
