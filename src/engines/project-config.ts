/**
 * A project's settings for one engine: `[projects.<alias>.<id>]` in
 * takopi.toml, holding keys of the engine's `[<id>]` table that its backend
 * lets a project set for its own runs (`EngineBackend.projectKeys`: codex
 * `approval_policy`, claude `permission_mode` …). Each becomes the whole
 * config that project's runs use — the engine table with the project's keys
 * over it, validated by the backend's schema, so a value is checked with the
 * same rules and words as in `[<id>]`. Runs carry it in `RunOptions.config`.
 *
 * Only takopi.toml sets these, never a project's own `.takopi.toml`: an
 * agent can write files in its project, and must not loosen its own approvals.
 */
import type { LoadedConfig } from "../config/load.js";
import { isTable, type TomlTable } from "../config/toml-keys.js";
import type { EngineBackend } from "./backend.js";

/** Lower-cased project alias → the config its runs of this engine use. */
export type ProjectConfigs = Readonly<Record<string, unknown>>;

export type ProjectConfigsResult = { ok: true; configs: ProjectConfigs } | { ok: false; detail: string; fix: string };

/** Every `[projects.<alias>.<id>]` of `backend`, checked and merged over `engineTable` (its valid `[<id>]`). */
export function projectConfigs(config: LoadedConfig, backend: Pick<EngineBackend, "id" | "configSchema" | "projectKeys">, engineTable: TomlTable): ProjectConfigsResult {
  const id = backend.id;
  const configs: Record<string, unknown> = {};
  const projects = isTable(config.raw.projects) ? config.raw.projects : {};
  const settable = backend.projectKeys ?? [];
  for (const [alias, project] of Object.entries(projects)) {
    if (!isTable(project) || project[id] === undefined) continue;
    const where = ["projects", alias, id];
    const fix = `fix the [${where.join(".")}] table in ${config.path}`;
    const table = project[id];
    if (!isTable(table)) return { ok: false, detail: `\`${where.join(".")}\`: expected a table of ${id} settings for project ${alias}`, fix };
    const refused = Object.keys(table).find((key) => !settable.includes(key));
    if (refused !== undefined) {
      const allowed = settable.length === 0 ? `${id} takes no settings per project` : `a project may set: ${settable.join(", ")}; the rest goes in [${id}]`;
      return { ok: false, detail: `\`${[...where, refused].join(".")}\` cannot be set per project (${allowed})`, fix };
    }
    const parsed = backend.configSchema.safeParse({ ...engineTable, ...table });
    if (!parsed.success) return { ok: false, detail: describeIssue(where, parsed.error.issues[0]), fix };
    configs[alias.toLowerCase()] = parsed.data;
  }
  return { ok: true, configs };
}

/** One schema issue as `` `<where>.<key>`: why ``. */
export function describeIssue(where: readonly string[], issue: { path: PropertyKey[]; message: string } | undefined): string {
  const key = [...where, ...(issue?.path ?? []).map(String)].join(".");
  return `\`${key}\`: ${issue?.message ?? "invalid"}`;
}
