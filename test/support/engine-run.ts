// Spawning an engine CLI for a test or a fixture capture: stdin from
// /dev/null, stdout/stderr collected, a wall-clock timeout, optional
// cancellation by a signal sent to the CLI process only (as a user's Ctrl-C or
// a naive supervisor would), and detection of child processes it leaves
// behind. Linux only (descendants are read from /proc).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Process group and session: a tool in another group survives `kill(-cliPid)`. */
  pgid: number;
  sid: number;
  /** Start time in clock ticks since boot; tells a pid apart from a later reuse. */
  startTime: number;
  state: string;
  cmdline: string;
}

function readProc(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
    // `pid (comm) state ppid …`: comm may hold spaces and parens.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmdline = readFileSync(`/proc/${String(pid)}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    return {
      pid,
      state: rest[0] ?? "?",
      ppid: Number(rest[1]),
      pgid: Number(rest[2]),
      sid: Number(rest[3]),
      startTime: Number(rest[19]),
      cmdline,
    };
  } catch {
    return null;
  }
}

function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProc(Number(name));
    if (info) out.push(info);
  }
  return out;
}

/** Live descendants of `pid` (children, grandchildren, …), zombies excluded. */
export function descendantsOf(pid: number): ProcInfo[] {
  const procs = allProcs();
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const out: ProcInfo[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      if (child.state !== "Z") out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

function stillAlive(p: ProcInfo): boolean {
  const now = readProc(p.pid);
  return now !== null && now.startTime === p.startTime && now.state !== "Z";
}

export interface RunState {
  pid: number;
  stdout: string;
  elapsedMs: number;
  descendants(): ProcInfo[];
}

export interface CancelSpec {
  signal: NodeJS.Signals;
  /** Polled every 50 ms; the signal goes out `delayMs` after it first returns true. */
  when: (state: RunState) => boolean;
  delayMs?: number;
  /**
   * `process` (default): the CLI process only. `group`: the CLI's process
   * group (it is spawned detached, so pgid = its pid). Note that the engines'
   * tool processes run in process groups of their own.
   */
  target?: "process" | "group";
}

export interface RunEngineOptions {
  binary: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** Whole-run limit; then the process group gets SIGTERM, SIGKILL 3 s later. Default 60 s. */
  timeoutMs?: number;
  cancel?: CancelSpec;
}

export interface EngineRunResult {
  /** The CLI's pid, which is also its process group id (it is spawned detached). */
  pid: number;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  timedOut: boolean;
  /** Set when `cancel` fired. */
  cancel?: { signal: NodeJS.Signals; sentAtMs: number; exitDelayMs: number };
  /**
   * Descendants seen during the run that were still alive 300 ms after the
   * CLI exited (they were then SIGKILLed).
   */
  leftovers: ProcInfo[];
  /** Every descendant seen while polling (every 50 ms). */
  descendantsSeen: ProcInfo[];
}

const POLL_MS = 50;

export function runEngine(opts: RunEngineOptions): Promise<EngineRunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const started = Date.now();
  // detached: own process group, so a timeout can take down the whole tree.
  const child = spawn(opts.binary, opts.argv, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const pid = child.pid;
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));

  const seen = new Map<number, ProcInfo>();
  const remember = (): ProcInfo[] => {
    if (pid === undefined) return [];
    const list = descendantsOf(pid);
    for (const p of list) seen.set(p.pid, p);
    return list;
  };
  let timedOut = false;
  let cancelArmedAt: number | null = null;
  let cancelSent: { signal: NodeJS.Signals; sentAtMs: number } | null = null;
  const killGroup = (signal: NodeJS.Signals): void => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };

  const poll = setInterval(() => {
    remember();
    const cancel = opts.cancel;
    if (cancel && cancelSent === null && pid !== undefined) {
      const elapsedMs = Date.now() - started;
      if (cancelArmedAt === null && cancel.when({ pid, stdout, elapsedMs, descendants: () => descendantsOf(pid) })) {
        cancelArmedAt = elapsedMs;
      }
      if (cancelArmedAt !== null && elapsedMs >= cancelArmedAt + (cancel.delayMs ?? 0)) {
        remember();
        cancelSent = { signal: cancel.signal, sentAtMs: elapsedMs };
        if (cancel.target === "group") killGroup(cancel.signal);
        else child.kill(cancel.signal);
      }
    }
  }, POLL_MS);
  const timeout = setTimeout(() => {
    timedOut = true;
    killGroup("SIGTERM");
    setTimeout(() => {
      killGroup("SIGKILL");
    }, 3000).unref();
  }, timeoutMs);

  return new Promise((resolve, reject) => {
    let finished = false;
    child.on("error", (err) => {
      clearInterval(poll);
      clearTimeout(timeout);
      finished = true;
      reject(err);
    });
    // "exit", not "close": a leftover tool process may hold stdout open.
    child.on("exit", (code, signal) => {
      const exitedAt = Date.now() - started;
      clearInterval(poll);
      clearTimeout(timeout);
      let settled = false;
      const finish = (): void => {
        if (settled || finished) return;
        settled = true;
        child.stdout.destroy();
        child.stderr.destroy();
        const leftovers = [...seen.values()].filter(stillAlive);
        for (const p of leftovers) {
          try {
            process.kill(p.pid, "SIGKILL");
          } catch {
            // raced with its exit
          }
        }
        killGroup("SIGKILL");
        const sent = cancelSent;
        resolve({
          pid: pid ?? -1,
          stdout,
          stderr,
          exitCode: code,
          signal,
          durationMs: exitedAt,
          timedOut,
          leftovers,
          descendantsSeen: [...seen.values()],
          ...(sent ? { cancel: { ...sent, exitDelayMs: exitedAt - sent.sentAtMs } } : {}),
        });
      };
      // Let the pipes drain (bounded), then look for leftovers 300 ms later.
      const drained = new Promise<void>((done) => {
        child.on("close", () => {
          done();
        });
        setTimeout(done, 1000);
      });
      void drained.then(() => {
        setTimeout(finish, 300);
      });
    });
  });
}
