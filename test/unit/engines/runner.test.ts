import { chmod, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TakopiEvent } from "../../../src/core/events.js";
import { EngineRunner } from "../../../src/engines/runner.js";
// Loaded with the file, not inside the first test's timeout (the runner imports it at its first spawn).
import "../../../src/engines/engine-process.js";
import { Redactor } from "../../../src/secrets/redactor.js";
import { readProcess } from "../../../src/engines/process-tree.js";
import { passthroughBackend } from "../../support/passthrough-backend.js";
import { processesWith } from "../../support/processes.js";
import { scratchDir, waitFor, type ScratchDir } from "../../support/scripts.js";

let dir: ScratchDir;
beforeEach(async () => {
  dir = await scratchDir();
});
afterEach(async () => {
  await dir.dispose();
});

function runnerFor(command: string, options: Partial<ConstructorParameters<typeof EngineRunner>[0]> = {}) {
  return new EngineRunner({ backend: passthroughBackend, config: { args: [] }, command, graceMs: 500, ...options });
}

async function collect(events: AsyncIterable<TakopiEvent>): Promise<TakopiEvent[]> {
  const out: TakopiEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe("EngineRunner", () => {
  it("passes the prompt on stdin and the run dir as cwd, and translates stdout", async () => {
    const cli = await dir.script(
      "engine",
      `let input = "";
       process.stdin.on("data", (d) => (input += d));
       process.stdin.on("end", () => {
         console.log(JSON.stringify({ type: "started", id: "s-1" }));
         console.log(JSON.stringify({ type: "action", id: "a1", title: process.cwd() }));
         console.log(JSON.stringify({ type: "echo_stdin", text: input }));
       });`,
    );
    const events = await collect(runnerFor(cli).run({ prompt: "hello there", resume: null, cwd: dir.path }));
    expect(events.map((e) => e.type)).toEqual(["started", "action", "completed"]);
    expect(events[1]).toMatchObject({ action: { title: dir.path } });
    expect(events[2]).toMatchObject({ ok: true, answer: "hello there", resume: { engine: "passthrough", value: "s-1" } });
  });

  it("turns a malformed line into a warning and keeps going", async () => {
    const cli = await dir.script(
      "engine",
      `console.log('{"type":"started","id":"s"}');
       console.log('{not json');
       console.log('{"type":"completed","answer":"fine"}');`,
    );
    const events = await collect(runnerFor(cli).run({ prompt: "", resume: null, cwd: dir.path }));
    expect(events).toHaveLength(3);
    expect(events[1]).toMatchObject({
      type: "action",
      action: { kind: "warning", title: "invalid JSON from passthrough; ignoring line", detail: { line: "{not json" } },
      ok: false,
    });
    expect(events[2]).toMatchObject({ type: "completed", ok: true, answer: "fine" });
  });

  it("reports a non-zero exit with the useful end of stderr, without the noise", async () => {
    const cli = await dir.script(
      "engine",
      `console.log('{"type":"started","id":"s"}');
       console.error("NOISE: harmless warning");
       console.error("\\u001b[31mError: session not found\\u001b[0m");
       process.exit(3);`,
    );
    const events = await collect(runnerFor(cli).run({ prompt: "", resume: null, cwd: dir.path }));
    const last = events.at(-1);
    expect(last).toMatchObject({ type: "completed", ok: false, resume: { value: "s" } });
    expect(last?.type === "completed" ? last.error : "").toBe("passthrough failed (rc=3).\nError: session not found");
  });

  it("redacts secrets in the stderr it puts into the error and the debug log", async () => {
    const key = "sk-proj-Leaked0123456789abcdef";
    const cli = await dir.script(
      "engine",
      `console.log('{"type":"started","id":"s"}');
       console.error("OPENAI_API_KEY=${key}");
       console.error("Error: 401 Incorrect API key provided: ${key}");
       process.exitCode = 1;`,
    );
    const lines: string[] = [];
    const log = pino({ level: "debug", base: null }, { write: (line: string) => lines.push(line) });
    const redactor = Redactor.of([{ name: "OPENAI_API_KEY", value: key }]);
    const events = await collect(runnerFor(cli, { redactor, log }).run({ prompt: "", resume: null, cwd: dir.path }));
    const last = events.at(-1);
    expect(last?.type === "completed" ? last.error : "").toBe(
      "passthrough failed (rc=1).\nOPENAI_API_KEY=[REDACTED:OPENAI_API_KEY]\nError: 401 Incorrect API key provided: [REDACTED:OPENAI_API_KEY]",
    );
    expect(lines.join("")).toContain("engine ended without a result event");
    expect(lines.join("")).not.toContain(key);
  });

  it("explains a missing CLI instead of crashing", async () => {
    const events = await collect(runnerFor(join(dir.path, "nope")).run({ prompt: "", resume: null, cwd: dir.path }));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "completed", ok: false });
    expect(events[0]?.type === "completed" ? events[0].error : "").toMatch(/nope not found on PATH; install it with: write a test script/);
  });

  it("explains a missing working directory", async () => {
    const cli = await dir.script("engine", "");
    const events = await collect(runnerFor(cli).run({ prompt: "", resume: null, cwd: join(dir.path, "gone") }));
    expect(events[0]).toMatchObject({ type: "completed", ok: false, error: `working directory ${join(dir.path, "gone")} does not exist` });
  });

  it("cancel kills the whole process tree, including tools in their own session that ignore SIGTERM", async () => {
    const marker = `takopi-cancel-${process.pid}-${Date.now()}`;
    const pidsFile = join(dir.path, "pids.json");
    const cli = await dir.script(
      "engine",
      `import { spawn } from "node:child_process";
       import { writeFileSync } from "node:fs";
       const keep = (args, opts = {}) => spawn(args[0], args.slice(1), { stdio: "ignore", ...opts });
       // same process group
       const a = keep(["sh", "-c", "sleep 300 # ${marker}"]);
       // its own session (setsid), ignoring SIGTERM, with a child of its own
       const b = keep(["setsid", "sh", "-c", "trap '' TERM; sh -c 'sleep 301 # ${marker}' & wait # ${marker}"]);
       // its own process group, ignoring SIGTERM
       const c = keep([process.execPath, "-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); // ${marker}"], { detached: true });
       writeFileSync(${JSON.stringify(pidsFile)}, JSON.stringify([process.pid, a.pid, b.pid, c.pid]));
       console.log(JSON.stringify({ type: "started", id: "s" }));
       console.log(JSON.stringify({ type: "action", id: "a1", title: "sleeping" }));
       process.on("SIGTERM", () => {}); // the CLI itself ignores SIGTERM too
       setInterval(() => {}, 1000);`,
    );
    const controller = new AbortController();
    const seen: TakopiEvent[] = [];
    const run = (async () => {
      for await (const event of runnerFor(cli).run({ prompt: "", resume: null, cwd: dir.path }, { signal: controller.signal })) {
        seen.push(event);
      }
    })();
    await waitFor(() => seen.length >= 2, 10_000, "the engine to start");
    await waitFor(async () => (await processesWith(marker)).length >= 4, 10_000, "all tool processes to start");
    const pids = JSON.parse(await readFile(pidsFile, "utf8")) as number[];

    controller.abort();
    await run;

    // No completed after a cancel: the bridge shows the run as cancelled.
    expect(seen.map((e) => e.type)).toEqual(["started", "action"]);
    for (const pid of pids) {
      const info = await readProcess(pid);
      const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
      expect(info === null || info.state === "Z", `pid ${pid} survived: ${JSON.stringify(info)} ${cmdline}`).toBe(true);
    }
    expect(await processesWith(marker)).toEqual([]);
  });

  it("stopping early (consumer break) also kills the tree", async () => {
    const marker = `takopi-break-${process.pid}-${Date.now()}`;
    const cli = await dir.script(
      "engine",
      `import { spawn } from "node:child_process";
       spawn("sh", ["-c", "sleep 302 # ${marker}"], { stdio: "ignore" });
       console.log(JSON.stringify({ type: "started", id: "s" }));
       setInterval(() => {}, 1000);`,
    );
    for await (const event of runnerFor(cli).run({ prompt: "", resume: null, cwd: dir.path })) {
      expect(event.type).toBe("started");
      await waitFor(async () => (await processesWith(marker)).length > 0, 10_000, "the tool to start");
      break;
    }
    expect(await processesWith(marker)).toEqual([]);
  });

  it("does not hang when a background tool keeps stdout open after the CLI exits", async () => {
    const marker = `takopi-bg-${process.pid}-${Date.now()}`;
    const cli = await dir.script(
      "engine",
      `import { spawn } from "node:child_process";
       // inherits our stdout and outlives us by far: waiting for EOF would hang the test until its timeout
       spawn(process.execPath, ["-e", "setTimeout(() => {}, 303000) // ${marker}"], { stdio: ["ignore", "inherit", "ignore"], detached: true }).unref();
       console.log(JSON.stringify({ type: "started", id: "s" }));
       console.log(JSON.stringify({ type: "completed", answer: "done" }));`,
    );
    try {
      const events = await collect(runnerFor(cli, { drainIdleMs: 200 }).run({ prompt: "", resume: null, cwd: dir.path }));
      expect(events.at(-1)).toMatchObject({ type: "completed", ok: true, answer: "done" });
      // After a normal end, what the engine left running on purpose is not ours to kill.
      expect(await processesWith(marker)).toHaveLength(1);
    } finally {
      for (const pid of await processesWith(marker)) process.kill(pid, "SIGKILL");
    }
  });

  it("does not hang when a background tool keeps stderr open too", async () => {
    const marker = `takopi-bg-err-${process.pid}-${Date.now()}`;
    const cli = await dir.script(
      "engine",
      `import { spawn } from "node:child_process";
       // execa's promise waits for stderr to close; this one holds it for five minutes
       spawn(process.execPath, ["-e", "setTimeout(() => {}, 304000) // ${marker}"], { stdio: ["ignore", "inherit", "inherit"], detached: true }).unref();
       console.error("a warning first");
       console.log(JSON.stringify({ type: "started", id: "s" }));
       console.log(JSON.stringify({ type: "completed", answer: "done" }));`,
    );
    try {
      const events = await collectWithin(runnerFor(cli, { drainIdleMs: 200 }).run({ prompt: "", resume: null, cwd: dir.path }), 8_000);
      expect(events.at(-1)).toMatchObject({ type: "completed", ok: true, answer: "done" });
      expect(await processesWith(marker)).toHaveLength(1);
    } finally {
      for (const pid of await processesWith(marker)) process.kill(pid, "SIGKILL");
    }
  }, 20_000);

  it("runs of the same session wait for each other; new sessions run in parallel", async () => {
    const log = join(dir.path, "log.txt");
    const release = join(dir.path, "release");
    // The prompt (stdin) names the run; a run ends only once the test creates `release`.
    const cli = await dir.script(
      "engine",
      `import { appendFileSync, existsSync } from "node:fs";
       let tag = "";
       process.stdin.on("data", (d) => (tag += d));
       process.stdin.on("end", () => {
         const at = process.argv.indexOf("--resume");
         appendFileSync(${JSON.stringify(log)}, tag + " start\\n");
         console.log(JSON.stringify({ type: "started", id: at >= 0 ? process.argv[at + 1] : tag }));
         const timer = setInterval(() => {
           if (!existsSync(${JSON.stringify(release)})) return;
           clearInterval(timer);
           appendFileSync(${JSON.stringify(log)}, tag + " end\\n");
           console.log(JSON.stringify({ type: "completed", answer: tag }));
         }, 20);
       });`,
    );
    const runner = runnerFor(cli);
    const run = async (tag: string, resume: string | null, seen: TakopiEvent[] = []) => {
      const events = runner.run({ prompt: tag, resume: resume === null ? null : { engine: "passthrough", value: resume }, cwd: dir.path });
      for await (const event of events) seen.push(event);
      return seen;
    };
    const readLog = async () => (await readFile(log, "utf8").catch(() => "")).trim().split("\n").filter((line) => line !== "");
    const reset = async () => {
      await rm(release, { force: true });
      await dir.file("log.txt", "");
    };
    /** Lets the runs finish once `before` holds, and returns the log. */
    const settle = async (runs: Promise<unknown>[]) => {
      await dir.file("release", "");
      await Promise.all(runs);
      return readLog();
    };

    // Same session: B may not start while A runs.
    await reset();
    const sameSession = [run("A", "shared"), run("B", "shared")];
    await waitFor(async () => (await readLog()).length > 0, 10_000, "the first run to start");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await readLog()).toHaveLength(1);
    const serial = await settle(sameSession);
    expect(serial[1]).toMatch(/ end$/);
    expect(serial.map((line) => line.split(" ")[1])).toEqual(["start", "end", "start", "end"]);

    // New sessions: both run at once (this would time out if they were serialized).
    await reset();
    const fresh = [run("C", null), run("D", null)];
    await waitFor(async () => (await readLog()).length === 2, 10_000, "both new sessions to start");
    expect((await readLog()).sort()).toEqual(["C start", "D start"]);
    await settle(fresh);

    // A new session becomes exclusive once known: resuming it waits for the first run.
    // (A resume token only exists once its `started` was seen, so wait for that.)
    await reset();
    const seenE: TakopiEvent[] = [];
    const first = run("E", null, seenE);
    await waitFor(() => seenE.some((event) => event.type === "started"), 10_000, "E's session to be known");
    const resumed = run("F", "E");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await readLog()).toEqual(["E start"]);
    expect(await settle([first, resumed])).toEqual(["E start", "E end", "F start", "F end"]);
  });

  it("refuses a resume token of another engine", async () => {
    const cli = await dir.script("engine", "");
    await expect(collect(runnerFor(cli).run({ prompt: "", resume: { engine: "codex", value: "x" }, cwd: dir.path }))).rejects.toThrow(
      "resume token is for engine 'codex', not 'passthrough'",
    );
  });
});

