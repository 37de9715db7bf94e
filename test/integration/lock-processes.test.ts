/**
 * The single-instance lock between real processes: each child is
 * a Node process that takes the lock through the TypeScript source, the way
 * `takopi run` does, and reports on stdout.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { tokenFingerprint } from "../../src/cli/lock.js";
import { scratchDir, waitFor, type ScratchDir } from "../support/scripts.js";

const REGISTER_TS = fileURLToPath(new URL("../../scripts/register-ts.mjs", import.meta.url));
const LOCK_MODULE = new URL("../../src/cli/lock.ts", import.meta.url).href;
const LOG_MODULE = new URL("../../src/util/log.ts", import.meta.url).href;

const TOKEN = "111:first-bot-token";
const OTHER_TOKEN = "222:second-bot-token";

/**
 * argv: <lock path> <token> <mode>. Modes: `hold` (keep the lock until
 * killed), `exit` (exit normally right after taking it), `race` (announce
 * readiness, wait for a line on stdin, then try), `own-pid` (first write a
 * lock naming our own pid, as a restarted container finds it).
 */
const CHILD = `
import { writeFileSync } from "node:fs";
const { acquireInstanceLock, LockError, tokenFingerprint } = await import(${JSON.stringify(LOCK_MODULE)});
const { createLogger } = await import(${JSON.stringify(LOG_MODULE)});
const [lockPath, token, mode] = process.argv.slice(2);
const send = (message) => process.stdout.write(JSON.stringify(message) + "\\n");
if (mode === "own-pid") {
  writeFileSync(lockPath, JSON.stringify({ pid: process.pid, token_fingerprint: tokenFingerprint(token) }) + "\\n");
}
if (mode === "race") {
  send({ ready: process.pid });
  await new Promise((resolve) => process.stdin.once("data", resolve));
  process.stdin.pause();
}
try {
  await acquireInstanceLock(lockPath, token, { log: createLogger({ level: "info" }) });
} catch (error) {
  if (!(error instanceof LockError)) throw error;
  send({ refused: error.message });
  process.exit(3);
}
send({ acquired: process.pid });
if (mode === "exit") process.exit(0);
setInterval(() => undefined, 1 << 30);
`;

interface Message {
  ready?: number;
  acquired?: number;
  refused?: string;
}

interface Child {
  process: ChildProcess;
  pid: number;
  messages: Message[];
  stderr: () => string;
  exited: Promise<number | null>;
}

let dir: ScratchDir;
let script: string;
let lockPath: string;
const children: Child[] = [];

beforeAll(async () => {
  dir = await scratchDir("takopi-lock-proc-");
  script = await dir.script("lock-child.mjs", CHILD);
});
afterAll(async () => {
  await dir.dispose();
});

let round = 0;
beforeEach(() => {
  round += 1;
  lockPath = join(dir.path, `takopi-${round}.lock`);
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
    await withTimeout(child.exited, 10_000, `child ${child.pid} to exit`);
  }
});

function start(mode: "hold" | "exit" | "race" | "own-pid", token = TOKEN): Child {
  const proc = spawn(process.execPath, ["--import", REGISTER_TS, script, lockPath, token, mode], {
    stdio: [mode === "race" ? "pipe" : "ignore", "pipe", "pipe"],
  });
  if (proc.pid === undefined) throw new Error("spawn gave no pid");
  const messages: Message[] = [];
  let stdout = "";
  let stderr = "";
  proc.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    const lines = stdout.split("\n");
    stdout = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") messages.push(JSON.parse(line) as Message);
  });
  proc.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => {
    proc.once("exit", resolve);
  });
  const child: Child = { process: proc, pid: proc.pid, messages, stderr: () => stderr, exited };
  children.push(child);
  return child;
}

