/**
 * `takopi plugins [--load]`: what plugins are installed, from their manifests
 * alone; `--load` imports each one and reports those that fail.
 */
import type { PluginEntry, PluginProblem } from "../plugins/discover.js";
import type { PluginKind } from "../plugins/manifest.js";
import type { PluginRegistry } from "../plugins/registry.js";
import { loadSetupLeniently, openPlugins } from "./setup.js";

export interface PluginsCommandOptions {
  config?: string;
  load?: boolean;
}

const SECTIONS: readonly [PluginKind, string][] = [
  ["engine", "engine backends:"],
  ["transport", "transport backends:"],
  ["command", "command backends:"],
];

export async function pluginsCommand(options: PluginsCommandOptions): Promise<number> {
  const { setup, problem } = await loadSetupLeniently(options);
  // A broken config must not hide what is installed: list with the defaults and say why.
  if (problem !== null) process.stderr.write(`warning: ${problem.split("\n")[0] ?? problem} (listing without [plugins] settings)\n`);
  const plugins = setup?.plugins ?? (await openPlugins(null));
  if (options.load === true) await plugins.loadAll();
  process.stdout.write(renderPlugins(plugins, options.load === true));
  return 0;
}

export function renderPlugins(plugins: PluginRegistry, loaded: boolean): string {
  const lines: string[] = [];
  const filtered = plugins.catalog.allowlist.length > 0;
  const failed = new Set(plugins.problems().map((problem) => `${problem.kind}:${problem.id}:${problem.packageName}`));
  for (const [kind, title] of SECTIONS) {
    lines.push(title);
    const entries = plugins.entries(kind, { includeDisabled: true });
    if (entries.length === 0) lines.push("  (none)");
    for (const entry of entries) lines.push(`  ${describeEntry(entry, filtered, loaded && failed.has(`${entry.kind}:${entry.id}:${entry.packageName}`))}`);
  }
  const problems = plugins.problems();
  if (problems.length > 0) {
    lines.push("errors:");
    for (const problem of problems) lines.push(`  ${describeProblem(problem)}`);
  }
  return `${lines.join("\n")}\n`;
}

function describeEntry(entry: PluginEntry, filtered: boolean, failed: boolean): string {
  const origin = entry.builtin ? "built-in" : entry.packageVersion ? `${entry.packageName} ${entry.packageVersion}` : entry.packageName;
  let line = `${entry.id} (${origin})`;
  if (filtered && !entry.builtin) line += entry.enabled ? " enabled" : " disabled";
  if (failed) line += " failed to load";
  if (entry.description !== null) line += ` — ${entry.description}`;
  return line;
}

function describeProblem(problem: PluginProblem): string {
  if (problem.kind === null) return `package ${problem.packageName}: ${problem.message}`;
  return `${problem.kind} ${problem.id ?? "?"} (${problem.packageName}): ${problem.message}`;
}