/** The run's events, or a failure naming the hang: a spawn failure must end the run within `ms`. */
async function collectWithin(events: AsyncIterable<TakopiEvent>, ms = 3_000): Promise<TakopiEvent[]> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the run did not end within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([collect(events), hang]);
  } finally {
    clearTimeout(timer);
  }
}

function errorOf(events: TakopiEvent[]): string {
  const last = events.at(-1);
  return last?.type === "completed" ? (last.error ?? "") : `no completed event: ${JSON.stringify(events)}`;
}

describe("EngineRunner spawn failures end the run with a readable error", () => {
  // Node throws E2BIG from spawn() instead of emitting 'error'; execa then hands back a
  // child that emits nothing at all. This used to leave the run `starting` forever.
  it("an argument over the kernel's 128 KiB limit (E2BIG)", async () => {
    const cli = await dir.script("engine", `console.log('{"type":"completed","answer":"should not run"}');`);
    const huge = "x".repeat(200 * 1024);
    const runner = new EngineRunner({ backend: passthroughBackend, config: { args: ["--flag", huge] }, command: cli, graceMs: 500 });
    const events = await collectWithin(runner.run({ prompt: "hi", resume: null, cwd: dir.path }));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "completed", ok: false });
    const error = errorOf(events);
    expect(error).toMatch(/^could not start .*engine: its command line is too long \(E2BIG\)/);
    expect(error).toContain("argument 2 is 200.0 KiB");
    expect(error).toContain("128 KiB");
    expect(error).not.toContain("xxxxxxxx"); // the size, not the content
  });

  it("arguments each under the limit but together over ARG_MAX (E2BIG)", async () => {
    const cli = await dir.script("engine", "");
    // 60 × 120 KiB = 7 MiB: over ARG_MAX whatever the stack limit (Linux caps it at 6 MiB).
    const args = Array.from({ length: 60 }, () => "a".repeat(120 * 1024));
    const runner = new EngineRunner({ backend: passthroughBackend, config: { args }, command: cli, graceMs: 500 });
    const events = await collectWithin(runner.run({ prompt: "hi", resume: null, cwd: dir.path }));
    expect(events).toHaveLength(1);
    expect(errorOf(events)).toMatch(/too long \(E2BIG\): its arguments and environment come to 7\d\d\d\.\d KiB, over the system's limit \(ARG_MAX/);
  });

  it("an environment variable over the limit (E2BIG) is named", async () => {
    const cli = await dir.script("engine", "");
    const runner = runnerFor(cli, { env: { ...process.env, HUGE_SETTING: "y".repeat(150 * 1024) } });
    const events = await collectWithin(runner.run({ prompt: "hi", resume: null, cwd: dir.path }));
    expect(events).toHaveLength(1);
    expect(errorOf(events)).toMatch(/too long \(E2BIG\).*environment variable HUGE_SETTING is 150\.0 KiB/s);
  });

  it("a missing binary (ENOENT)", async () => {
    const events = await collectWithin(runnerFor(join(dir.path, "gone")).run({ prompt: "hi", resume: null, cwd: dir.path }));
    expect(events).toHaveLength(1);
    expect(errorOf(events)).toBe(`${join(dir.path, "gone")} not found on PATH; install it with: write a test script`);
  });

  it("a script whose #! interpreter is missing (ENOENT, but the file is there)", async () => {
    const cli = await dir.file("engine", "#!/nonexistent/interpreter\n");
    await chmod(cli, 0o755);
    const events = await collectWithin(runnerFor(cli).run({ prompt: "hi", resume: null, cwd: dir.path }));
    expect(events).toHaveLength(1);
    expect(errorOf(events)).toBe(`could not start ${cli}: the interpreter on its #! line was not found (ENOENT)`);
  });

  it("a file that is not executable (EACCES)", async () => {
    const cli = await dir.file("engine", "#!/bin/sh\necho '{}'\n");
    const events = await collectWithin(runnerFor(cli).run({ prompt: "hi", resume: null, cwd: dir.path }));
    expect(events).toHaveLength(1);
    expect(errorOf(events)).toBe(`${cli} is not executable (permission denied)`);
  });

  it("a directory in place of the binary (EACCES)", async () => {
    const events = await collectWithin(runnerFor(dir.path).run({ prompt: "hi", resume: null, cwd: dir.path }));
    expect(events).toHaveLength(1);
    expect(errorOf(events)).toBe(`${dir.path} is not executable (permission denied)`);
  });

  it("a large prompt on stdin is fine: 4 MiB reach the engine whole", async () => {
    const cli = await dir.script(
      "engine",
      `let input = "";
       process.stdin.on("data", (d) => (input += d));
       process.stdin.on("end", () => {
         console.log(JSON.stringify({ type: "completed", answer: input.length + ":" + input.slice(0, 5) + input.slice(-5) }));
       });`,
    );
    const prompt = `start${"z".repeat(4 * 1024 * 1024)}e-end`;
    const events = await collectWithin(runnerFor(cli).run({ prompt, resume: null, cwd: dir.path }), 20_000);
    expect(events.at(-1)).toMatchObject({ type: "completed", ok: true, answer: `${prompt.length}:starte-end` });
  }, 30_000);

  it("an engine that exits without reading its stdin still ends normally", async () => {
    const cli = await dir.script("engine", `console.log('{"type":"completed","answer":"ignored stdin"}');`);
    const events = await collectWithin(runnerFor(cli).run({ prompt: "p".repeat(8 * 1024 * 1024), resume: null, cwd: dir.path }), 20_000);
    expect(events.at(-1)).toMatchObject({ type: "completed", ok: true, answer: "ignored stdin" });
  }, 30_000);
});

