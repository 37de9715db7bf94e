/**
 * What most subcommands do first: find the config, discover plugins (manifests
 * only) and validate the config against the engines that exist.
 */
import { ConfigError } from "../config/errors.js";
import { loadConfigText, readConfigText, resolveConfigPath, type LoadedConfig } from "../config/load.js";
import { discoverPlugins } from "../plugins/discover.js";
import { PluginRegistry } from "../plugins/registry.js";

export interface CliSetup {
  configPath: string;
  config: LoadedConfig;
  plugins: PluginRegistry;
}

/**
 * Loads the config and the plugin registry. The file is read once and
 * validated twice: first to learn `[plugins] paths/enabled`, then against the
 * engine ids those plugins provide (project aliases must not shadow an engine,
 * project default engines must exist). Throws ConfigError for anything the
 * user must fix.
 */
export async function loadSetup(options: { config?: string | undefined }): Promise<CliSetup> {
  const configPath = resolveConfigPath(options.config);
  const text = await readConfigText(configPath);
  const plugins = await openPlugins(loadConfigText(text, configPath));
  const config = loadConfigText(text, configPath, { engineIds: plugins.ids("engine") });
  return { configPath, config, plugins };
}

/** The plugin registry for a config, or for no config (built-ins, installed packages, `TAKOPI_PLUGIN_PATH`). */
export async function openPlugins(config: LoadedConfig | null): Promise<PluginRegistry> {
  const catalog = await discoverPlugins({
    paths: config?.settings.plugins.paths ?? [],
    enabled: config?.settings.plugins.enabled ?? [],
  });
  return new PluginRegistry(catalog);
}

/** Like loadSetup, but a missing or broken config is returned as a reason instead of thrown. */
export async function loadSetupLeniently(options: { config?: string | undefined }): Promise<{ setup: CliSetup | null; configPath: string; problem: string | null }> {
  const configPath = resolveConfigPath(options.config);
  try {
    return { setup: await loadSetup(options), configPath, problem: null };
  } catch (error) {
    if (error instanceof ConfigError) return { setup: null, configPath, problem: error.message };
    throw error;
  }
}
