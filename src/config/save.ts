/**
 * Writing takopi.toml (spec §23.5). The file is replaced atomically, so a
 * running takopi with `watch_config` (or a crash half-way) never sees half a
 * config; its permissions survive, because it holds the bot token.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, realpath, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { stringify } from "smol-toml";
import { ConfigError } from "./errors.js";
import type { TomlTable } from "./toml-keys.js";

/** A new config holds a bot token: readable by its owner only. */
const NEW_FILE_MODE = 0o600;

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOSPC") return "no space left on the device";
  return error instanceof Error ? error.message : String(error);
}

/**
 * Serializes `table` with smol-toml and replaces `path` with it: a temp file
 * `.<name>.<random>.tmp` beside it, fsync, rename. A symlinked config is
 * written through to its target, so dotfile managers keep their link.
 */
export async function writeConfig(path: string, table: TomlTable): Promise<void> {
  let text: string;
  try {
    text = stringify(table);
  } catch (error) {
    throw new ConfigError(`${path}: cannot write this config as TOML (${reason(error)}).`, { cause: error });
  }

  const target = await realpath(path).catch(() => path);
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const mode = await stat(target).then(
      (info) => info.mode & 0o7777,
      () => NEW_FILE_MODE,
    );
    const handle = await open(temp, "wx", mode);
    try {
      await handle.writeFile(text, "utf8");
      // The umask may have narrowed `open`'s mode; an existing file's mode is restored exactly.
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new ConfigError(`${path}: cannot write the config file (${reason(error)}).`, { cause: error });
  }
  // The rename is durable only once the directory entry is; not every platform can open a directory.
  const dirHandle = await open(dir, "r").catch(() => null);
  if (dirHandle !== null) {
    await dirHandle.sync().catch(() => undefined);
    await dirHandle.close();
  }
}
