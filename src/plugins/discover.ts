/**
 * Finds plugins by reading package.json manifests — never by importing code,
 * so `takopi --help`, `takopi plugins` and start-up stay fast and a broken
 * plugin cannot break them.
 *
 * Where packages are looked for:
 * 1. takopi's own package.json: the built-in engines and the Telegram transport
 *    are declared there, exactly like a third-party plugin;
 * 2. packages installed next to takopi: its own `node_modules` (npm workspaces
 *    such as the container overlay are linked there) and, when takopi is itself
 *    installed as a dependency or globally, the `node_modules` it sits in;
 * 3. extra directories from `TAKOPI_PLUGIN_PATH` and `[plugins] paths`: each is
 *    either one package or a directory of packages.
 */
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { basename, delimiter, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { canonicalPackageName, isValidPluginId, PLUGIN_ID_PATTERN, RESERVED_COMMAND_IDS } from "./ids.js";
import { describeManifestError, manifestEntries, ManifestSchema, PLUGIN_API_VERSION, type PluginKind } from "./manifest.js";

/** A plugin that passed the id rules; `enabled` reflects `[plugins] enabled`. */
export interface PluginEntry {
  kind: PluginKind;
  id: string;
  packageName: string;
  packageVersion: string | null;
  /** Real path of the package directory. */
  packageDir: string;
  /** Absolute path of the module whose default export is the backend. */
  modulePath: string;
  description: string | null;
  /** A command whose `started` hook runs when the bridge is up. */
  startup: boolean;
  /** Declared by takopi itself. */
  builtin: boolean;
  enabled: boolean;
}

/** Something wrong with a package or one of its entries; shown by `takopi plugins`. */
export interface PluginProblem {
  kind: PluginKind | null;
  id: string | null;
  packageName: string;
  message: string;
}

export interface PluginCatalog {
  /** Valid entries, enabled or not, sorted by kind order then id. */
  entries: PluginEntry[];
  problems: PluginProblem[];
  /** Canonical package names from `[plugins] enabled`; empty means every package. */
  allowlist: string[];
}

export interface DiscoveryOptions {
  /** Directory of takopi's own package.json (default: the running takopi). */
  takopiRoot?: string;
  /** `[plugins] paths` from the config, already absolute. */
  paths?: readonly string[];
  /** `[plugins] enabled` from the config. */
  enabled?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** The package root of the running takopi, whether it runs from `src/` or `dist/`. */
export function takopiPackageRoot(): string {
  return fileURLToPath(new URL("../../", import.meta.url));
}

interface FoundPackage {
  dir: string;
  builtin: boolean;
}

export async function discoverPlugins(options: DiscoveryOptions = {}): Promise<PluginCatalog> {
  const env = options.env ?? process.env;
  const takopiRoot = resolve(options.takopiRoot ?? takopiPackageRoot());
  const allowlist = [...new Set((options.enabled ?? []).map(canonicalPackageName))];
  const problems: PluginProblem[] = [];

  const extraPaths = [...splitPluginPath(env.TAKOPI_PLUGIN_PATH), ...(options.paths ?? [])];
  const packages = await findPackages(takopiRoot, extraPaths, problems);

  const candidates: PluginEntry[] = [];
  for (const found of packages) {
    candidates.push(...(await readPackageEntries(found, allowlist, problems)));
  }
  const entries = rejectCollisions(candidates, problems);
  entries.sort(compareEntries);
  return { entries, problems: dedupeProblems(problems), allowlist };
}

function splitPluginPath(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(delimiter)
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => resolve(part));
}

async function findPackages(takopiRoot: string, extraPaths: readonly string[], problems: PluginProblem[]): Promise<FoundPackage[]> {
  const seen = new Set<string>();
  const found: FoundPackage[] = [];
  const add = async (dir: string, builtin: boolean): Promise<void> => {
    const real = await realpath(dir).catch(() => null);
    if (real === null || seen.has(real)) return;
    seen.add(real);
    found.push({ dir: real, builtin });
  };

  await add(takopiRoot, true);
  for (const modulesDir of installedModuleDirs(takopiRoot)) {
    for (const dir of await packageDirsIn(modulesDir)) await add(dir, false);
  }
  for (const path of extraPaths) {
    const info = await stat(path).catch(() => null);
    if (!info?.isDirectory()) {
      problems.push({ kind: null, id: null, packageName: path, message: `plugin path ${path} is not a directory` });
      continue;
    }
    if (await fileExists(join(path, "package.json"))) await add(path, false);
    else for (const dir of await packageDirsIn(path)) await add(dir, false);
  }
  return found;
}

/** `node_modules` directories whose packages count as "installed next to takopi". */
function installedModuleDirs(takopiRoot: string): string[] {
  const dirs = [join(takopiRoot, "node_modules")];
  let parent = dirname(takopiRoot);
  // A scoped install (node_modules/@scope/takopi) sits one level deeper.
  if (basename(parent).startsWith("@")) parent = dirname(parent);
  if (basename(parent) === "node_modules") dirs.push(parent);
  return dirs;
}

/** Package directories directly in `dir`, including `@scope/name` ones. */
async function packageDirsIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const dirs: string[] = [];
  for (const name of names.sort()) {
    if (name.startsWith(".")) continue;
    if (name.startsWith("@")) {
      const scoped = await readdir(join(dir, name)).catch(() => [] as string[]);
      for (const inner of scoped.sort()) if (!inner.startsWith(".")) dirs.push(join(dir, name, inner));
    } else {
      dirs.push(join(dir, name));
    }
  }
  return dirs;
}

