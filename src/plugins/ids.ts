/**
 * Names that plugins, projects and commands share one namespace with
 * (upstream's rules). Kept free of imports so config validation, discovery
 * and the CLI can all use it without loading anything else.
 */

/** Plugin ids, project aliases and Telegram command names: lower-case, ≤ 32 chars (Telegram's own limit). */
export const PLUGIN_ID_PATTERN = /^[a-z0-9_]{1,32}$/;

/** Chat commands the bridge itself answers; no engine, command plugin or project may take these names. */
export const RESERVED_CHAT_COMMAND_IDS: readonly string[] = ["cancel", "file", "new", "agent", "model", "reasoning", "trigger", "topic", "ctx"];

/**
 * Subcommands of the `takopi` CLI. Engines get a `takopi <engine>` subcommand
 * of their own, so an engine id must not shadow one of these.
 */
export const RESERVED_CLI_COMMAND_IDS: readonly string[] = ["config", "doctor", "init", "plugins", "run", "replay", "discover", "help"];

/** Ids no engine or command plugin may use (transports have no reserved list). */
export const RESERVED_COMMAND_IDS: readonly string[] = [...RESERVED_CLI_COMMAND_IDS, ...RESERVED_CHAT_COMMAND_IDS];

/** The engines that ship inside takopi; their manifest is takopi's own package.json. */
export const BUILTIN_ENGINE_IDS: readonly string[] = ["codex", "claude", "opencode", "pi"];

export function isValidPluginId(id: string): boolean {
  return PLUGIN_ID_PATTERN.test(id);
}

/**
 * A package name as `[plugins] enabled` compares it: lower-cased, with runs of
 * `-`, `_` and `.` folded to `-` (the Python distribution-name rule upstream uses,
 * so `takopi_slack` and `takopi-slack` name the same package).
 */
export function canonicalPackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/**
 * A valid id made from a free-form name (a directory name, usually):
 * `My App.v2` → `my_app_v2`. Empty results become `project`.
 */
export function idFromName(name: string): string {
  const id = name
    .toLowerCase()
    .replace(/\.git$/, "")
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 32)
    .replace(/_+$/, "");
  return id === "" ? "project" : id;
}
