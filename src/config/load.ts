/**
 * Reading takopi.toml: find it, parse it, migrate it in memory,
 * apply `TAKOPI__*` overrides, validate it. Every mistake a person can make in
 * the file becomes a ConfigError whose lines name the file, the key, what was
 * expected and what was found; keys we do not know are warnings, not errors.
 */
import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse, stringify, TomlError } from "smol-toml";
import type * as z from "zod";
import { BUILTIN_ENGINE_IDS, PLUGIN_ID_PATTERN, RESERVED_CHAT_COMMAND_IDS } from "../plugins/ids.js";
import { ConfigError, describeValue, formatKeyPath } from "./errors.js";
import { MIGRATION_SUMMARIES, migrateConfig } from "./migrations.js";
import { expandHome } from "../util/home.js";
import {
  LEGACY_TOP_LEVEL_KEYS,
  resolveSettingPaths,
  SettingsSchema,
  type Settings,
  type TelegramSettings,
} from "./schema.js";
import { isTable, parseTomlLiteral, setKey, type TomlTable } from "./toml-keys.js";
import { unknownKeyWarnings } from "./unknown-keys.js";

export interface LoadedConfig {
  /** Absolute path of the file. */
  path: string;
  /** The table that was validated: the file after migrations and `TAKOPI__*` overrides. Engine and plugin tables are read from here. */
  raw: TomlTable;
  settings: Settings;
  /** Things worth telling the user that did not stop the load: unknown keys, in-memory migrations. */
  warnings: string[];
}

export interface LoadOptions {
  /** Source of `TAKOPI__*` overrides and of `HOME`; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Engines that exist (built-in and plugins); enables the checks that need them. */
  engineIds?: readonly string[];
}

const ENV_PREFIX = "TAKOPI__";

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME !== undefined && env.HOME !== "" ? env.HOME : homedir();
}

/** `--config PATH`, else `TAKOPI_CONFIG`, else `~/.takopi/takopi.toml`; absolute, `~` expanded. */
export function resolveConfigPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = homeOf(env);
  const chosen = explicit !== undefined && explicit.trim() !== "" ? explicit.trim() : env.TAKOPI_CONFIG?.trim();
  if (chosen !== undefined && chosen !== "") return resolve(expandHome(chosen, home));
  return join(home, ".takopi", "takopi.toml");
}

/** What to tell someone who has no config yet: the smallest file that works, and the commands that write it. */
export function missingConfigMessage(path: string): string {
  const example = stringify({ transports: { telegram: { bot_token: "123456789:ABC-your-bot-token", chat_id: 123456789 } } });
  const indented = example
    .trimEnd()
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
  return (
    `Missing config file ${path}. Create it with your bot's token (from @BotFather) and your chat id:\n\n${indented}\n\n` +
    "or run `takopi config set transports.telegram.bot_token <token>` and `takopi config set transports.telegram.chat_id <id>`."
  );
}

/** The file's text; a missing file, a directory or an unreadable file is a ConfigError. */
export async function readConfigText(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ConfigError(`Config path ${path} exists but is not a file.`);
    return await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ConfigError(missingConfigMessage(path), { cause: error });
    if (code === "EACCES" || code === "EPERM") throw new ConfigError(`${path}: cannot read the config file (permission denied).`, { cause: error });
    throw new ConfigError(`${path}: cannot read the config file (${code ?? String(error)}).`, { cause: error });
  }
}

/** The likely mistake behind smol-toml's terser complaints (as worded in smol-toml 1.9). */
const TOML_HINTS: Readonly<Record<string, string>> = {
  "invalid value": 'text values need quotes, e.g. default_engine = "claude"',
  "control characters are not allowed in strings": "is a closing quote missing?",
};

/** TOML text → table; a syntax error names `<path>:<line>:<column>`. */
export function parseConfigText(text: string, path: string): TomlTable {
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.replace(/^Invalid TOML document: /, "").split("\n")[0] ?? "syntax error";
      const hint = TOML_HINTS[reason];
      throw new ConfigError(`${path}:${error.line}:${error.column}: invalid TOML: ${reason}${hint === undefined ? "" : ` (${hint})`}`, { cause: error });
    }
    throw error;
  }
}

/**
 * `TAKOPI__A__B=value` sets `a.b` (segments lower-cased). The value is read as
 * a TOML literal (`42`, `true`, `["x"]`), else taken as a plain string.
 */
export function applyEnvOverrides(table: TomlTable, env: NodeJS.ProcessEnv, path: string): { table: TomlTable; warnings: string[] } {
  let current = table;
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const segments = name.slice(ENV_PREFIX.length).toLowerCase().split("__");
    if (segments.some((segment) => !/^[a-z0-9_-]+$/.test(segment))) {
      warnings.push(`ignoring environment variable ${name}: use TAKOPI__ then keys separated by __, e.g. TAKOPI__TRANSPORTS__TELEGRAM__CHAT_ID`);
      continue;
    }
    try {
      current = setKey(current, segments, parseTomlLiteral(value));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(`${path}: environment variable ${name} cannot be applied: ${error.message}`, { cause: error });
    }
  }
  return { table: current, warnings };
}

