/** Finding a test's processes (by a marker in their command line, or below a root) to prove none survived. */
import { readFile } from "node:fs/promises";
import { listProcesses } from "../../src/engines/process-tree.js";

/** Pids of live (non-zombie) processes whose command line contains `marker`. */
export async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const info of await listProcesses()) {
    if (info.state === "Z") continue;
    const cmdline = await readFile(`/proc/${info.pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(marker)) found.push(info.pid);
  }
  return found;
}

/** Every live (non-zombie) process descending from `root`, with its command line. */
export async function descendants(root: number): Promise<Map<number, string>> {
  const all = (await listProcesses()).filter((info) => info.state !== "Z");
  const found = new Map<number, string>();
  let frontier = [root];
  while (frontier.length > 0) {
    const children = all.filter((info) => frontier.includes(info.ppid) && !found.has(info.pid));
    for (const child of children) found.set(child.pid, (await readFile(`/proc/${child.pid}/cmdline`, "utf8").catch(() => "")).replaceAll("\0", " "));
    frontier = children.map((child) => child.pid);
  }
  return found;
}

/** Whether `pid` still runs (a zombie is dead, only not reaped yet). */
export async function isRunning(pid: number): Promise<boolean> {
  return (await listProcesses()).some((info) => info.pid === pid && info.state !== "Z");
}