describe("EngineRunner memory", () => {
  let scratch: ScratchDir;
  beforeEach(async () => {
    scratch = await scratchDir();
  });
  afterEach(async () => {
    await scratch.dispose();
  });

  it("streams 1 GB of output and a 200 MB line with bounded memory", async () => {
    // 16384 lines of 64 KiB = 1 GiB, then one 200 MiB line (over the 32 MiB limit), then the result.
    const cli = await scratch.script(
      "engine",
      `const line = Buffer.from(JSON.stringify({ type: "action", id: "a", title: "t".repeat(65536 - 40) }) + "\\n");
       const huge = Buffer.alloc(1024 * 1024, 120);
       let i = 0, j = 0;
       function pump() {
         while (i < 16384) { i++; if (!process.stdout.write(line)) return process.stdout.once("drain", pump); }
         while (j < 200) { j++; if (!process.stdout.write(huge)) return process.stdout.once("drain", pump); }
         if (j === 200) { j++; process.stdout.write('\\n{"type":"started","id":"big"}\\n{"type":"completed","answer":"survived"}\\n'); }
       }
       pump();`,
    );
    const runner = new EngineRunner({ backend: passthroughBackend, config: { args: [] }, command: cli });
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    let actions = 0;
    const tail: TakopiEvent[] = [];
    try {
      for await (const event of runner.run({ prompt: "", resume: null, cwd: scratch.path })) {
        if (event.type === "action" && event.action.id === "a") actions += 1;
        else tail.push(event);
      }
    } finally {
      clearInterval(sampler);
    }
    expect(actions).toBe(16384);
    expect(tail[0]).toMatchObject({ type: "action", action: { kind: "warning", title: expect.stringMatching(/printed a 200\.0 MiB line/) as unknown } });
    expect(tail.at(-1)).toMatchObject({ type: "completed", ok: true, answer: "survived" });
    // Reading 1.2 GB must not cost more than a few line buffers of memory.
    expect(peak - baseline).toBeLessThan(256 * 1024 * 1024);
  }, 120_000);
});

