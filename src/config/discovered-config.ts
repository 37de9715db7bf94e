/**
 * The config a container runs with: its base takopi.toml, the environment
 * variables of its .env, and the projects discover.ts found, as one table
 * for `takopi discover` to write. Precedence, highest first: environment
 * variables (what the deployment sets now), then the base file; projects
 * from the base file keep their aliases (discover.ts works around them).
 */
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { BUILTIN_ENGINE_IDS } from "../plugins/ids.js";
import { expandHome } from "../util/home.js";
import { byCodeUnits, PROJECT_FILE, type ConfiguredProject, type DiscoveryResult } from "./projects-dir.js";
import { ConfigError, describeFoundString } from "./errors.js";
import { parseConfigText } from "./load.js";
import { migrateConfig } from "./migrations.js";
import { TelegramSchema } from "./schema.js";
import { cloneTable, getKey, isTable, setKey, type TomlTable } from "./toml-keys.js";

/**
 * The base config's table, migrated, with relative paths made absolute
 * against its directory (the generated file lives elsewhere). A missing file
 * is `found: false`; an unreadable or invalid one is a ConfigError.
 */
export async function readBaseConfig(path: string): Promise<{ table: TomlTable; found: boolean }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    if (code === "ENOENT") return { table: {}, found: false };
    throw new ConfigError(`${path}: cannot read the base config (${code === "EISDIR" ? "it is a directory" : code})`, { cause: error });
  }
  const table = migrateConfig(parseConfigText(text, path), path).table;
  const baseDir = dirname(path);
  // `~` stays: takopi expands it against the same HOME when it loads the output.
  const absolute = (value: unknown) => (typeof value === "string" && !value.startsWith("~") && !isAbsolute(value) ? resolve(baseDir, value) : value);
  if (isTable(table.projects)) {
    for (const project of Object.values(table.projects)) if (isTable(project)) project.path = absolute(project.path);
  }
  if (isTable(table.plugins) && Array.isArray(table.plugins.paths)) table.plugins.paths = table.plugins.paths.map(absolute);
  return { table, found: true };
}

/** The base config's projects that name a path, with `~` expanded. */
export function configuredProjects(table: TomlTable, home: string): ConfiguredProject[] {
  const projects = isTable(table.projects) ? table.projects : {};
  return Object.entries(projects).flatMap(([alias, project]) =>
    isTable(project) && typeof project.path === "string" ? [{ alias: alias.toLowerCase(), path: resolve(expandHome(project.path, home)) }] : [],
  );
}

/** The environment variables the container is configured with, and the key each sets. */
export const ENV_KEYS = {
  TELEGRAM_BOT_TOKEN: ["transports", "telegram", "bot_token"],
  TELEGRAM_CHAT_ID: ["transports", "telegram", "chat_id"],
  TELEGRAM_API_ROOT: ["transports", "telegram", "api_root"],
  TAKOPI_ALLOWED_USER_IDS: ["transports", "telegram", "allowed_user_ids"],
  TAKOPI_SESSION_MODE: ["transports", "telegram", "session_mode"],
  TAKOPI_DEFAULT_ENGINE: ["default_engine"],
  TAKOPI_DEFAULT_PROJECT: ["default_project"],
} as const satisfies Record<string, readonly string[]>;
type EnvName = keyof typeof ENV_KEYS;

const INTEGER = /^-?\d+$/;

function integer(text: string): number | null {
  const value = INTEGER.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(value) ? value : null;
}

