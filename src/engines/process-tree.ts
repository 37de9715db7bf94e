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

/**
 * Every live process that belongs to a run: descendants of the leader or of any
 * process already tracked (their parent may have died and left them with init),
 * and members of the leader's group or of a group a tracked process leads (a
 * tool that called `setsid` keeps its group id even after it is re-parented).
 */
async function listRunFamily(leader: number, tracked: ReadonlyMap<number, ProcessInfo>): Promise<ProcessInfo[]> {
  const all = await listProcesses();
  const children = new Map<number, ProcessInfo[]>();
  for (const info of all) {
    const list = children.get(info.ppid);
    if (list) list.push(info);
    else children.set(info.ppid, [info]);
  }
  const byPid = new Map(all.map((info) => [info.pid, info]));
  const groups = new Set<number>([leader]);
  for (const info of tracked.values()) {
    if (info.pgid !== info.pid) continue;
    // A group outlives its leader; but a pid reused by an unrelated process is not ours.
    const now = byPid.get(info.pid);
    if (now === undefined || now.startTime === info.startTime) groups.add(info.pid);
  }
  const found = new Map<number, ProcessInfo>();
  const queue = [leader, ...tracked.keys()];
  for (const info of all) {
    if (info.pid !== leader && groups.has(info.pgid) && !found.has(info.pid)) {
      found.set(info.pid, info);
      queue.push(info.pid);
    }
  }
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      if (found.has(child.pid)) continue;
      found.set(child.pid, child);
      queue.push(child.pid);
    }
  }
  return [...found.values()].filter((info) => info.state !== "Z");
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
  /** Time between SIGTERM and SIGKILL (2 s, as upstream). */
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
  /** Adds the run's current processes; returns the ones not seen before. */
  const track = async (): Promise<ProcessInfo[]> => {
    const fresh: ProcessInfo[] = [];
    for (const info of await listRunFamily(leader, tracked)) {
      const known = tracked.get(info.pid);
      if (known?.startTime === info.startTime) continue;
      tracked.set(info.pid, info);
      fresh.push(info);
    }
    return fresh;
  };
  await track();

  signal(-leader, "SIGTERM");
  for (const info of tracked.values()) signal(info.pid, "SIGTERM");
  // A tool may have been forking while we looked: look again and give newcomers the same signal.
  for (const info of await track()) signal(info.pid, "SIGTERM");

  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.graceMs);
  });
  await Promise.race([options.exited, graceOver]);
  // Children that outlive the leader are not signalled by it; give them the same grace.
  for (const info of await track()) signal(info.pid, "SIGTERM");
  const survivors = async (): Promise<ProcessInfo[]> => {
    const alive = await Promise.all([...tracked.values()].map(async (info) => ((await isSameProcessAlive(info)) ? info : null)));
    return alive.filter((info): info is ProcessInfo => info !== null);
  };
  if ((await survivors()).length > 0) await graceOver;
  clearTimeout(timer);

  await track();
  signal(-leader, "SIGKILL");
  const family = await listRunFamily(leader, tracked);
  for (const info of tracked.values()) {
    // A group a tool leads is killed even when its leader already exited, as long as it still has members of ours.
    if (info.pgid === info.pid && family.some((member) => member.pgid === info.pid)) signal(-info.pid, "SIGKILL");
  }
  for (const info of await survivors()) signal(info.pid, "SIGKILL");
  for (const info of await track()) signal(info.pid, "SIGKILL");
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
