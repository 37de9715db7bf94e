/**
 * The shape of takopi.toml (upstream's), as zod schemas and the types
 * they produce. Key names stay snake_case: the parsed settings are the file's
 * own shape, so a key in an error message is the key a user edits.
 *
 * The schemas strip unknown keys instead of rejecting them (upstream forbids
 * extras): `findUnknownKeys` reports them as warnings, so a config written for
 * a newer takopi, or with a typo, still starts.
 */
import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import * as z from "zod";
import { expandHome } from "../util/home.js";
import { isTable, type TomlTable } from "./toml-keys.js";

/** The public Bot API; `api_root` points elsewhere for a local Bot API server. */
export const DEFAULT_API_ROOT = "https://api.telegram.org";

/** Files `/file get` and `/file put` refuse to touch unless the user overrides `deny_globs`. */
export const DEFAULT_DENY_GLOBS: readonly string[] = [".git/**", ".env", ".envrc", "*.pem", ".ssh/**"];

/**
 * Custom issues carry `params.expected`, so an error can say what was expected
 * in the same words for built-in and hand-written checks.
 */
function expecting(expected: string) {
  return { params: { expected } };
}

const nonEmptyString = () => z.string().trim().min(1);

const tableValue = z.custom<TomlTable>(isTable, expecting("a table"));

/** Digits only, optionally negative: Telegram chat ids of groups are negative. */
const INTEGER_TEXT = /^-?\d+$/;

function toInteger(value: number | string, ctx: z.core.$RefinementCtx): number {
  const text = typeof value === "string" ? value.trim() : null;
  const number = text === null ? value : INTEGER_TEXT.test(text) ? Number(text) : Number.NaN;
  if (typeof number === "number" && Number.isSafeInteger(number)) return number;
  ctx.addIssue({ code: "custom", message: "expected an integer", input: value, ...expecting("an integer") });
  return z.NEVER;
}

const integerInput = z.custom<number | string>((value) => typeof value === "number" || typeof value === "string", expecting("an integer"));

/**
 * A Telegram id: an integer, or a string of digits (what a copy-paste of
 * `"-100123"` gives). Booleans and fractions are rejected.
 */
const telegramId = integerInput.transform(toInteger);
const optionalTelegramId = integerInput.optional().transform((value, ctx) => (value === undefined ? null : toInteger(value, ctx)));

const apiRoot = nonEmptyString().transform((value, ctx) => {
  const url = URL.canParse(value) ? new URL(value) : null;
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    ctx.addIssue({ code: "custom", message: "expected an http(s) URL", input: value, ...expecting('an http(s) URL such as "http://127.0.0.1:8081"') });
    return z.NEVER;
  }
  // grammY appends `/bot<token>/<method>` itself; a trailing slash would double it.
  return value.replace(/\/+$/, "");
});

/** Uploads land inside the project; an absolute path or `..` would let a chat write anywhere. */
const uploadsDir = nonEmptyString().refine(
  (value) => !isAbsolute(value) && !value.split(/[\\/]/).includes(".."),
  expecting('a relative path inside the project, such as "incoming"'),
);

export const TopicsSchema = z.object({
  enabled: z.boolean().default(false),
  scope: z.enum(["auto", "main", "projects", "all"]).default("auto"),
});

export const FilesSchema = z.object({
  enabled: z.boolean().default(false),
  auto_put: z.boolean().default(true),
  auto_put_mode: z.enum(["upload", "prompt"]).default("upload"),
  uploads_dir: uploadsDir.default("incoming"),
  allowed_user_ids: z.array(telegramId).default(() => []),
  deny_globs: z.array(nonEmptyString()).default(() => [...DEFAULT_DENY_GLOBS]),
});

