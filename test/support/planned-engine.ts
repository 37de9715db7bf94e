/**
 * A real engine process that follows a plan (upstream's ScriptRunner, as a
 * fake CLI): per prompt, a list of steps — print a passthrough event line,
 * wait for a gate file, leave a mark, log a line, exit, hang. Gates let a test
 * hold a run at an exact point and release it, so tests follow events, not
 * timing. Runs go through the real `EngineRunner` with the passthrough backend.
 */
import { access, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EngineRunner } from "../../src/engines/runner.js";
// The runner loads engine-process (and execa) at its first spawn; load it with the test file instead, so a
// test's first run does not spend its timeout on vitest transforming modules on a busy machine.
import "../../src/engines/engine-process.js";
import { passthroughBackend, type PassthroughConfig } from "./passthrough-backend.js";
import type { ScratchDir } from "./scripts.js";

/**
 * One step. Strings in `emit`, `gate`, `mark` and `log` may use `$PROMPT` (the
 * prompt read from stdin) and `$RESUME` (the `--resume` value, or empty).
 */
export type PlanStep =
  | { emit: Record<string, unknown> }
  | { gate: string }
  | { mark: string }
  | { log: string }
  | { exit: number }
  | { hang: true };

/** Passthrough event lines (see passthrough-backend.ts). */
export const say = {
  started: (id: string): PlanStep => ({ emit: { type: "started", id } }),
  action: (id: string, title: string): PlanStep => ({ emit: { type: "action", id, title } }),
  completed: (answer: string, ok = true): PlanStep => ({ emit: { type: "completed", answer, ok } }),
};

export interface PlannedEngine {
  runner: EngineRunner<PassthroughConfig>;
  /** Sets the steps for runs whose prompt is exactly `prompt` (`*`: any other prompt). */
  plan(prompt: string, steps: PlanStep[]): Promise<void>;
  /** Lets runs waiting at `gate` go on. */
  open(gate: string): Promise<void>;
  /** The pid a run left at `mark`, or null if it has not got there. */
  marked(mark: string): Promise<number | null>;
  /** Lines logged by `log` steps, in order. */
  log(): Promise<string[]>;
}

const INTERPRETER = (dir: string): string => `
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const dir = ${JSON.stringify(dir)};
let input = "";
for await (const chunk of process.stdin) input += chunk;
const at = process.argv.indexOf("--resume");
const resume = at >= 0 ? (process.argv[at + 1] ?? "") : "";
const plans = JSON.parse(readFileSync(join(dir, "plans.json"), "utf8"));
const steps = plans[input] ?? plans["*"];
if (steps === undefined) {
  process.stderr.write("no plan for prompt " + JSON.stringify(input) + "\\n");
  process.exit(2);
}
const fill = (value) =>
  typeof value === "string" ? value.replaceAll("$PROMPT", input).replaceAll("$RESUME", resume)
  : Array.isArray(value) ? value.map(fill)
  : value !== null && typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]))
  : value;
const write = (line) => new Promise((resolve) => process.stdout.write(line + "\\n", resolve));
for (const step of steps) {
  if ("emit" in step) await write(JSON.stringify(fill(step.emit)));
  else if ("gate" in step) { const file = join(dir, fill(step.gate)); while (!existsSync(file)) await new Promise((r) => setTimeout(r, 10)); }
  else if ("mark" in step) writeFileSync(join(dir, fill(step.mark)), String(process.pid));
  else if ("log" in step) appendFileSync(join(dir, "engine.log"), fill(step.log) + "\\n");
  else if ("exit" in step) process.exit(step.exit);
  else if ("hang" in step) { setInterval(() => {}, 1000); await new Promise(() => {}); }
}
`;

export async function plannedEngine(dir: ScratchDir, name = "planned-engine"): Promise<PlannedEngine> {
  const command = await dir.script(name, INTERPRETER(dir.path));
  const plans: Record<string, PlanStep[]> = {};
  await writeFile(join(dir.path, "plans.json"), "{}");
  const runner = new EngineRunner({ backend: passthroughBackend, config: { args: [] }, command, graceMs: 500 });
  return {
    runner,
    async plan(prompt, steps) {
      plans[prompt] = steps;
      await writeFile(join(dir.path, "plans.json"), JSON.stringify(plans));
    },
    async open(gate) {
      await writeFile(join(dir.path, gate), "");
    },
    async marked(mark) {
      try {
        await access(join(dir.path, mark));
      } catch {
        return null;
      }
      return Number(await readFile(join(dir.path, mark), "utf8"));
    },
    async log() {
      const text = await readFile(join(dir.path, "engine.log"), "utf8").catch(() => "");
      return text.split("\n").filter((line) => line !== "");
    },
  };
}
