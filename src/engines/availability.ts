/**
 * Can an engine run here? Loaded, its `[<id>]` table valid, its CLI on PATH
 * (upstream's ok / bad_config / missing_cli / load_error). Start-up refuses to
 * run without a usable default engine; other engines are listed with the reason.
 */
import { engineConfig, type LoadedConfig } from "../config/load.js";
import { isTable } from "../config/toml-keys.js";
import type { PluginRegistry } from "../plugins/registry.js";
import { errorMessage } from "../util/errors.js";
import { findExecutable } from "./which.js";
import type { EngineBackend } from "./backend.js";
import { EngineEnvSchema, engineEnvProblem, type EngineEnvSettings } from "./env.js";
import { describeIssue, projectConfigs, type ProjectConfigs } from "./project-config.js";

export type EngineStatus =
  | { id: string; status: "ok"; backend: EngineBackend; config: unknown; projects: ProjectConfigs; env: EngineEnvSettings; executable: string }
  | { id: string; status: "missing_cli"; backend: EngineBackend; config: unknown; projects: ProjectConfigs; env: EngineEnvSettings; detail: string; fix: string }
  | { id: string; status: "bad_config"; backend: EngineBackend; detail: string; fix: string }
  | { id: string; status: "load_error"; detail: string; fix: string };

export async function checkEngine(plugins: PluginRegistry, config: LoadedConfig, id: string, env: NodeJS.ProcessEnv = process.env): Promise<EngineStatus> {
  const loaded = await plugins.tryLoad("engine", id);
  if (!loaded.ok) return { id, status: "load_error", detail: loaded.error, fix: "run `takopi plugins --load` for details" };
  const backend = loaded.backend;

  const fix = `fix the [${id}] table in ${config.path}`;
  let table: Record<string, unknown>;
  try {
    table = engineConfig(config, id);
  } catch (error) {
    return { id, status: "bad_config", backend, detail: errorMessage(error), fix };
  }
  const parsed = backend.configSchema.safeParse(table);
  if (!parsed.success) return { id, status: "bad_config", backend, detail: describeIssue([id], parsed.error.issues[0]), fix };
  // takopi's own keys of every engine table (env, env_allow, env_deny); the backend's schema strips them.
  const envParsed = EngineEnvSchema.safeParse(table);
  if (!envParsed.success) return { id, status: "bad_config", backend, detail: describeIssue([id], envParsed.error.issues[0]), fix };
  const envProblem = engineEnvProblem(id, envParsed.data, config.settings.transports.telegram?.bot_token ?? null);
  if (envProblem !== null) return { id, status: "bad_config", backend, detail: envProblem, fix };
  const perProject = projectConfigs(config, backend, table);
  if (!perProject.ok) return { id, status: "bad_config", backend, detail: perProject.detail, fix: perProject.fix };
  const projects = perProject.configs;

  const executable = await findExecutable(backend.cliCommand, env);
  if (executable === null) {
    return { id, status: "missing_cli", backend, config: parsed.data, projects, env: envParsed.data, detail: `${backend.cliCommand} not found on PATH`, fix: backend.installHint };
  }
  return { id, status: "ok", backend, config: parsed.data, projects, env: envParsed.data, executable };
}

/** Engines the config names: the default, project defaults, and those with a `[<id>]` or `[projects.<alias>.<id>]` table. */
export function configuredEngineIds(config: LoadedConfig, engineIds: readonly string[], defaultEngine: string): string[] {
  const configured = new Set<string>([defaultEngine]);
  for (const project of Object.values(config.settings.projects)) {
    if (project.default_engine !== null) configured.add(project.default_engine);
  }
  const projects = isTable(config.raw.projects) ? Object.values(config.raw.projects) : [];
  for (const id of engineIds) {
    if (Object.hasOwn(config.raw, id) || projects.some((project) => isTable(project) && Object.hasOwn(project, id))) configured.add(id);
  }
  return [...configured].sort();
}