export const TelegramSchema = z.object({
  bot_token: nonEmptyString(),
  chat_id: telegramId,
  allowed_user_ids: z.array(telegramId).default(() => []),
  message_overflow: z.enum(["trim", "split"]).default("trim"),
  voice_transcription: z.boolean().default(false),
  voice_max_bytes: z.int().min(0).default(10 * 1024 * 1024),
  voice_transcription_model: nonEmptyString().default("gpt-4o-mini-transcribe"),
  voice_transcription_base_url: nonEmptyString().nullable().default(null),
  voice_transcription_api_key: nonEmptyString().nullable().default(null),
  session_mode: z.enum(["stateless", "chat"]).default("stateless"),
  show_resume_line: z.boolean().default(true),
  /** Our addition: the final message's footer shows the tokens and cost the engine reported. */
  show_usage: z.boolean().default(false),
  /** Our addition: seconds an engine's approval, question or plan waits for an answer before it is denied. */
  approval_timeout_s: z.int().min(1).default(600),
  forward_coalesce_s: z.number().min(0).default(1),
  media_group_debounce_s: z.number().min(0).default(1),
  /** Our addition: a local Bot API server (or a test's fake one) instead of api.telegram.org. */
  api_root: apiRoot.default(DEFAULT_API_ROOT),
  /**
   * Our addition: messages that arrived while takopi was down are processed at
   * startup when younger than this many seconds (upstream drops them all).
   */
  backlog_max_age_s: z.number().min(0).default(300),
  topics: TopicsSchema.prefault({}),
  files: FilesSchema.prefault({}),
});

export const ProjectSchema = z.object({
  /** `~` expanded; relative to the config file's directory. */
  path: nonEmptyString(),
  /** `~` expanded; relative to `path`. */
  worktrees_dir: nonEmptyString().default(".worktrees"),
  default_engine: nonEmptyString().nullable().default(null),
  worktree_base: nonEmptyString().nullable().default(null),
  chat_id: optionalTelegramId,
});

/** Aliases are case-insensitive (`/App` and `/app` are one project); duplicates are caught before this runs. */
const ProjectsSchema = z.record(z.string(), ProjectSchema).transform((projects) => {
  const out: Record<string, z.output<typeof ProjectSchema>> = {};
  for (const [alias, project] of Object.entries(projects)) out[alias.toLowerCase()] = project;
  return out;
});

/** `[plugins.<id>]` tables are plugin configs, read raw through `pluginConfig`; they are not part of this shape. */
export const PluginsSchema = z.object({
  /** Package names; empty means every installed plugin is visible. */
  enabled: z.array(nonEmptyString()).default(() => []),
  /** Our addition: extra directories to look for plugin packages in (relative to the config file's directory). */
  paths: z.array(nonEmptyString()).default(() => []),
});

/** Transport ids other than telegram are tables passed raw to their plugin. */
const TransportsSchema = z.object({ telegram: TelegramSchema.optional() }).catchall(tableValue);

/** Any other top-level table is an engine's config (`[codex]`, `[claude]`, …), kept raw and not part of this shape. */
export const SettingsSchema = z.object({
  watch_config: z.boolean().default(false),
  default_engine: nonEmptyString().default("codex"),
  default_project: nonEmptyString()
    .transform((alias) => alias.toLowerCase())
    .nullable()
    .default(null),
  /**
   * Our addition: the projects directory this config was generated from
   * (`takopi discover` writes it). With it, a prompt that names no project runs
   * in a project, never in takopi's own directory (core/plain-prompt.ts).
   */
  projects_dir: nonEmptyString().nullable().default(null),
  /**
   * Our addition: after this many seconds without output from an engine, its
   * progress message says so (the engine keeps running); 0 turns it off.
   */
  stall_notice_s: z.number().min(0).default(300),
  transport: nonEmptyString().default("telegram"),
  transports: TransportsSchema.prefault({}),
  projects: ProjectsSchema.prefault({}),
  plugins: PluginsSchema.prefault({}),
});

export type TopicsSettings = z.output<typeof TopicsSchema>;
export type FilesSettings = z.output<typeof FilesSchema>;
export type TelegramSettings = z.output<typeof TelegramSchema>;
export type ProjectSettings = z.output<typeof ProjectSchema>;
export type PluginsSettings = z.output<typeof PluginsSchema>;
export type TransportsSettings = z.output<typeof TransportsSchema>;
export type Settings = z.output<typeof SettingsSchema>;