/** Waits until the child has acquired or been refused, and returns which. */
async function outcome(child: Child): Promise<Message> {
  const settled = (): Message | undefined => child.messages.find((m) => m.acquired !== undefined || m.refused !== undefined);
  await waitFor(() => settled() !== undefined || child.process.exitCode !== null, 15_000, `child ${child.pid} to take or be refused the lock`);
  const result = settled();
  if (!result) throw new Error(`child ${child.pid} exited with ${child.process.exitCode} without an outcome:\n${child.stderr()}`);
  return result;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function lockPid(): number {
  return (JSON.parse(readFileSync(lockPath, "utf8")) as { pid: number }).pid;
}

/** A pid that no process has any more. */
async function deadPid(): Promise<number> {
  const proc = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await withTimeout(new Promise((resolve) => proc.once("exit", resolve)), 10_000, "a short-lived process to exit");
  if (proc.pid === undefined) throw new Error("spawn gave no pid");
  return proc.pid;
}

describe("single-instance lock across processes", () => {
  it("a second instance for the same bot is refused with a clear message while the first runs", async () => {
    const first = start("hold");
    expect(await outcome(first)).toEqual({ acquired: first.pid });

    const second = start("hold");
    const result = await outcome(second);
    expect(result.refused?.split("\n")).toEqual([
      `another takopi is already running for this bot (pid ${first.pid})`,
      `stop that process first; if it is gone, remove ${lockPath}`,
    ]);
    expect(await withTimeout(second.exited, 10_000, "the refused child to exit")).toBe(3);
    expect(lockPid()).toBe(first.pid);
    expect(first.stderr() + second.stderr()).not.toContain(TOKEN);
  });

  it.each([
    ["no lock file", false],
    ["a stale lock file", true],
  ])("exactly one of several processes starting at the same moment wins (%s)", async (_name, stale) => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      lockPath = join(dir.path, `race-${round}-${attempt}.lock`);
      if (stale) writeFileSync(lockPath, `${JSON.stringify({ pid: await deadPid(), token_fingerprint: tokenFingerprint(TOKEN) })}\n`);
      const racers = [start("race"), start("race"), start("race"), start("race")];
      await waitFor(() => racers.every((r) => r.messages.some((m) => m.ready !== undefined)), 15_000, "all racers to be ready");
      for (const racer of racers) racer.process.stdin?.write("go\n");
      const results = await Promise.all(racers.map(outcome));

      const winners = results.filter((r) => r.acquired !== undefined);
      expect(winners).toHaveLength(1);
      const winner = winners[0]?.acquired;
      expect(lockPid()).toBe(winner);
      for (const result of results.filter((r) => r.refused !== undefined)) {
        expect(result.refused).toContain(`already running for this bot (pid ${winner})`);
      }
      for (const racer of racers) racer.process.kill("SIGKILL");
    }
  });

  it("after the holder is killed with SIGKILL, a new process takes the stale lock over", async () => {
    const holder = start("hold");
    expect(await outcome(holder)).toEqual({ acquired: holder.pid });
    holder.process.kill("SIGKILL");
    await withTimeout(holder.exited, 10_000, "the killed holder to exit");
    expect(lockPid()).toBe(holder.pid); // SIGKILL leaves the file behind

    const next = start("hold");
    expect(await outcome(next)).toEqual({ acquired: next.pid });
    expect(lockPid()).toBe(next.pid);
    expect(next.stderr()).toContain(`pid ${holder.pid} is no longer running`);
  });

  it("a lock naming the starting process's own pid is stale (container restart)", async () => {
    const child = start("own-pid");
    expect(await outcome(child)).toEqual({ acquired: child.pid });
    expect(child.stderr()).toContain("our own pid");
  });

  it("a process for a different bot token does not conflict", async () => {
    const first = start("hold", TOKEN);
    expect(await outcome(first)).toEqual({ acquired: first.pid });
    const other = start("hold", OTHER_TOKEN);
    expect(await outcome(other)).toEqual({ acquired: other.pid });
    expect(first.process.exitCode).toBeNull();
  });

  it("a normal exit leaves no lock behind", async () => {
    const child = start("exit");
    expect(await outcome(child)).toEqual({ acquired: child.pid });
    expect(await withTimeout(child.exited, 10_000, "the child to exit")).toBe(0);
    expect(existsSync(lockPath)).toBe(false);
  });
});