interface Problem {
  text: string;
  /** A required key that is not set, rather than a wrong value. */
  missing: boolean;
}

const EXPECTED_TYPES: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "an array",
  object: "a table",
  record: "a table",
};

function describeIssue(issue: z.core.$ZodIssue): Problem {
  const key = `\`${formatKeyPath(issue.path)}\``;
  const input = (issue as { input?: unknown }).input;
  const params = (issue as { params?: { expected?: unknown } }).params;
  const custom = typeof params?.expected === "string" ? params.expected : undefined;
  const problem = (expected: string): Problem =>
    input === undefined
      ? { text: `${key} is missing (expected ${expected})`, missing: true }
      : { text: `${key} must be ${expected}, found ${describeValue(input, { key: issue.path })}`, missing: false };
  switch (issue.code) {
    case "invalid_type":
      return problem(custom ?? EXPECTED_TYPES[issue.expected] ?? issue.expected);
    case "custom":
      return problem(custom ?? "a valid value");
    case "invalid_value":
      return problem(`one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`);
    case "too_small": {
      if (issue.origin === "string") return problem("a non-empty string");
      if (issue.origin === "array") return problem("a non-empty array");
      return problem(`a number ${issue.inclusive === false ? ">" : ">="} ${String(issue.minimum)}`);
    }
    case "too_big":
      return problem(`a number ${issue.inclusive === false ? "<" : "<="} ${String(issue.maximum)}`);
    default:
      return { text: `${key} is invalid: ${issue.message}`, missing: false };
  }
}

export interface ValidatedConfig {
  settings: Settings;
  /**
   * The schema's view of the file before paths are resolved: defaults filled
   * in, values coerced and trimmed. `takopi config set` writes a key's value
   * from here (so `chat_id = "123"` is saved as `123`).
   */
  normalized: Settings;
  warnings: string[];
}

/** Checks that need the table as written: keys the schema would strip or merge. */
function checkRawTable(table: TomlTable): Problem[] {
  const problems: Problem[] = [];
  if (LEGACY_TOP_LEVEL_KEYS.some((key) => Object.hasOwn(table, key))) {
    problems.push({ text: 'Move bot_token/chat_id under [transports.telegram] and set transport = "telegram".', missing: false });
  }
  const transport = table.transport === undefined ? "telegram" : typeof table.transport === "string" ? table.transport.trim() : null;
  const transports = table.transports;
  if (transport === "telegram" && (transports === undefined || (isTable(transports) && transports.telegram === undefined))) {
    problems.push({
      text: `missing [transports.telegram] (transport is "telegram"); add that table with your bot_token and chat_id`,
      missing: true,
    });
  }
  if (isTable(table.projects)) {
    const seen = new Map<string, string>();
    for (const alias of Object.keys(table.projects)) {
      const other = seen.get(alias.toLowerCase());
      if (other !== undefined) {
        problems.push({ text: `[projects.${other}] and [projects.${alias}] are the same project (aliases ignore case); keep one`, missing: false });
      }
      seen.set(alias.toLowerCase(), alias);
    }
  }
  return problems;
}

/** Checks across keys, on the parsed settings. Normalizes project engines in place. */
function checkSettings(settings: Settings, path: string, engineIds: readonly string[] | undefined, warnings: string[]): Problem[] {
  const problems: Problem[] = [];
  const invalid = (text: string) => problems.push({ text, missing: false });
  const aliases = Object.keys(settings.projects).sort();
  const engines = engineIds ?? BUILTIN_ENGINE_IDS;

  if (settings.default_project !== null && !aliases.includes(settings.default_project)) {
    const known = aliases.length === 0 ? "no projects are configured" : `known projects: ${aliases.join(", ")}`;
    invalid(`\`default_project\` is "${settings.default_project}" but there is no [projects.${settings.default_project}]; ${known}`);
  }

  const mainChat = settings.transports.telegram?.chat_id;
  const chatOwners = new Map<number, string>();
  for (const alias of aliases) {
    const project = settings.projects[alias];
    if (project === undefined) continue;
    if (RESERVED_CHAT_COMMAND_IDS.includes(alias)) {
      invalid(`project alias \`${alias}\` is a built-in chat command (/${alias}); rename [projects.${alias}]`);
    } else if (engines.includes(alias)) {
      invalid(`project alias \`${alias}\` is also an engine id (/${alias} selects that engine); rename [projects.${alias}]`);
    } else if (!PLUGIN_ID_PATTERN.test(alias)) {
      warnings.push(
        `project alias \`${alias}\` in ${path} is not a valid Telegram command name (a-z, 0-9 and _, at most 32), ` +
          `so it gets no entry in the bot's command menu; typing /${alias} still selects it`,
      );
    }

    if (project.default_engine !== null) {
      const wanted = project.default_engine.toLowerCase();
      if (engineIds === undefined) {
        project.default_engine = wanted;
      } else {
        const match = engineIds.find((id) => id.toLowerCase() === wanted);
        if (match === undefined) {
          invalid(`\`projects.${alias}.default_engine\` is "${project.default_engine}", which is not an engine; available: ${[...engineIds].sort().join(", ")}`);
        } else {
          project.default_engine = match;
        }
      }
    }

    if (project.chat_id !== null) {
      if (project.chat_id === mainChat) {
        invalid(`\`projects.${alias}.chat_id\` ${project.chat_id} is the main chat (transports.telegram.chat_id); a project needs a chat of its own`);
      }
      const owner = chatOwners.get(project.chat_id);
      if (owner !== undefined) invalid(`\`projects.${alias}.chat_id\` ${project.chat_id} is already the chat of project ${owner}; each project needs its own chat`);
      else chatOwners.set(project.chat_id, alias);
    }
  }
  return problems;
}