describe("EngineRunner cancel while starting", () => {
  it.each([0, 1, 2, 5])("a cancel %i ticks into the start still ends the run and leaves no engine", async (ticks) => {
    const marker = `takopi-starting-${process.pid}-${Date.now()}-${ticks}`;
    const cli = await dir.script("engine", `// ${marker}\nconsole.log(JSON.stringify({ type: "started", id: "s" }));\nsetInterval(() => {}, 1000);`);
    const controller = new AbortController();
    const run = collect(runnerFor(cli).run({ prompt: marker, resume: null, cwd: dir.path }, { signal: controller.signal }));
    // Land the cancel inside the start sequence (directory check, spawn), before the abort listener exists.
    for (let i = 0; i < ticks; i += 1) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    const ended = await Promise.race([run.then(() => "ended"), new Promise((resolve) => setTimeout(() => { resolve("still running"); }, 3_000))]);
    expect(ended).toBe("ended");
    expect(await processesWith(cli)).toEqual([]);
  });
});

describe("EngineRunner cancel while queued", () => {
  it("a run waiting for its session ends at once when cancelled, without spawning", async () => {
    const queued = await scratchDir();
    try {
      const spawned = join(queued.path, "spawned.txt");
      const release = join(queued.path, "release");
      const cli = await queued.script(
        "engine",
        `import { appendFileSync, existsSync } from "node:fs";
         appendFileSync(${JSON.stringify(spawned)}, "x");
         console.log(JSON.stringify({ type: "started", id: "s" }));
         const timer = setInterval(() => {
           if (existsSync(${JSON.stringify(release)})) { clearInterval(timer); console.log('{"type":"completed","answer":"ok"}'); }
         }, 20);`,
      );
      const runner = new EngineRunner({ backend: passthroughBackend, config: { args: [] }, command: cli });
      const token = { engine: "passthrough", value: "s" };
      const first = collect(runner.run({ prompt: "", resume: token, cwd: queued.path }));
      await waitFor(async () => (await readFile(spawned, "utf8").catch(() => "")).length === 1, 10_000, "the first run to spawn");
      const controller = new AbortController();
      const second = collect(runner.run({ prompt: "", resume: token, cwd: queued.path }, { signal: controller.signal }));
      controller.abort();
      expect(await second).toEqual([]); // returned while the first run still holds the session
      await queued.file("release", "");
      expect((await first).at(-1)).toMatchObject({ type: "completed", ok: true });
      expect(await readFile(spawned, "utf8")).toBe("x");
    } finally {
      await queued.dispose();
    }
  });
});