/**
 * Settings with every path made absolute: project paths and plugin dirs
 * against the config file's directory, worktree dirs against their project.
 */
export function resolveSettingPaths(settings: Settings, options: { configDir: string; home?: string }): Settings {
  const home = options.home ?? homedir();
  const absolute = (path: string, base: string) => resolve(base, expandHome(path, home));
  const projects: Record<string, ProjectSettings> = {};
  for (const [alias, project] of Object.entries(settings.projects)) {
    const path = absolute(project.path, options.configDir);
    projects[alias] = { ...project, path, worktrees_dir: absolute(project.worktrees_dir, path) };
  }
  return {
    ...settings,
    projects,
    plugins: { ...settings.plugins, paths: settings.plugins.paths.map((dir) => absolute(dir, options.configDir)) },
  };
}

export interface UnknownKey {
  /** Where it is, as a path of keys. */
  path: string[];
  /** The keys that are valid at that level, for a did-you-mean. */
  known: readonly string[];
}

const TOP_KEYS = Object.keys(SettingsSchema.shape);
const TELEGRAM_KEYS = Object.keys(TelegramSchema.shape);
const TOPICS_KEYS = Object.keys(TopicsSchema.shape);
const FILES_KEYS = Object.keys(FilesSchema.shape);
const PROJECT_KEYS = Object.keys(ProjectSchema.shape);
const PLUGINS_KEYS = Object.keys(PluginsSchema.shape);

/** Pre-transport top-level keys; the loader reports them with their own message. */
export const LEGACY_TOP_LEVEL_KEYS: readonly string[] = ["bot_token", "chat_id"];

/** The top-level keys that are not tables; anything else at the top is an engine table. */
export const TOP_LEVEL_KEYS: readonly string[] = TOP_KEYS;

/**
 * Keys the schema does not know, inside the parts it describes. Tables it
 * passes through raw (engines, other transports, `[plugins.<id>]`, a project's
 * engine tables) are not looked into; a non-table where such a table would be is reported.
 */
export function findUnknownKeys(table: TomlTable): UnknownKey[] {
  const found: UnknownKey[] = [];
  const check = (node: TomlTable, path: string[], known: readonly string[]) => {
    for (const key of Object.keys(node)) if (!known.includes(key)) found.push({ path: [...path, key], known });
  };
  for (const [key, value] of Object.entries(table)) {
    if (TOP_KEYS.includes(key) || LEGACY_TOP_LEVEL_KEYS.includes(key) || isTable(value)) continue;
    found.push({ path: [key], known: TOP_KEYS });
  }
  const transports = table.transports;
  const telegram = isTable(transports) ? transports.telegram : undefined;
  if (isTable(telegram)) {
    check(telegram, ["transports", "telegram"], TELEGRAM_KEYS);
    if (isTable(telegram.topics)) check(telegram.topics, ["transports", "telegram", "topics"], TOPICS_KEYS);
    if (isTable(telegram.files)) check(telegram.files, ["transports", "telegram", "files"], FILES_KEYS);
  }
  if (isTable(table.projects)) {
    // A table inside a project is that project's settings for one engine (`[projects.app.codex]`), checked by the engine.
    for (const [alias, project] of Object.entries(table.projects)) {
      if (!isTable(project)) continue;
      for (const [key, value] of Object.entries(project)) if (!PROJECT_KEYS.includes(key) && !isTable(value)) found.push({ path: ["projects", alias, key], known: PROJECT_KEYS });
    }
  }
  if (isTable(table.plugins)) {
    for (const [key, value] of Object.entries(table.plugins)) {
      if (!PLUGINS_KEYS.includes(key) && !isTable(value)) found.push({ path: ["plugins", key], known: PLUGINS_KEYS });
    }
  }
  return found;
}
