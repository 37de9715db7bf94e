/**
 * One `takopi run` per bot. Two pollers on one bot token steal
 * each other's updates (Telegram answers the second `getUpdates` with 409),
 * so a second instance must refuse to start — but a lock left behind by a
 * killed process must never keep takopi down.
 *
 * The lock file sits beside the config: `{"pid", "token_fingerprint"}` as
 * upstream writes it, plus `proc_start_time` on Linux to tell a live holder
 * from an unrelated process that got the same pid.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, unlinkSync, type BigIntStats } from "node:fs";
import { link, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { dirname, extname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as z from "zod";
import { isErrorCode, systemErrorMessage } from "../util/errors.js";
import { shortenHome } from "../util/home.js";
import { serializeState } from "../util/json-state.js";
import { parseProcStat } from "../engines/process-tree.js";
import { silentLogger, type Logger } from "../util/log.js";

/** Another instance holds the lock, or the lock file cannot be written. `message` is for the user: what is wrong, then what to do. */
export class LockError extends Error {
  readonly path: string;

  constructor(message: string, path: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LockError";
    this.path = path;
  }
}

export interface InstanceLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** `~/.takopi/takopi.toml` → `~/.takopi/takopi.lock` (the config path with its suffix replaced, as upstream). */
export function lockPathFor(configPath: string): string {
  const suffix = extname(configPath);
  return `${suffix === "" ? configPath : configPath.slice(0, -suffix.length)}.lock`;
}

/** Identifies the bot without revealing the token: the first 10 hex digits of its sha256. */
export function tokenFingerprint(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex").slice(0, 10);
}

const LockFileSchema = z.looseObject({
  pid: z.number().int().positive(),
  token_fingerprint: z.string().nullable().optional(),
  proc_start_time: z.number().int().nonnegative().optional(),
});
type LockFile = z.infer<typeof LockFileSchema>;

/** How long to keep retrying while other starters take over a stale lock; each step takes milliseconds. */
const ACQUIRE_DEADLINE_MS = 10_000;
/**
 * A takeover mutex older than this was left by a process that died inside
 * the takeover (a read and an unlink): nobody holds it for seconds.
 */
const MUTEX_STALE_MS = 5_000;

/**
 * Takes the lock for `token`'s bot or throws a LockError.
 *
 * Exactly one of several processes starting at once wins. The lock file is
 * only ever created exclusively (so two creators cannot both succeed) and
 * only ever removed — when judged stale — by the holder of a second
 * exclusive file, `<lock>.takeover`. Holding that mutex, a taker re-reads
 * the lock and unlinks it only if it is still stale: nobody else can remove
 * it meanwhile, and nobody can create one while it exists, so a live lock
 * published by a faster starter is never deleted. (Removing the stale file
 * without the mutex lets a slow taker delete the winner's fresh lock, and a
 * third starter then wins as well.)
 *
 * A normal exit removes the lock even without `release()`.
 */
export async function acquireInstanceLock(lockPath: string, token: string | null, options: { log?: Logger } = {}): Promise<InstanceLock> {
  const log = options.log ?? silentLogger;
  const ours: LockFile = { pid: process.pid, token_fingerprint: token === null ? null : tokenFingerprint(token) };
  const startTime = processInfo(process.pid)?.startTime;
  if (startTime !== undefined) ours.proc_start_time = startTime;
  const text = serializeState(ours);
  const refuse = (pid: number): LockError =>
    new LockError(`another takopi is already running for this bot (pid ${pid})\nstop that process first; if it is gone, remove ${shortenHome(lockPath)}`, lockPath);

  const deadline = Date.now() + ACQUIRE_DEADLINE_MS;
  try {
    while (Date.now() < deadline) {
      if (await publishExclusive(lockPath, text)) return holdLock(lockPath);
      const existing = await readLockFile(lockPath);
      if (existing === null) continue; // removed since our attempt: try again
      const verdict = judge(existing, ours);
      if (verdict.holder) throw refuse(verdict.pid);
      const ran = await withTakeoverMutex(lockPath, async () => {
        const current = await readLockFile(lockPath);
        if (current === null) return; // another taker removed it: race to publish
        const again = judge(current, ours);
        if (again.holder) throw refuse(again.pid);
        log.warn({ path: lockPath, reason: again.reason, previous_pid: current === INVALID ? null : current.pid }, `taking over the lock: ${again.reason}`);
        await unlink(lockPath);
      });
      // Someone else is taking over; let them finish, then look again.
      if (!ran) await sleep(10 + Math.random() * 20);
    }
  } catch (error) {
    if (error instanceof LockError) throw error;
    throw new LockError(
      `cannot take the lock ${shortenHome(lockPath)}: ${systemErrorMessage(error)}\ncheck that ${shortenHome(dirname(lockPath))} exists and is writable`,
      lockPath,
      { cause: error },
    );
  }
  throw new LockError(
    `cannot take the lock ${shortenHome(lockPath)}: it kept changing while takopi started (another takopi starting at the same time?)\ntry again; if this persists, remove ${shortenHome(lockPath)} and ${shortenHome(`${lockPath}.takeover`)}`,
    lockPath,
  );
}

/** Runs `task` while holding `<lock>.takeover`; false (and `task` not run) when another process holds it. */
async function withTakeoverMutex(lockPath: string, task: () => Promise<void>): Promise<boolean> {
  const mutex = `${lockPath}.takeover`;
  try {
    await writeNew(mutex, `${process.pid}\n`);
  } catch (error) {
    if (!isErrorCode(error, "EEXIST")) throw error;
    await removeStaleMutex(mutex);
    return false;
  }
  try {
    await task();
    return true;
  } finally {
    await unlink(mutex).catch(() => undefined);
  }
}

