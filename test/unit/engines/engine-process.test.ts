import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { spawnEngine } from "../../../src/engines/engine-process.js";

const SETTINGS = { graceMs: 500, stderrTailBytes: 1024, drainIdleMs: 1000 };

async function readAll(stdout: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdout) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

describe("spawnEngine", () => {
  // On a loaded bridge the runner starts reading only after the engine is done:
  // execa (buffer: false) and Node (on the child's exit) drain a stream nobody
  // reads, and a quick engine's whole answer was lost.
  it("keeps everything an engine printed for a reader that comes after the engine exited", async () => {
    const engine = spawnEngine(
      { command: process.execPath, args: ["-e", "process.stdout.write('first\\nsecond\\n')"], env: { PATH: process.env.PATH ?? "" }, stdin: null },
      process.cwd(),
      SETTINGS,
    );
    expect(await engine.spawnFailure).toBeNull();
    await engine.exited;
    // Let every deferred drain run: execa's setImmediate, Node's flush on exit.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    await sleep(50);

    expect(await readAll(engine.stdout)).toBe("first\nsecond\n");
    await engine.closed;
  });
});