/**
 * Validates a migrated table. Throws one ConfigError listing every problem
 * (each line `<path>: …`); its `missing` lists those that are merely
 * required keys not set yet.
 */
export function validateConfig(table: TomlTable, path: string, options: { engineIds?: readonly string[]; home?: string } = {}): ValidatedConfig {
  const warnings = unknownKeyWarnings(table, path, options.engineIds).map((warning) => warning.text);
  const problems = checkRawTable(table);
  const result = SettingsSchema.safeParse(table, { reportInput: true });
  if (!result.success) problems.push(...result.error.issues.map(describeIssue));
  if (result.success) problems.push(...checkSettings(result.data, path, options.engineIds, warnings));
  if (problems.length > 0 || !result.success) {
    const line = (problem: Problem) => `${path}: ${problem.text}`;
    throw new ConfigError(problems.map(line), { missing: problems.filter((problem) => problem.missing).map(line) });
  }
  for (const [alias] of Object.entries(isTable(table.plugins) ? table.plugins : {}).filter(([, value]) => isTable(value))) {
    if (!PLUGIN_ID_PATTERN.test(alias)) {
      warnings.push(`[plugins.${alias}] in ${path} is not a valid plugin id (a-z, 0-9 and _, at most 32), so no plugin will read it`);
    }
  }
  const settings = resolveSettingPaths(result.data, { configDir: dirname(path), ...(options.home === undefined ? {} : { home: options.home }) });
  return { settings, normalized: result.data, warnings };
}

/** The whole pipeline on text already read: parse, migrate, override, validate. */
export function loadConfigText(text: string, path: string, options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const parsed = parseConfigText(text, path);
  const migrated = migrateConfig(parsed, path);
  const warnings = migrated.applied.map(
    (id) =>
      `${path} uses an old layout, read with migration ${id} (${MIGRATION_SUMMARIES[id] ?? id}); ` +
      "the file was not changed (any `takopi config set` rewrites it in the new form)",
  );
  const overridden = applyEnvOverrides(migrated.table, env, path);
  warnings.push(...overridden.warnings);
  const validated = validateConfig(overridden.table, path, {
    home: homeOf(env),
    ...(options.engineIds === undefined ? {} : { engineIds: options.engineIds }),
  });
  warnings.push(...validated.warnings);
  return { path, raw: overridden.table, settings: validated.settings, warnings };
}

/** Reads and validates the config at `path` (see `resolveConfigPath`). Every user mistake is a ConfigError. */
export async function loadConfig(path: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  const absolute = resolve(path);
  return loadConfigText(await readConfigText(absolute), absolute, options);
}

/** `[<engine id>]`, or `{}` when absent. */
export function engineConfig(loaded: LoadedConfig, id: string): TomlTable {
  const value = loaded.raw[id];
  if (value === undefined) return {};
  if (!isTable(value)) throw new ConfigError(`Invalid \`${id}\` config in ${loaded.path}; expected a table.`);
  return value;
}

/** `[plugins.<id>]` (a command plugin's `plugin_config`), or `{}` when absent. */
export function pluginConfig(loaded: LoadedConfig, id: string): TomlTable {
  const plugins = loaded.raw.plugins;
  const value = isTable(plugins) ? plugins[id] : undefined;
  if (value === undefined) return {};
  if (!isTable(value)) throw new ConfigError(`Invalid \`plugins.${id}\` in ${loaded.path}; expected a table.`);
  return value;
}

/** `[transports.<id>]`: the validated settings for telegram (which must be present), the raw table (or `{}`) for others. */
export function transportConfig(loaded: LoadedConfig, id: "telegram"): TelegramSettings;
export function transportConfig(loaded: LoadedConfig, id: string): TelegramSettings | TomlTable;
export function transportConfig(loaded: LoadedConfig, id: string): TelegramSettings | TomlTable {
  if (id === "telegram") {
    const telegram = loaded.settings.transports.telegram;
    if (telegram === undefined) {
      throw new ConfigError(`Missing [transports.telegram] in ${loaded.path}; add that table with your bot_token and chat_id.`);
    }
    return telegram;
  }
  const transports = loaded.raw.transports;
  const value = isTable(transports) ? transports[id] : undefined;
  return isTable(value) ? value : {};
}