/** Each set variable's value as the config stores it; every bad one is a line of one ConfigError. */
function readEnv(env: NodeJS.ProcessEnv, engineIds: readonly string[]): Map<EnvName, unknown> {
  const values = new Map<EnvName, unknown>();
  const problems: string[] = [];
  for (const name of Object.keys(ENV_KEYS) as EnvName[]) {
    // Compose passes `NAME=` for a variable left empty in .env: that means unset.
    const text = env[name]?.trim() ?? "";
    if (text === "") continue;
    const bad = (expected: string) => problems.push(`${name} must be ${expected}, found ${describeFoundString(text)}`);
    if (name === "TELEGRAM_CHAT_ID") {
      const id = integer(text);
      if (id === null) bad("an integer chat id such as 123456789 or -1001234567890");
      else values.set(name, id);
    } else if (name === "TAKOPI_ALLOWED_USER_IDS") {
      const ids = text.split(/[\s,]+/).filter((part) => part !== "");
      const parsed = ids.map(integer);
      if (parsed.some((id) => id === null)) bad("user ids separated by commas, such as 123456789,987654321");
      else values.set(name, parsed);
    } else if (name === "TAKOPI_DEFAULT_ENGINE") {
      const engine = engineIds.find((id) => id.toLowerCase() === text.toLowerCase());
      if (engine === undefined) bad(`an engine id (available: ${engineIds.join(", ")})`);
      else values.set(name, engine);
    } else if (name === "TAKOPI_SESSION_MODE") {
      const parsed = TelegramSchema.shape.session_mode.safeParse(text);
      if (parsed.success) values.set(name, parsed.data);
      else bad('"stateless" or "chat"');
    } else if (name === "TELEGRAM_API_ROOT") {
      const parsed = TelegramSchema.shape.api_root.safeParse(text);
      if (parsed.success) values.set(name, parsed.data);
      else bad("an http(s) URL such as http://127.0.0.1:8081");
    } else {
      values.set(name, text);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

export interface DiscoveredConfig {
  table: TomlTable;
  /** Settings `takopi run` needs that nothing set, as `VARIABLE (key)`. */
  missing: string[];
  /** Discovered chat ids dropped because another chat has them; base settings for a project that was not found. */
  warnings: string[];
}

export interface BuildConfigInput {
  base: TomlTable;
  discovery: DiscoveryResult;
  env: NodeJS.ProcessEnv;
  engineIds?: readonly string[];
}

/**
 * The alias TAKOPI_DEFAULT_PROJECT names. A directory name is accepted too:
 * it is what a person looking at the projects directory types.
 */
function defaultProject(wanted: string, table: TomlTable, discovery: DiscoveryResult): string {
  const aliases = [...Object.keys(isTable(table.projects) ? table.projects : {}), ...discovery.projects.map((project) => project.alias)];
  const alias = aliases.find((known) => known.toLowerCase() === wanted.toLowerCase());
  const byDirectory = discovery.projects.find((project) => project.directory === wanted);
  const found = alias ?? byDirectory?.alias;
  if (found !== undefined) return found.toLowerCase();
  const known = aliases.length === 0 ? "there are no projects" : `known projects: ${aliases.sort(byCodeUnits).join(", ")}`;
  throw new ConfigError(`TAKOPI_DEFAULT_PROJECT is ${JSON.stringify(wanted)}, which is neither a project alias nor a directory in ${discovery.projectsDir}; ${known}`);
}

/**
 * A project's path as written to the file. The loader trims strings, so a path
 * ending in whitespace (a directory named `app `) gets a trailing `/`, which
 * `resolve` removes again at load time, keeping the space.
 */
function pathForConfig(path: string): string {
  return /\s$/u.test(path) ? `${path}/` : path;
}

/**
 * The config to write: the base table, `transport = "telegram"`, the
 * environment variables over it (they win over the base file: they are what
 * the deployment sets now), and the discovered projects beside the base ones,
 * every project table sorted by alias. A base project table without a path
 * gives its keys (say `[projects.app.codex] approval_policy`) to the
 * discovered project of that alias.
 */
export function buildDiscoveredConfig(input: BuildConfigInput): DiscoveredConfig {
  const engineIds = input.engineIds ?? BUILTIN_ENGINE_IDS;
  const env = readEnv(input.env, engineIds);
  let table = setKey(cloneTable(input.base), ["transport"], "telegram");
  // Marks the config as generated: plain prompts then run in a project (core/plain-prompt.ts).
  table = setKey(table, ["projects_dir"], input.discovery.projectsDir);
  for (const [name, value] of env) table = setKey(table, ENV_KEYS[name], value);

  const { projects } = input.discovery;
  const wantedDefault = env.get("TAKOPI_DEFAULT_PROJECT");
  if (typeof wantedDefault === "string") table = setKey(table, ["default_project"], defaultProject(wantedDefault, table, input.discovery));

  const warnings: string[] = [];
  const baseProjects = isTable(table.projects) ? table.projects : {};
  const chatOwners = new Map<number, string>();
  const mainChat = getKey(table, ENV_KEYS.TELEGRAM_CHAT_ID);
  if (typeof mainChat === "number") chatOwners.set(mainChat, "the main chat (transports.telegram.chat_id)");
  for (const [alias, project] of Object.entries(baseProjects)) {
    if (isTable(project) && typeof project.chat_id === "number") chatOwners.set(project.chat_id, `project ${alias}`);
  }

  // A base table without a path holds settings for the discovered project of that alias (`[projects.app.codex]`: its approvals).
  const merged: Record<string, unknown> = {};
  const settingsFor = new Map<string, { alias: string; table: TomlTable }>();
  for (const [alias, project] of Object.entries(baseProjects)) {
    if (isTable(project) && project.path === undefined) settingsFor.set(alias.toLowerCase(), { alias, table: project });
    else merged[alias] = project;
  }
  for (const project of projects) {
    const base = settingsFor.get(project.alias);
    settingsFor.delete(project.alias);
    const entry: TomlTable = { ...base?.table, path: pathForConfig(project.path) };
    if (project.worktreesDir !== null) entry.worktrees_dir = project.worktreesDir;
    if (project.worktreeBase !== null) entry.worktree_base = project.worktreeBase;
    if (project.defaultEngine !== null) entry.default_engine = project.defaultEngine;
    if (project.chatId !== null) {
      const owner = chatOwners.get(project.chatId);
      if (owner === undefined) {
        entry.chat_id = project.chatId;
        chatOwners.set(project.chatId, `project ${project.alias}`);
      } else {
        warnings.push(`${join(project.path, PROJECT_FILE)}: chat_id ${project.chatId} is already ${owner}; ignored (each project needs a chat of its own)`);
      }
    }
    merged[project.alias] = entry;
  }
  for (const { alias } of settingsFor.values()) {
    warnings.push(`[projects.${alias}] in the base config has no path, and no directory in ${input.discovery.projectsDir} became project ${alias.toLowerCase()}; its settings are ignored`);
  }
  const sorted: Record<string, unknown> = {};
  for (const alias of Object.keys(merged).sort((a, b) => byCodeUnits(a.toLowerCase(), b.toLowerCase()))) sorted[alias] = merged[alias];
  table = setKey(table, ["projects"], sorted);

  const missing: string[] = [];
  for (const name of ["TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID"] as const) {
    const value = getKey(table, ENV_KEYS[name]);
    if (value === undefined || value === "") missing.push(`${name} (${ENV_KEYS[name].join(".")})`);
  }
  return { table, missing, warnings };
}
