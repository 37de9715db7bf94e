import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireInstanceLock, LockError, lockPathFor, tokenFingerprint, type InstanceLock } from "../../../src/cli/lock.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

const TOKEN = "123456:AAbbCCddEEffGGhh";
const FINGERPRINT = createHash("sha256").update(TOKEN).digest("hex").slice(0, 10);

let dir: ScratchDir;
let lockPath: string;
const held: InstanceLock[] = [];

beforeEach(async () => {
  dir = await scratchDir("takopi-lock-");
  lockPath = join(dir.path, "takopi.lock");
});
afterEach(async () => {
  for (const lock of held.splice(0)) await lock.release();
  await dir.dispose();
});

async function acquire(token: string | null = TOKEN, log?: pino.Logger): Promise<InstanceLock> {
  const lock = await acquireInstanceLock(lockPath, token, log ? { log } : {});
  held.push(lock);
  return lock;
}

function writeLock(content: Record<string, unknown>): void {
  writeFileSync(lockPath, `${JSON.stringify(content, null, 2)}\n`);
}

function lockContent(): Record<string, unknown> {
  return JSON.parse(readFileSync(lockPath, "utf8")) as Record<string, unknown>;
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid;
  await new Promise((resolve) => child.once("exit", resolve));
  if (pid === undefined) throw new Error("spawn gave no pid");
  return pid;
}

/** Field 22 of /proc/<pid>/stat, as the lock records it. */
function startTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

function capturingLogger(): { log: pino.Logger; text: () => string } {
  const lines: string[] = [];
  return { log: pino({ base: null }, { write: (line: string) => lines.push(line) }), text: () => lines.join("") };
}

async function refusal(token: string | null = TOKEN): Promise<LockError> {
  try {
    held.push(await acquireInstanceLock(lockPath, token));
  } catch (error) {
    if (error instanceof LockError) return error;
    throw error;
  }
  throw new Error("the lock was acquired, expected a refusal");
}

describe("lockPathFor", () => {
  it("replaces the config's suffix with .lock, as upstream's with_suffix", () => {
    expect(lockPathFor("/home/u/.takopi/takopi.toml")).toBe("/home/u/.takopi/takopi.lock");
    expect(lockPathFor("/etc/takopi/config")).toBe("/etc/takopi/config.lock");
    expect(lockPathFor("/a.b/bot.prod.toml")).toBe("/a.b/bot.prod.lock");
  });
});

