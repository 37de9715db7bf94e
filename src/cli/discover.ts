/**
 * `takopi discover --projects-dir DIR [--base FILE] --out FILE`: the
 * container entrypoint's step before `takopi run`. It writes the config the
 * bridge will read: the base file, the environment variables and every
 * project directory (config/projects-dir.ts, config/discovered-config.ts), and
 * says on stdout what it found, renamed and skipped.
 *
 * Exit status: 0 the file was written (possibly still missing the token or
 * chat id, which the summary says); 1 nothing was written; 2 a wrong invocation.
 */
import { homedir } from "node:os";
import { resolve } from "node:path";
import { stringify } from "smol-toml";
import { discoverProjects, type DiscoveredProject, type DiscoveryResult } from "../config/projects-dir.js";
import { buildDiscoveredConfig, configuredProjects, readBaseConfig } from "../config/discovered-config.js";
import { ConfigError } from "../config/errors.js";
import { loadConfigText } from "../config/load.js";
import { unknownKeyWarnings } from "../config/unknown-keys.js";
import { writeConfig } from "../config/save.js";
import { PluginsSchema } from "../config/schema.js";
import { isTable, type TomlTable } from "../config/toml-keys.js";
import { discoverPlugins } from "../plugins/discover.js";
import { BUILTIN_ENGINE_IDS } from "../plugins/ids.js";
import { PluginRegistry } from "../plugins/registry.js";
import { jsonLine, printToStderr } from "../logging/print.js";
import { logFormat } from "../logging/settings.js";
import { expandHome } from "../util/home.js";
import { UsageError } from "./errors.js";

export interface DiscoverCommandOptions {
  projectsDir: string;
  base?: string;
  out: string;
}

const NOTHING_WRITTEN = 1;

export async function discoverCommand(options: DiscoverCommandOptions): Promise<number> {
  const env = process.env;
  const home = env.HOME !== undefined && env.HOME !== "" ? env.HOME : homedir();
  const absolute = (path: string) => resolve(expandHome(path, home));
  const outPath = absolute(options.out);
  const basePath = options.base === undefined ? null : absolute(options.base);
  if (basePath === outPath) {
    throw new UsageError(`--base and --out are both ${outPath}; the output is regenerated from the base at every start, so they must differ`);
  }

  try {
    const base = basePath === null ? { table: {}, found: false } : await readBaseConfig(basePath);
    if (basePath !== null && !base.found) {
      const note = `base config ${basePath} does not exist; starting from an empty one`;
      printToStderr({ level: "info", text: `note: ${note}`, msg: note, fields: { event: "discover.no_base" } });
    }
    const plugins = await pluginIds(base.table);
    const discovery = await discoverProjects({
      projectsDir: absolute(options.projectsDir),
      engineIds: plugins.engines,
      commandIds: plugins.commands,
      configured: configuredProjects(base.table, home),
    });
    const built = buildDiscoveredConfig({ base: base.table, discovery, env, engineIds: plugins.engines });
    // The bridge's own loader has the last word; only "token or chat id not set yet" may pass.
    try {
      loadConfigText(stringify(built.table), outPath, { env: { HOME: home }, engineIds: plugins.engines });
    } catch (error) {
      if (!(error instanceof ConfigError) || !error.incomplete) throw error;
    }
    await writeConfig(outPath, built.table);

    const baseWarnings = basePath === null ? [] : unknownKeyWarnings(base.table, basePath, plugins.engines).map((warning) => warning.text);
    for (const warning of [...baseWarnings, ...discovery.warnings, ...built.warnings]) {
      printToStderr({ level: "warn", text: `warning: ${warning}`, msg: warning, fields: { event: "discover.warning" } });
    }
    // With TAKOPI_LOG_FORMAT=json (the container's log shippers) the report is JSON lines too.
    process.stdout.write(logFormat() === "json" ? jsonSummary(discovery, built.table, built.missing, outPath) : summary(discovery, built.table, built.missing, outPath));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, NOTHING_WRITTEN);
    throw error;
  }
}

