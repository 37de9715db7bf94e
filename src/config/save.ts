/**
 * Writing takopi.toml. The file is replaced atomically, so a
 * running takopi with `watch_config` (or a crash half-way) never sees half a
 * config; its permissions survive, because it holds the bot token.
 */
import { mkdir, realpath, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { stringify } from "smol-toml";
import { writeFileAtomic } from "../util/atomic-write.js";
import { errorMessage } from "../util/errors.js";
import { ConfigError } from "./errors.js";
import type { TomlTable } from "./toml-keys.js";

/** A new config holds a bot token: readable by its owner only. */
const NEW_FILE_MODE = 0o600;

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOSPC") return "no space left on the device";
  return errorMessage(error);
}

/**
 * Serializes `table` with smol-toml and replaces `path` with it atomically
 * (util/atomic-write). A symlinked config is written through to its target,
 * so dotfile managers keep their link.
 */
export async function writeConfig(path: string, table: TomlTable): Promise<void> {
  let text: string;
  try {
    text = stringify(table);
  } catch (error) {
    throw new ConfigError(`${path}: cannot write this config as TOML (${reason(error)}).`, { cause: error });
  }

  const target = await realpath(path).catch(() => path);
  try {
    await mkdir(dirname(target), { recursive: true });
    // An existing file keeps its mode exactly: it holds the bot token.
    const mode = await stat(target).then(
      (info) => info.mode & 0o7777,
      () => NEW_FILE_MODE,
    );
    await writeFileAtomic(target, text, { mode });
  } catch (error) {
    throw new ConfigError(`${path}: cannot write the config file (${reason(error)}).`, { cause: error });
  }
}