describe("acquireInstanceLock", () => {
  it("writes pid and token fingerprint (sorted keys, indent 2, newline), never the token, and release removes it", async () => {
    const lock = await acquire();
    expect(lock.path).toBe(lockPath);
    const text = readFileSync(lockPath, "utf8");
    expect(text).not.toContain(TOKEN);
    expect(text.endsWith("}\n")).toBe(true);
    const content = lockContent();
    expect(content.pid).toBe(process.pid);
    expect(content.token_fingerprint).toBe(FINGERPRINT);
    expect(tokenFingerprint(TOKEN)).toBe(FINGERPRINT);
    expect(Object.keys(content)).toEqual([...Object.keys(content)].sort());
    if (process.platform === "linux") expect(content.proc_start_time).toBe(startTimeOf(process.pid));
    expect(text).toBe(`${JSON.stringify(Object.fromEntries(Object.entries(content).sort()), null, 2)}\n`);

    await lock.release();
    await lock.release();
    expect(existsSync(lockPath)).toBe(false);
    expect(readdirSync(dir.path)).toEqual([]);
  });

  it("refuses while a live process holds the lock for the same bot, with a two-line message", async () => {
    // Our parent is alive and is not us; the lock predates start-time recording (as upstream writes it).
    writeLock({ pid: process.ppid, token_fingerprint: FINGERPRINT });
    const error = await refusal();
    const lines = error.message.split("\n");
    expect(lines).toEqual([`another takopi is already running for this bot (pid ${process.ppid})`, expect.stringContaining(`remove `)]);
    expect(lines[1]).toMatch(/^stop that process first; if it is gone, remove /);
    expect(error.message).toContain("takopi.lock");
    expect(error.message).not.toContain(TOKEN);
    expect(lockContent().pid).toBe(process.ppid);
  });

  it.runIf(process.platform === "linux")("refuses when the live holder's recorded start time matches", async () => {
    writeLock({ pid: process.ppid, token_fingerprint: FINGERPRINT, proc_start_time: startTimeOf(process.ppid) });
    await refusal();
  });

  it.runIf(process.platform === "linux")("takes over when the recorded pid now belongs to another process (pid reuse)", async () => {
    writeLock({ pid: process.ppid, token_fingerprint: FINGERPRINT, proc_start_time: startTimeOf(process.ppid) + 1 });
    const { log, text } = capturingLogger();
    await acquire(TOKEN, log);
    expect(lockContent().pid).toBe(process.pid);
    expect(text()).toContain("now belongs to another process");
  });

  it("takes over a lock whose process is gone, with a log line", async () => {
    const pid = await deadPid();
    writeLock({ pid, token_fingerprint: FINGERPRINT });
    const { log, text } = capturingLogger();
    await acquire(TOKEN, log);
    expect(lockContent()).toMatchObject({ pid: process.pid, token_fingerprint: FINGERPRINT });
    expect(text()).toContain(`pid ${pid} is no longer running`);
    expect(text()).not.toContain(TOKEN);
    expect(readdirSync(dir.path)).toEqual(["takopi.lock"]);
  });

  it("waits while another process is taking over, then takes over itself", async () => {
    writeLock({ pid: await deadPid(), token_fingerprint: FINGERPRINT });
    writeFileSync(`${lockPath}.takeover`, "1\n");
    let settled = false;
    const acquiring = acquire().finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(settled).toBe(false);
    unlinkSync(`${lockPath}.takeover`);
    await acquiring;
    expect(lockContent().pid).toBe(process.pid);
  });

  it("clears a takeover mutex abandoned by a crashed process", async () => {
    writeLock({ pid: await deadPid(), token_fingerprint: FINGERPRINT });
    writeFileSync(`${lockPath}.takeover`, "1\n");
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${lockPath}.takeover`, old, old);
    await acquire();
    expect(lockContent().pid).toBe(process.pid);
    expect(readdirSync(dir.path)).toEqual(["takopi.lock"]);
  });

  it("takes over a lock recording our own pid (a restarted container reuses the old pid)", async () => {
    writeLock({ pid: process.pid, token_fingerprint: FINGERPRINT, proc_start_time: 1 });
    const { log, text } = capturingLogger();
    await acquire(TOKEN, log);
    expect(lockContent().pid).toBe(process.pid);
    expect(text()).toContain("our own pid");
  });

  it("takes over a lock held for a different bot token", async () => {
    writeLock({ pid: process.ppid, token_fingerprint: tokenFingerprint("999:other") });
    await acquire();
    expect(lockContent()).toMatchObject({ pid: process.pid, token_fingerprint: FINGERPRINT });
  });

  it("a missing fingerprint on either side does not count as a different bot", async () => {
    writeLock({ pid: process.ppid, token_fingerprint: null });
    await refusal();
    writeLock({ pid: process.ppid, token_fingerprint: FINGERPRINT });
    await refusal(null);
  });

  it.each([
    ["empty", ""],
    ["not JSON", "pid=12"],
    ["a bad pid", '{"pid": "twelve", "token_fingerprint": null}'],
    ["a negative pid", '{"pid": -1}'],
  ])("treats an %s lock file as absent", async (_name, content) => {
    writeFileSync(lockPath, content);
    await acquire();
    expect(lockContent().pid).toBe(process.pid);
  });

  it("release leaves a lock that someone else has taken over alone", async () => {
    const lock = await acquire();
    writeLock({ pid: process.ppid, token_fingerprint: "0123456789" });
    await lock.release();
    expect(lockContent().pid).toBe(process.ppid);
  });

  it("reports a lock it cannot write as a LockError saying what to check", async () => {
    lockPath = join(dir.path, "missing", "takopi.lock");
    const error = await refusal();
    const lines = error.message.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^cannot take the lock .*missing\/takopi\.lock: ENOENT: no such file or directory$/);
    expect(lines[1]).toMatch(/^check that .*missing exists and is writable$/);
  });

  it.runIf(homedir() !== "/")("shows paths under the home directory as ~/…", async () => {
    lockPath = join(homedir(), ".takopi-lock-test-missing-dir", "takopi.lock");
    const error = await refusal();
    expect(error.message).toContain("~/.takopi-lock-test-missing-dir/takopi.lock");
    expect(error.message).not.toContain(homedir());
  });
});
