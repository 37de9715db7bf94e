/**
 * Rewrites of older takopi.toml layouts into the current one.
 *
 * Unlike upstream, loading never writes the result back: the user's comments
 * and layout would be lost, and an upstream config must load unchanged. The
 * loader applies these in memory and warns; `takopi config set/unset`, which
 * rewrite the file anyway, persist the migrated form.
 */
import { ConfigError, describeValue } from "./errors.js";
import { cloneTable, isTable, type TomlTable } from "./toml-keys.js";

export interface MigrationResult {
  table: TomlTable;
  /** Ids of the migrations that changed something, in the order applied. */
  applied: string[];
}

/** What each migration does, for the warning that names it. */
export const MIGRATION_SUMMARIES: Readonly<Record<string, string>> = {
  "legacy-telegram": "top-level bot_token/chat_id are read as [transports.telegram]",
  "topics-scope": "transports.telegram.topics.mode is read as topics.scope",
};

function expectTable(value: unknown, key: string, configPath: string): TomlTable | undefined {
  if (value === undefined) return undefined;
  if (!isTable(value)) throw new ConfigError(`${configPath}: \`${key}\` must be a table, found ${describeValue(value)}`);
  return value;
}

/**
 * `legacy-telegram`: takopi before transports kept `bot_token` and `chat_id` at
 * the top level. Move them into `[transports.telegram]` (values already there
 * win) and make the transport explicit.
 */
export function migrateLegacyTelegram(table: TomlTable, configPath: string): MigrationResult {
  if (!Object.hasOwn(table, "bot_token") && !Object.hasOwn(table, "chat_id")) return { table, applied: [] };
  const next = cloneTable(table);
  const transports = expectTable(next.transports, "transports", configPath) ?? {};
  const telegram = expectTable(transports.telegram, "transports.telegram", configPath) ?? {};
  for (const key of ["bot_token", "chat_id"]) {
    if (Object.hasOwn(next, key) && !Object.hasOwn(telegram, key)) telegram[key] = next[key];
    Reflect.deleteProperty(next, key);
  }
  transports.telegram = telegram;
  next.transports = transports;
  if (!Object.hasOwn(next, "transport")) next.transport = "telegram";
  return { table: next, applied: ["legacy-telegram"] };
}

const TOPIC_MODES: Readonly<Record<string, string>> = { multi_project_chat: "main", per_project_chat: "projects" };

/**
 * `topics-scope`: `topics.mode` (multi_project_chat / per_project_chat) became
 * `topics.scope` (main / projects). When both are present, `scope` wins.
 */
export function migrateTopicsScope(table: TomlTable, configPath: string): MigrationResult {
  const transports = expectTable(table.transports, "transports", configPath);
  const telegram = expectTable(transports?.telegram, "transports.telegram", configPath);
  const topics = expectTable(telegram?.topics, "transports.telegram.topics", configPath);
  if (topics === undefined || !Object.hasOwn(topics, "mode")) return { table, applied: [] };

  const next = cloneTable(table);
  const nextTopics = ((next.transports as TomlTable).telegram as TomlTable).topics as TomlTable;
  if (!Object.hasOwn(nextTopics, "scope")) {
    const mode = nextTopics.mode;
    const scope = typeof mode === "string" ? TOPIC_MODES[mode.trim()] : undefined;
    if (scope === undefined) {
      throw new ConfigError(
        `${configPath}: \`transports.telegram.topics.mode\` must be "multi_project_chat" or "per_project_chat", found ${describeValue(mode)}; ` +
          `or replace it with \`scope\` ("auto", "main", "projects" or "all")`,
      );
    }
    nextTopics.scope = scope;
  }
  delete nextTopics.mode;
  return { table: next, applied: ["topics-scope"] };
}

const MIGRATIONS = [migrateLegacyTelegram, migrateTopicsScope];

/** Every migration in order. Throws ConfigError when an old value cannot be translated. */
export function migrateConfig(table: TomlTable, configPath: string): MigrationResult {
  let current = table;
  const applied: string[] = [];
  for (const migrate of MIGRATIONS) {
    const result = migrate(current, configPath);
    current = result.table;
    applied.push(...result.applied);
  }
  return { table: current, applied };
}