/** Engines and command plugins installed, from manifests only (nothing imported). */
async function pluginIds(base: TomlTable): Promise<{ engines: string[]; commands: string[] }> {
  try {
    const settings = PluginsSchema.safeParse(base.plugins ?? {});
    const catalog = await discoverPlugins(settings.success ? { paths: settings.data.paths, enabled: settings.data.enabled } : {});
    const registry = new PluginRegistry(catalog);
    return { engines: registry.ids("engine"), commands: registry.ids("command") };
  } catch {
    return { engines: [...BUILTIN_ENGINE_IDS], commands: [] };
  }
}

/** A directory name as printed: quoted when it has control characters or edge whitespace. */
function shown(name: string): string {
  return /[\p{Cc}\p{Cf}]/u.test(name) || name.trim() !== name || name === "" ? JSON.stringify(name) : name;
}

function projectLine(project: DiscoveredProject, width: number, defaultEngine: string): string {
  const engine = project.defaultEngine ?? `${defaultEngine} (default)`;
  const notes = [`engine ${engine}`, project.isGitRepo ? "git" : "not a git repository", ...(project.viaSymlink ? ["symlink"] : [])];
  return `  ${project.alias.padEnd(width)} ← ${shown(project.directory)}: ${notes.join(", ")}`;
}

/** The summary as JSON lines: one with what was found and written, one more when the config is not ready yet. */
function jsonSummary(discovery: DiscoveryResult, table: TomlTable, missing: readonly string[], outPath: string): string {
  const { projects } = discovery;
  const defaultEngine = typeof table.default_engine === "string" ? table.default_engine : "codex";
  const discovered = new Set(projects.map((project) => project.alias));
  const fromBase = Object.keys(isTable(table.projects) ? table.projects : {}).filter((alias) => !discovered.has(alias));
  const fields = {
    event: "discover.written",
    projects_dir: discovery.projectsDir,
    config: outPath,
    projects: projects.map((project) => ({
      alias: project.alias,
      directory: project.directory,
      engine: project.defaultEngine ?? defaultEngine,
      git: project.isGitRepo,
      ...(project.viaSymlink ? { symlink: true } : {}),
    })),
    ...(fromBase.length > 0 ? { from_base: fromBase } : {}),
    ...(discovery.renamed.length > 0 ? { renamed: discovery.renamed } : {}),
    ...(discovery.skipped.length > 0 ? { skipped: discovery.skipped } : {}),
    ...(typeof table.default_project === "string" ? { default_project: table.default_project } : {}),
  };
  const count = `${projects.length} project${projects.length === 1 ? "" : "s"}`;
  let lines = jsonLine("info", `${count} in ${discovery.projectsDir}; wrote ${outPath}`, fields);
  if (missing.length > 0) lines += jsonLine("warn", `not ready for takopi run yet; still to set: ${missing.join(", ")}`, { event: "discover.incomplete", missing });
  return lines;
}

function summary(discovery: DiscoveryResult, table: TomlTable, missing: readonly string[], outPath: string): string {
  const lines: string[] = [];
  const { projects } = discovery;
  const defaultEngine = typeof table.default_engine === "string" ? table.default_engine : "codex";
  const count = `${projects.length} project${projects.length === 1 ? "" : "s"}`;
  lines.push(`${count} in ${discovery.projectsDir}${projects.length === 0 ? "" : ":"}`);
  const width = Math.max(0, ...projects.map((project) => project.alias.length));
  for (const project of projects) lines.push(projectLine(project, width, defaultEngine));

  const discovered = new Set(projects.map((project) => project.alias));
  const fromBase = Object.keys(isTable(table.projects) ? table.projects : {}).filter((alias) => !discovered.has(alias));
  if (fromBase.length > 0) lines.push(`from the base config: ${fromBase.join(", ")}`);
  if (discovery.renamed.length > 0) {
    lines.push("renamed:");
    for (const rename of discovery.renamed) {
      const from = rename.wanted === null ? "" : ` (not ${rename.wanted})`;
      lines.push(`  ${shown(rename.directory)} → ${rename.alias}${from}: ${rename.reason}`);
    }
  }
  if (discovery.skipped.length > 0) {
    lines.push("skipped:");
    for (const skip of discovery.skipped) lines.push(`  ${shown(skip.name)}: ${skip.reason}`);
  }
  if (typeof table.default_project === "string") lines.push(`default project: ${table.default_project}`);
  lines.push(`wrote ${outPath}`);
  if (missing.length > 0) lines.push(`not ready for takopi run yet; still to set: ${missing.join(", ")}`);
  return `${lines.join("\n")}\n`;
}
