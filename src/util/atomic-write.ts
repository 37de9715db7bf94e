/**
 * Replacing a file so that a reader — or a crash half-way — only ever sees the
 * old or the new content: write a temp file in the same directory, fsync,
 * rename over, then fsync the directory. Used for takopi.toml, the state files and uploads.
 */
import { randomBytes } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface AtomicWriteOptions {
  /** Permissions of the new file, applied exactly (the umask does not narrow them). */
  mode?: number;
}

/**
 * Writes `data` (text as UTF-8) to `path` atomically and returns the stats of the written file
 * (the rename keeps inode and mtime, so they are what the next stat of `path` shows).
 * The temp file is removed when anything fails.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<BigIntStats> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let stats: BigIntStats;
  try {
    const handle = await open(temp, "wx", options.mode);
    try {
      await handle.writeFile(data, "utf8");
      if (options.mode !== undefined) await handle.chmod(options.mode);
      await handle.sync();
      stats = await handle.stat({ bigint: true });
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
  return stats;
}

/** Makes a rename durable; not every filesystem lets a directory be opened, so best-effort. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => null);
  if (handle === null) return;
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself has happened.
  } finally {
    await handle.close();
  }
}
