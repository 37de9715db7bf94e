/**
 * Can an engine run here? Loaded, its `[<id>]` table valid, its CLI on PATH
 * (upstream's ok / bad_config / missing_cli / load_error). Start-up refuses to
 * run without a usable default engine; other engines are listed with the reason.
 */
import { engineConfig, type LoadedConfig } from "../config/load.js";
import type { PluginRegistry } from "../plugins/registry.js";
import { errorMessage } from "../util/errors.js";
import { findExecutable } from "./which.js";
import type { EngineBackend } from "./backend.js";

export type EngineStatus =
  | { id: string; status: "ok"; backend: EngineBackend; config: unknown; executable: string }
  | { id: string; status: "missing_cli"; backend: EngineBackend; config: unknown; detail: string; fix: string }
  | { id: string; status: "bad_config"; backend: EngineBackend; detail: string; fix: string }
  | { id: string; status: "load_error"; detail: string; fix: string };

export async function checkEngine(plugins: PluginRegistry, config: LoadedConfig, id: string, env: NodeJS.ProcessEnv = process.env): Promise<EngineStatus> {
  const loaded = await plugins.tryLoad("engine", id);
  if (!loaded.ok) return { id, status: "load_error", detail: loaded.error, fix: "run `takopi plugins --load` for details" };
  const backend = loaded.backend;

  let table: Record<string, unknown>;
  try {
    table = engineConfig(config, id);
  } catch (error) {
    return { id, status: "bad_config", backend, detail: errorMessage(error), fix: `fix the [${id}] table in ${config.path}` };
  }
  const parsed = backend.configSchema.safeParse(table);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = [id, ...(issue?.path ?? []).map(String)].join(".");
    return { id, status: "bad_config", backend, detail: `\`${key}\`: ${issue?.message ?? "invalid"}`, fix: `fix the [${id}] table in ${config.path}` };
  }

  const executable = await findExecutable(backend.cliCommand, env);
  if (executable === null) {
    return { id, status: "missing_cli", backend, config: parsed.data, detail: `${backend.cliCommand} not found on PATH`, fix: backend.installHint };
  }
  return { id, status: "ok", backend, config: parsed.data, executable };
}

/** Engines the config names: the default, project defaults, and those with a `[<id>]` table. */
export function configuredEngineIds(config: LoadedConfig, engineIds: readonly string[], defaultEngine: string): string[] {
  const configured = new Set<string>([defaultEngine]);
  for (const project of Object.values(config.settings.projects)) {
    if (project.default_engine !== null) configured.add(project.default_engine);
  }
  for (const id of engineIds) if (Object.hasOwn(config.raw, id)) configured.add(id);
  return [...configured].sort();
}
