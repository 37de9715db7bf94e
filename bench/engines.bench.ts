/**
 * Engine-side costs, each as a ratio against a baseline measured in the same
 * run (so the numbers mean something on any machine):
 *
 * - translate: recorded lines through JsonlStream + the engine's translator,
 *   against JSON.parse of the same lines (the least any decoder must do);
 * - spawn: a short run through EngineRunner, against running the same script
 *   with plain execa and reading its output;
 * - stream: peak memory and time reading 512 MiB of engine output through
 *   EngineRunner, against reading it as raw chunks.
 *
 *   npm run bench:engines    (rewrites the engines section of bench/RESULTS.md)
 */
import { readdirSync, readFileSync } from "node:fs";
import { execa } from "execa";
import { JsonlStream } from "../src/engines/jsonl-stream.js";
import { EngineRunner } from "../src/engines/runner.js";
import { engineBackend, ENGINE_IDS } from "../test/support/engine-backends.js";
import { passthroughBackend } from "../test/support/passthrough-backend.js";
import { scratchDir } from "../test/support/scripts.js";
import { generatedBy, resultsTable, timeIt, writeResultsSection, type Row } from "./support.js";

const FIXTURES = new URL("../test/fixtures/engines/", import.meta.url);

async function translateRows(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const engine of ENGINE_IDS) {
    const backend = engineBackend(engine);
    const recordings = readdirSync(FIXTURES)
      .filter((name) => name.startsWith(`${engine}_`) && name.endsWith(".jsonl"))
      .map((name) => readFileSync(new URL(name, FIXTURES), "utf8").split("\n").filter((line) => line.trim() !== ""));
    const lines = recordings.reduce((sum, rec) => sum + rec.length, 0);
    const repeat = Math.ceil(20_000 / lines);
    const parse = await timeIt(5, () => {
      for (let r = 0; r < repeat; r++) for (const rec of recordings) for (const line of rec) JSON.parse(line);
    });
    const translate = await timeIt(5, () => {
      for (let r = 0; r < repeat; r++) {
        for (const rec of recordings) {
          const stream = new JsonlStream(backend, { cwd: "$REPO", resume: null });
          for (const line of rec) stream.line(line);
          stream.end({ exitCode: 0, signal: null, stderrTail: "" });
        }
      }
    });
    const total = repeat * lines;
    rows.push({
      what: `translate ${engine} (${total} lines)`,
      baseline: `JSON.parse ${(parse / total * 1000).toFixed(2)} µs/line`,
      measured: `${(translate / total * 1000).toFixed(2)} µs/line`,
      ratio: translate / parse,
    });
  }
  return rows;
}

async function spawnAndStreamRows(): Promise<Row[]> {
  const dir = await scratchDir("takopi-bench-");
  try {
    const quick = await dir.script(
      "quick",
      `console.log('{"type":"started","id":"s"}'); console.log('{"type":"completed","answer":"ok"}');`,
    );
    const runner = new EngineRunner({ backend: passthroughBackend, config: { args: [] }, command: quick });
    const drain = async (events: AsyncIterable<unknown>) => {
      let count = 0;
      for await (const _ of events) count += 1;
      return count;
    };
    const plain = await timeIt(15, () => execa(quick, [], { input: "" }));
    const viaRunner = await timeIt(15, () => drain(runner.run({ prompt: "", resume: null, cwd: dir.path })));

    const bytes = 512 * 1024 * 1024;
    const flood = await dir.script(
      "flood",
      `const line = Buffer.from(JSON.stringify({ type: "action", id: "a", title: "t".repeat(16384 - 40) }) + "\\n");
       let left = ${bytes / 16384};
       (function pump() { while (left > 0) { left--; if (!process.stdout.write(line)) return process.stdout.once("drain", pump); }
         process.stdout.write('{"type":"completed","answer":"done"}\\n'); })();`,
    );
    const peakDuring = async (fn: () => Promise<unknown>) => {
      global.gc?.();
      const base = process.memoryUsage().rss;
      let peak = base;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 10);
      const start = performance.now();
      await fn();
      const ms = performance.now() - start;
      clearInterval(timer);
      return { ms, mib: (peak - base) / 1024 / 1024 };
    };
    const raw = await peakDuring(async () => {
      const child = execa(flood, [], { input: "", buffer: false });
      let bytes = 0;
      for await (const chunk of child.stdout) bytes += (chunk as Buffer).length;
      await child;
      return bytes;
    });
    const floodRunner = new EngineRunner({ backend: passthroughBackend, config: { args: [] }, command: flood });
    const streamed = await peakDuring(() => drain(floodRunner.run({ prompt: "", resume: null, cwd: dir.path })));
    return [
      { what: "spawn a short run", baseline: `plain execa ${plain.toFixed(1)} ms`, measured: `${viaRunner.toFixed(1)} ms`, ratio: viaRunner / plain },
      {
        what: "read 512 MiB of output: time",
        baseline: `raw chunks ${raw.ms.toFixed(0)} ms`,
        measured: `${streamed.ms.toFixed(0)} ms`,
        ratio: streamed.ms / raw.ms,
      },
      {
        what: "read 512 MiB of output: peak RSS growth",
        baseline: `raw chunks ${raw.mib.toFixed(1)} MiB`,
        measured: `${streamed.mib.toFixed(1)} MiB`,
        ratio: streamed.mib / Math.max(raw.mib, 1),
      },
    ];
  } finally {
    await dir.dispose();
  }
}

const rows = [...(await translateRows()), ...(await spawnAndStreamRows())];
const table = resultsTable(rows);
writeResultsSection(
  "engines",
  `${generatedBy("npm run bench:engines")}
Each row is a ratio against a baseline measured in the same run; absolute numbers vary by machine, ratios much less.

${table}

- **translate**: recorded lines (\`test/fixtures/engines\`) through \`JsonlStream\` and the engine's translator, against
  \`JSON.parse\` of the same lines. Translators check each line against zod schemas of the fields they use, hence a
  few times the parse cost; it stays in microseconds per line, far below what any engine prints.
- **spawn**: one short run through \`EngineRunner\` (cwd check, process group, stderr tail, locks) against plain execa.
- **read 512 MiB**: 16 KiB lines, each decoded and translated, against reading raw chunks; memory stays bounded.
`,
);
process.stdout.write(`${table}\n`);