async function readPackageEntries(found: FoundPackage, allowlist: readonly string[], problems: PluginProblem[]): Promise<PluginEntry[]> {
  const text = await readFile(join(found.dir, "package.json"), "utf8").catch(() => null);
  // Most of node_modules has no manifest; skip those without parsing their JSON.
  if (text === null || !text.includes('"takopi"')) return [];
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch {
    problems.push({ kind: null, id: null, packageName: found.dir, message: "package.json is not valid JSON" });
    return [];
  }
  if (typeof pkg !== "object" || pkg === null) return [];
  const record = pkg as Record<string, unknown>;
  const packageName = typeof record.name === "string" ? record.name : basename(found.dir);
  if (!Object.hasOwn(record, "takopi")) return [];
  // takopi's own dependencies may mention "takopi" in passing; only the field counts.
  const parsed = ManifestSchema.safeParse(record.takopi);
  if (!parsed.success) {
    problems.push({ kind: null, id: null, packageName, message: describeManifestError(parsed.error) });
    return [];
  }
  const manifest = parsed.data;
  if (manifest.apiVersion !== undefined && manifest.apiVersion > PLUGIN_API_VERSION) {
    problems.push({
      kind: null,
      id: null,
      packageName,
      message: `needs plugin API v${manifest.apiVersion}; this takopi provides v${PLUGIN_API_VERSION} (upgrade takopi)`,
    });
    return [];
  }

  const packageVersion = typeof record.version === "string" ? record.version : null;
  const enabled = found.builtin || allowlist.length === 0 || allowlist.includes(canonicalPackageName(packageName));
  const entries: PluginEntry[] = [];
  for (const entry of manifestEntries(manifest)) {
    const problem = (message: string): void => {
      problems.push({ kind: entry.kind, id: entry.id, packageName, message });
    };
    if (!isValidPluginId(entry.id)) {
      problem(`invalid plugin id '${entry.id}'; must match ${PLUGIN_ID_PATTERN.source}`);
      continue;
    }
    if (entry.kind !== "transport" && RESERVED_COMMAND_IDS.includes(entry.id)) {
      problem(`reserved plugin id '${entry.id}' is not allowed`);
      continue;
    }
    const modulePath = resolve(found.dir, entry.module);
    const inside = relative(found.dir, modulePath);
    if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) {
      problem(`module '${entry.module}' is outside the package`);
      continue;
    }
    if (!(await fileExists(modulePath))) {
      problem(`module '${entry.module}' does not exist (is the package built?)`);
      continue;
    }
    entries.push({
      kind: entry.kind,
      id: entry.id,
      packageName,
      packageVersion,
      packageDir: found.dir,
      modulePath,
      description: entry.description,
      startup: entry.startup,
      builtin: found.builtin,
      enabled,
    });
  }
  return entries;
}

/**
 * Engines and commands share the chat's `/id` namespace, transports have their
 * own. Among enabled entries an id must be unique: a plugin that takes a
 * built-in's id is refused (the built-in stays usable); between third-party
 * packages every copy is refused, as upstream does, since neither is "right".
 */
function rejectCollisions(candidates: PluginEntry[], problems: PluginProblem[]): PluginEntry[] {
  const namespace = (entry: PluginEntry): string => (entry.kind === "transport" ? "transport" : "chat");
  const groups = new Map<string, PluginEntry[]>();
  for (const entry of candidates) {
    if (!entry.enabled) continue;
    const key = `${namespace(entry)}:${entry.id}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  const rejected = new Set<PluginEntry>();
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const builtin = group.find((entry) => entry.builtin);
    if (builtin) {
      for (const entry of group) {
        if (entry === builtin) continue;
        rejected.add(entry);
        problems.push({
          kind: entry.kind,
          id: entry.id,
          packageName: entry.packageName,
          message: `plugin id '${entry.id}' is taken by takopi's built-in ${builtin.kind}`,
        });
      }
      continue;
    }
    const owners = group.map((entry) => (group.some((other) => other.kind !== entry.kind) ? `${entry.packageName} (${entry.kind})` : entry.packageName));
    for (const entry of group) {
      rejected.add(entry);
      problems.push({ kind: entry.kind, id: entry.id, packageName: entry.packageName, message: `duplicate plugin id '${entry.id}' from ${[...new Set(owners)].sort().join(", ")}` });
    }
  }
  return candidates.filter((entry) => !rejected.has(entry));
}

const KIND_ORDER: Record<PluginKind, number> = { engine: 0, transport: 1, command: 2 };

function compareEntries(a: PluginEntry, b: PluginEntry): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.id.localeCompare(b.id) || a.packageName.localeCompare(b.packageName) || a.modulePath.localeCompare(b.modulePath);
}

function dedupeProblems(problems: PluginProblem[]): PluginProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.kind}|${problem.id}|${problem.packageName}|${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function fileExists(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => null);
  return info?.isFile() ?? false;
}
