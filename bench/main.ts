/**
 * `npm run bench`: every figure of the performance issue in one table, each a
 * ratio against a baseline measured in the same run, next to its target.
 * Writes the `figures` section of bench/RESULTS.md with the machine it ran
 * on, and prints the table. A figure that misses its target says why in the
 * notes under the table.
 *
 *   npm run bench                 (builds first; several minutes, Docker needed for /reload)
 *   BENCH_ONLY=load,spawn …       (some groups only: startup, spawn, load, reload)
 *   BENCH_VERBOSE=1 …             (samples on stderr)
 */
import { cpus, totalmem, release } from "node:os";
import { generatedBy, figuresTable, met, writeResultsSection, type Figure } from "./support.js";
import { loadFigures } from "./load.bench.js";
import { reloadFigures } from "./reload.bench.js";
import { spawnFigures } from "./spawn.bench.js";
import { startupFigures } from "./startup.bench.js";

/** In this order: start-up first, on a machine nothing else of the bench has warmed or loaded. */
const GROUPS: readonly (readonly [string, () => Promise<Figure[]>])[] = [
  ["startup", startupFigures],
  ["spawn", spawnFigures],
  ["load", loadFigures],
  ["reload", reloadFigures],
];

function machine(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? "unknown CPU";
  return `${model}, ${cores.length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Linux ${release()}`;
}

const only = process.env.BENCH_ONLY?.split(",");
const started = Date.now();
const figures: Figure[] = [];
for (const [name, measure] of GROUPS) {
  if (only !== undefined && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  figures.push(...(await measure()));
}
const seconds = ((Date.now() - started) / 1000).toFixed(0);
const table = figuresTable(figures);
const notes = figures
  .filter((figure) => figure.note !== undefined || figure.miss !== undefined || !met(figure))
  .map((figure) => {
    const miss = met(figure) ? "" : ` **Missed:** ${figure.miss ?? "no cause given"}`;
    return `- **${figure.what}**: ${figure.note ?? ""}${miss}`.replace(/: $/, "");
  });
const missed = figures.filter((figure) => !met(figure)).length;
writeResultsSection(
  "figures",
  `## The issue's figures

${generatedBy("npm run bench")}
Machine: ${machine()}. ${figures.length} figures in ${seconds} s; ${missed === 0 ? "every target met" : `${missed} target(s) missed, with the cause below`}.
Each ratio is takopi's figure over a baseline measured in the same run, so it means the same on a faster or slower
machine; the absolute times are this machine's.

${table}

${notes.join("\n")}
`,
);
process.stdout.write(`${table}\n`);
if (only === undefined && missed > 0) process.stderr.write(`bench: ${missed} target(s) missed; see bench/RESULTS.md\n`);
