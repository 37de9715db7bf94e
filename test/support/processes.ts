/** Finding a test's processes by a marker in their command line, to prove none survived. */
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
