/**
 * Process-tree termination for engine runs.
 *
 * Engines are started as process-group leaders, but signalling the group is
 * not always enough: real CLIs (opencode 1.18, pi 0.73 on SIGINT) leave tool
 * processes running when only the parent is signalled, and a tool may start
 * its own session (`setsid`, a PTY) and so leave the group. Before signalling
 * we therefore snapshot every descendant from /proc, and we keep each one's
 * start time so a recycled pid is never mistaken for it.
 */
import { readdir, readFile } from "node:fs/promises";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Start time in clock ticks since boot: with the pid, identifies a process over time. */
  startTime: string;
  /** `Z` for a zombie, which is dead and only waits to be reaped. */
  state: string;
}

/** Parses `/proc/<pid>/stat`; the command name may contain spaces and parentheses. */
export function parseProcStat(text: string): ProcessInfo | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // Fields after the name: state(3) ppid(4) pgrp(5) session(6) … starttime(22).
  const rest = text.slice(close + 2).split(" ");
  const state = rest[0];
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  const startTime = rest[19];
  if (state === undefined || startTime === undefined || !Number.isInteger(pid) || !Number.isInteger(ppid)) return null;
  return { pid, ppid, pgid, startTime, state };
}

export async function readProcess(pid: number): Promise<ProcessInfo | null> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

/** All processes on the machine (empty where /proc is not available). */
export async function listProcesses(): Promise<ProcessInfo[]> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return [];
  }
  const infos = await Promise.all(entries.filter((name) => /^\d+$/.test(name)).map((name) => readProcess(Number(name))));
  return infos.filter((info): info is ProcessInfo => info !== null);
}

/** Every live descendant of `root` (children, grandchildren, …), whatever their group or session. */
export async function listDescendants(root: number): Promise<ProcessInfo[]> {
  const all = await listProcesses();
  const children = new Map<number, ProcessInfo[]>();
  for (const info of all) {
    const list = children.get(info.ppid);
    if (list) list.push(info);
    else children.set(info.ppid, [info]);
  }
  const found: ProcessInfo[] = [];
  const queue = [root];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** True while `info` still names the same, not yet dead, process. */
export async function isSameProcessAlive(info: Pick<ProcessInfo, "pid" | "startTime">): Promise<boolean> {
  const now = await readProcess(info.pid);
  return now !== null && now.startTime === info.startTime && now.state !== "Z";
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // ESRCH (already gone) or EPERM (not ours any more): nothing left to do.
  }
}

export interface TerminateOptions {
  /** Time between SIGTERM and SIGKILL (spec §4.2: 2 s). */
  graceMs: number;
  /** Resolves when the group leader has exited. */
  exited: Promise<unknown>;
}

/**
 * SIGTERM the process group of `leader` and every descendant, wait for the
 * leader up to `graceMs`, then SIGKILL whatever of the tree is still alive —
 * including processes that were re-parented away when their parent died.
 */
export async function terminateProcessTree(leader: number, options: TerminateOptions): Promise<void> {
  const tracked = new Map<number, ProcessInfo>();
  const track = (infos: ProcessInfo[]): void => {
    for (const info of infos) tracked.set(info.pid, info);
  };
  track(await listDescendants(leader));

  signal(-leader, "SIGTERM");
  for (const info of tracked.values()) signal(info.pid, "SIGTERM");

  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.graceMs);
  });
  await Promise.race([options.exited, graceOver]);
  // Children that outlive the leader are not signalled by it; give them the same grace.
  track(await listDescendants(leader));
  const survivors = async (): Promise<ProcessInfo[]> => {
    const alive = await Promise.all([...tracked.values()].map(async (info) => ((await isSameProcessAlive(info)) ? info : null)));
    return alive.filter((info): info is ProcessInfo => info !== null);
  };
  if ((await survivors()).length > 0) await graceOver;
  clearTimeout(timer);

  track(await listDescendants(leader));
  signal(-leader, "SIGKILL");
  for (const info of await survivors()) {
    signal(info.pid, "SIGKILL");
    if (info.pgid === info.pid) signal(-info.pid, "SIGKILL");
  }
  // SIGKILL is delivered asynchronously: return once the tree is really gone,
  // so "cancelled" means no process of the run is left.
  const deadline = Date.now() + KILL_SETTLE_MS;
  while ((await survivors()).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.race([options.exited, new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())))]);
}

/** How long to wait for SIGKILLed processes to disappear. */
const KILL_SETTLE_MS = 2000;

/**
 * Process groups of runs in flight, so that if takopi itself exits they do not
 * outlive it (detached groups are not killed with their parent).
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

export function registerLiveGroup(pgid: number): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const group of liveGroups) signal(-group, "SIGKILL");
    });
  }
  liveGroups.add(pgid);
  return () => liveGroups.delete(pgid);
}
