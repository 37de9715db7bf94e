/**
 * `takopi init [alias]`: register the git repository you are in as a project
 * (its main checkout), so `/alias` and `/alias @branch` reach it from the chat.
 */
import { basename } from "node:path";
import { resolveConfigPath } from "../config/load.js";
import { getKey, isTable, setKey, type TomlTable } from "../config/toml-keys.js";
import { BUILTIN_ENGINE_IDS, idFromName, isValidPluginId, PLUGIN_ID_PATTERN, RESERVED_CHAT_COMMAND_IDS } from "../plugins/ids.js";
import { defaultBaseBranch, mainCheckout } from "../util/git.js";
import { shortenHome } from "../util/home.js";
import { editConfigFile } from "./config.js";
import { UsageError } from "./errors.js";
import { openPlugins } from "./setup.js";

export interface InitCommandOptions {
  config?: string;
  default?: boolean;
  engine?: string;
  force?: boolean;
}

export async function initCommand(aliasArgument: string | undefined, options: InitCommandOptions): Promise<number> {
  const configPath = resolveConfigPath(options.config);
  const cwd = process.cwd();
  const checkout = await mainCheckout(cwd);
  // Not a git repository still makes a project (plain runs work; @branch will not).
  const path = checkout ?? cwd;
  if (checkout === null) process.stderr.write(`note: ${shortenHome(cwd)} is not a git repository; @branch worktrees will not work there\n`);

  const alias = aliasArgument?.toLowerCase() ?? idFromName(basename(path));
  const engineIds = await knownEngineIds();
  checkAlias(alias, engineIds);
  if (options.engine !== undefined && !engineIds.includes(options.engine)) {
    throw new UsageError(`unknown engine '${options.engine}'; available: ${engineIds.join(", ")}`);
  }

  const base = checkout === null ? null : await defaultBaseBranch(checkout);
  // Set inside the edit callback, which runs before editConfigFile returns.
  const outcome = { replaced: false, refused: false };
  const written = await editConfigFile(configPath, (table) => {
    const existing = getKey(table, ["projects", alias]);
    if (existing !== undefined) {
      if (options.force !== true) {
        outcome.refused = true;
        return null;
      }
      outcome.replaced = true;
    }
    const project: TomlTable = { path, worktrees_dir: ".worktrees" };
    if (base !== null) project.worktree_base = base;
    if (options.engine !== undefined) project.default_engine = options.engine;
    // Keep keys of the old entry we do not set (chat_id), so --force only refreshes it.
    const merged = isTable(existing) ? { ...existing, ...project } : project;
    let next = setKey(table, ["projects", alias], merged);
    if (options.default === true) next = setKey(next, ["default_project"], alias);
    return next;
  });
  if (outcome.refused) {
    throw new UsageError(`project '${alias}' already exists in ${shortenHome(configPath)}; use --force to replace it, or pick another alias`, 1);
  }
  if (written === null) return 2;

  process.stdout.write(`${outcome.replaced ? "updated" : "saved"} project '${alias}' to ${shortenHome(configPath)}\n`);
  process.stdout.write(`path: ${shortenHome(path)}${base === null ? "" : `, new branches start from ${base}`}\n`);
  if (isValidPluginId(alias)) process.stdout.write(`in the chat: /${alias} <prompt>, or /${alias} @<branch> <prompt> for a branch worktree\n`);
  return 0;
}

/** Installed engines, read from manifests (a project alias must not shadow one). */
async function knownEngineIds(): Promise<string[]> {
  try {
    return (await openPlugins(null)).ids("engine");
  } catch {
    return [...BUILTIN_ENGINE_IDS];
  }
}

function checkAlias(alias: string, engineIds: readonly string[]): void {
  if (!PLUGIN_ID_PATTERN.test(alias)) {
    throw new UsageError(`alias '${alias}' is not usable as a chat command; use 1–32 of a-z, 0-9, _ (e.g. ${idFromName(alias)})`);
  }
  if (RESERVED_CHAT_COMMAND_IDS.includes(alias)) throw new UsageError(`alias '${alias}' is a built-in chat command; pick another alias`);
  if (engineIds.includes(alias)) throw new UsageError(`alias '${alias}' is an engine id; pick another alias`);
}
