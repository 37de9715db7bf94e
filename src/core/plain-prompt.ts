/**
 * Where a prompt that names no project runs. Upstream runs it in takopi's own
 * working directory, which in the container is `/app` — the bridge's code, never
 * what the person meant. When the config was generated from a projects
 * directory (`projects_dir`, written by `takopi discover`), a plain prompt
 * runs in a project instead: the chat's or the configured default, else the
 * only one, else the person is asked which.
 */
import { defaultProjectFor } from "./directives.js";

export type PlainPromptTarget =
  /** Runs in this project (the chat's, `default_project`, or the only one there is). */
  | { kind: "project"; alias: string }
  /** Several projects and no default: ask which one (aliases sorted). */
  | { kind: "choose"; projects: string[] }
  /** A projects directory with nothing in it yet. */
  | { kind: "no_projects"; projectsDir: string }
  /** A hand-written config without a default: takopi's working directory, as upstream. */
  | { kind: "cwd" };

export interface PlainPromptSettings {
  projects: Readonly<Record<string, { chat_id?: number | null }>>;
  default_project: string | null;
  /** Set when the config was generated from a projects directory. */
  projects_dir: string | null;
}

export function plainPromptTarget(settings: PlainPromptSettings, chatId: number | null): PlainPromptTarget {
  const chosen = defaultProjectFor(chatId, settings.projects, settings.default_project);
  if (chosen !== null) return { kind: "project", alias: chosen };
  if (settings.projects_dir === null) return { kind: "cwd" };
  const aliases = Object.keys(settings.projects).sort();
  const [only] = aliases;
  if (only === undefined) return { kind: "no_projects", projectsDir: settings.projects_dir };
  return aliases.length === 1 ? { kind: "project", alias: only } : { kind: "choose", projects: aliases };
}

/** The project a plain prompt runs in without asking, if there is one. */
export function plainPromptProject(settings: PlainPromptSettings, chatId: number | null): string | null {
  const target = plainPromptTarget(settings, chatId);
  return target.kind === "project" ? target.alias : null;
}
