/**
 * `takopi chat-id --project <alias>`: the first chat the bot hears from
 * becomes that project's chat (`projects.<alias>.chat_id`), as upstream.
 *
 * A config generated from a projects directory (`projects_dir`, the
 * container's) is rewritten at every start, so there the id goes into the
 * project's own `.takopi.toml`, which `takopi discover` reads back.
 */
import { readFile, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { parse, stringify } from "smol-toml";
import { parseConfigText } from "../config/load.js";
import { PROJECT_FILE } from "../config/projects-dir.js";
import { getKey, isTable, setKey, type TomlTable } from "../config/toml-keys.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { errorMessage } from "../util/errors.js";
import { shortenHome } from "../util/home.js";
import { editConfigFile } from "./config.js";
import { UsageError } from "./errors.js";

export interface ProjectChat {
  alias: string;
  /** The main chat's id, which no project may share. */
  mainChatId: number | null;
  /** Records `chatId` as the project's chat; returns the line to print. */
  save(chatId: number): Promise<string>;
}

/** The project `wanted` names in the config at `configPath`, or a UsageError saying what exists. */
export async function projectChat(configPath: string, wanted: string, env: NodeJS.ProcessEnv = process.env): Promise<ProjectChat> {
  let table: TomlTable;
  try {
    table = parseConfigText(await readFile(configPath, "utf8"), configPath);
  } catch (error) {
    throw new UsageError(`--project needs a config with projects: cannot read ${shortenHome(configPath)} (${errorMessage(error)})`, 1);
  }
  const projects = isTable(table.projects) ? table.projects : {};
  const alias = Object.keys(projects).find((known) => known.toLowerCase() === wanted.toLowerCase());
  const project = alias === undefined ? undefined : projects[alias];
  if (alias === undefined || !isTable(project) || typeof project.path !== "string") {
    const known = Object.keys(projects).sort();
    const hint = known.length === 0 ? "there are no projects" : `known: ${known.join(", ")}`;
    throw new UsageError(`Unknown project '${wanted}'; run \`takopi init ${wanted}\` first (${hint}).`, 1);
  }
  const configured = getKey(table, ["transports", "telegram", "chat_id"]);
  const fromEnv = Number(env.TELEGRAM_CHAT_ID?.trim() || Number.NaN);
  const mainChatId = typeof configured === "number" ? configured : Number.isSafeInteger(fromEnv) ? fromEnv : null;

  const projectsDir = typeof table.projects_dir === "string" ? table.projects_dir : null;
  const projectPath = project.path;
  const generated = projectsDir !== null && projectPath.startsWith(projectsDir.endsWith(sep) ? projectsDir : projectsDir + sep);
  const key = `projects.${alias}.chat_id`;
  return {
    alias,
    mainChatId,
    save: async (chatId) => {
      if (generated) {
        const file = join(projectPath, PROJECT_FILE);
        await writeProjectFile(file, chatId);
        return `updated ${file}: chat_id = ${chatId} (${shortenHome(configPath)} is generated from ${projectsDir} at every start; restart takopi to use it)`;
      }
      await editConfigFile(configPath, (current) => setKey(current, ["projects", alias, "chat_id"], chatId));
      return `updated ${key} = ${chatId}`;
    },
  };
}

/** Sets `chat_id` in a project's `.takopi.toml`, keeping its other keys. */
async function writeProjectFile(file: string, chatId: number): Promise<void> {
  let table: TomlTable = {};
  let mode = 0o644;
  try {
    const text = await readFile(file, "utf8");
    table = parse(text);
    mode = (await stat(file)).mode & 0o7777;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw new UsageError(`cannot update ${file}: ${errorMessage(error)}; fix or remove it, then try again`, 1);
  }
  try {
    await writeFileAtomic(file, stringify({ ...table, chat_id: chatId }), { mode });
  } catch (error) {
    throw new UsageError(`cannot write ${file}: ${errorMessage(error)}`, 1);
  }
}