/**
 * Removes a takeover mutex abandoned by a crashed process. It is moved aside
 * first and removed only if it is the same (old) file, so a mutex that a live
 * process created a moment ago is put back instead.
 */
async function removeStaleMutex(mutex: string): Promise<void> {
  let before: BigIntStats;
  try {
    before = await stat(mutex, { bigint: true });
  } catch {
    return;
  }
  if (Date.now() - Number(before.mtimeMs) < MUTEX_STALE_MS) return;
  const aside = `${mutex}.${process.pid}.${randomBytes(4).toString("hex")}.stale`;
  try {
    await rename(mutex, aside);
  } catch {
    return; // gone already
  }
  const moved = await stat(aside, { bigint: true });
  if (moved.ino === before.ino && moved.dev === before.dev) {
    await unlink(aside);
    return;
  }
  await link(aside, mutex).catch(() => undefined);
  await unlink(aside);
}

type Verdict = { holder: true; pid: number } | { holder: false; reason: string };

function judge(existing: LockFile | typeof INVALID, ours: LockFile): Verdict {
  if (existing === INVALID) return { holder: false, reason: "the lock file is unreadable or invalid" };
  const theirs = existing.token_fingerprint ?? null;
  if (theirs !== null && ours.token_fingerprint != null && theirs !== ours.token_fingerprint) {
    return { holder: false, reason: "the lock belongs to a different bot token" };
  }
  // After a container restart the new takopi often gets the pid the old one
  // had (even pid 1), and that pid is then "alive" — it is us.
  if (existing.pid === process.pid) return { holder: false, reason: `the lock records our own pid ${existing.pid} (left by a previous run)` };
  if (!isAlive(existing.pid)) return { holder: false, reason: `pid ${existing.pid} is no longer running` };
  const recorded = existing.proc_start_time;
  const current = processInfo(existing.pid)?.startTime;
  if (recorded !== undefined && current !== undefined && recorded !== current) {
    return { holder: false, reason: `pid ${existing.pid} now belongs to another process` };
  }
  return { holder: true, pid: existing.pid };
}

/**
 * Creates `lockPath` with `text` only if it does not exist. The content is
 * written to a temp file first and hard-linked into place, so nobody ever
 * sees a half-written lock (which they would judge invalid and take over).
 * Filesystems without hard links get a plain exclusive create, and there a
 * starter arriving within that write could still judge the lock invalid.
 */
async function publishExclusive(lockPath: string, text: string): Promise<boolean> {
  const temp = `${lockPath}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeNew(temp, text);
  try {
    await link(temp, lockPath);
    return true;
  } catch (error) {
    if (isErrorCode(error, "EEXIST")) return false;
    if (!isErrorCode(error, "EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS")) throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  try {
    await writeNew(lockPath, text);
    return true;
  } catch (error) {
    if (isErrorCode(error, "EEXIST")) return false;
    throw error;
  }
}

async function writeNew(path: string, text: string): Promise<void> {
  const handle = await open(path, "wx");
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** null when there is no lock file; INVALID when it cannot be read or understood (which counts as no lock). */
async function readLockFile(lockPath: string): Promise<LockFile | typeof INVALID | null> {
  let text: string;
  try {
    text = await readFile(lockPath, "utf8");
  } catch (error) {
    if (isErrorCode(error, "ENOENT")) return null;
    return INVALID;
  }
  return parseLock(text) ?? INVALID;
}

const INVALID = Symbol("invalid");

function parseLock(text: string): LockFile | null {
  try {
    const checked = LockFileSchema.safeParse(JSON.parse(text));
    return checked.success ? checked.data : null;
  } catch {
    return null;
  }
}

function holdLock(lockPath: string): InstanceLock {
  let released = false;
  // 'exit' handlers must be synchronous; this covers process.exit() and a drained event loop.
  const onExit = (): void => {
    try {
      if (parseLock(readFileSync(lockPath, "utf8"))?.pid === process.pid) unlinkSync(lockPath);
    } catch {
      // Already gone or unreadable: nothing of ours to remove.
    }
  };
  process.on("exit", onExit);
  return {
    path: lockPath,
    async release() {
      if (released) return;
      released = true;
      process.off("exit", onExit);
      const current = await readLockFile(lockPath);
      // Someone took it over (e.g. a different bot token): leave theirs alone.
      if (current === null || current === INVALID || current.pid !== process.pid) return;
      await unlink(lockPath).catch((error: unknown) => {
        if (!isErrorCode(error, "ENOENT")) throw error;
      });
    },
  };
}

/** `kill(pid, 0)` succeeds or fails with EPERM (someone else's process): it exists. Zombies have exited. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (!isErrorCode(error, "EPERM")) return false;
  }
  const state = processInfo(pid)?.state;
  return state !== "Z" && state !== "X";
}

/**
 * State and start time (clock ticks after boot, field 22 of /proc/<pid>/stat)
 * on Linux; undefined elsewhere or when the process is gone. The start time
 * tells a process apart from a later one that reuses its pid.
 */
function processInfo(pid: number): { state: string; startTime: number } | undefined {
  if (process.platform !== "linux") return undefined;
  let info;
  try {
    info = parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
  const startTime = Number(info?.startTime);
  return info !== null && Number.isSafeInteger(startTime) ? { state: info.state, startTime } : undefined;
}
