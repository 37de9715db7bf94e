/**
 * Conformance of the four engine runners against the real CLIs (pinned in
 * test/engines), each in a temporary git repo, talking to the fake LLM server
 * on 127.0.0.1. Everything goes through takopi's own code path: the backend's
 * argv and env, EngineRunner's process handling, the translator.
 *
 * Every proxy variable points at the fake server, which refuses and records
 * any outbound attempt, so nothing here reaches the internet.
 */
import { readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActionEvent, CompletedEvent, ResumeToken, StartedEvent, TakopiEvent } from "../../src/core/events.js";
import type { EngineBackend } from "../../src/engines/backend.js";
import { EngineRunner, type EngineRunnerLike } from "../../src/engines/runner.js";
import { engineBackend } from "../support/engine-backends.js";
import { listProcesses, type ProcessInfo } from "../../src/engines/process-tree.js";
import {
  ENGINES,
  engineBinary,
  engineRunSetup,
  makeGitRepo,
  makeIsolatedHome,
  type Engine,
  type EngineRunSetup,
  type GitRepo,
  type IsolatedHome,
} from "../support/engine-env.js";
import { startFakeLlm, type FakeLlm } from "../support/fake-llm.js";
import { containsWhole, longPrompt } from "../support/long-prompt.js";
import { waitFor } from "../support/scripts.js";

/** A run that takes longer than this is a hang (normal runs take 0.3–4 s). */
const RUN_TIMEOUT_MS = 90_000;

/** takopi's `[<engine>]` table for a run of `scenario`, as a user would write it. */
function engineConfig(engine: Engine, setup: EngineRunSetup): Record<string, unknown> {
  switch (engine) {
    case "codex":
      // The scenario's base URL comes as `-c model_providers.fake.base_url=…` (setup.extraArgs).
      return { extra_args: ["-c", "notify=[]", "-c", 'sandbox_mode="danger-full-access"', ...setup.extraArgs] };
    case "claude":
      // The fake server needs the API key; by default takopi strips it (no API billing).
      return { use_api_billing: true };
    case "opencode":
      return {};
    case "pi":
      return { provider: "fake", model: "fake-model" };
  }
}

interface RunResult {
  events: TakopiEvent[];
  started: StartedEvent | undefined;
  completed: CompletedEvent | undefined;
  actions: ActionEvent[];
}

function summarize(events: TakopiEvent[]): RunResult {
  return {
    events,
    started: events.find((e): e is StartedEvent => e.type === "started"),
    completed: events.find((e): e is CompletedEvent => e.type === "completed"),
    actions: events.filter((e): e is ActionEvent => e.type === "action"),
  };
}

/** Processes whose working directory is `dir` (the engine and the tools it runs there). */
async function processesIn(dir: string): Promise<ProcessInfo[]> {
  const found: ProcessInfo[] = [];
  for (const info of await listProcesses()) {
    if (info.state === "Z" || info.pid === process.pid) continue;
    const cwd = await readlink(`/proc/${info.pid}/cwd`).catch(() => "");
    if (cwd === dir) found.push(info);
  }
  return found;
}

async function cmdline(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replaceAll("\0", " ");
}

const missing = ENGINES.filter((engine) => engineBinary(engine) === null);
if (missing.length > 0 && process.env.CI) {
  // In CI the engines are installed by `npm test`'s pretest; missing means the install broke.
  throw new Error(`engine CLIs not installed: ${missing.join(", ")} (run npm run engines:install)`);
}

describe.each(ENGINES.filter((engine) => !missing.includes(engine)))("%s against the real CLI", (engine) => {
  let llm: FakeLlm;
  let home: IsolatedHome;
  let repo: GitRepo;
  let backend: EngineBackend;
  const binary = engineBinary(engine) ?? "";
  let firstSession: ResumeToken | undefined;

  beforeAll(async () => {
    llm = await startFakeLlm({ slowMs: 30_000 });
    home = await makeIsolatedHome(engine, llm, "text");
    repo = await makeGitRepo({ prefix: `takopi-${engine}-` });
    backend = engineBackend(engine);
  });

  afterAll(async () => {
    await repo.dispose();
    await home.dispose();
    await llm.close();
  });

  /** Runs one prompt through takopi's runner for `scenario`. */
  async function run(scenario: string, prompt: string, options: { resume?: ResumeToken; signal?: AbortSignal; onEvent?: (e: TakopiEvent) => void } = {}) {
    const setup = engineRunSetup(home, scenario, repo.dir);
    const runnerOptions = {
      backend,
      config: backend.configSchema.parse(engineConfig(engine, setup)),
      env: setup.env,
      command: binary,
    };
    // As the engine catalogue builds it: codex runs over app-server by default.
    const runner: EngineRunnerLike = backend.createRunner?.(runnerOptions) ?? new EngineRunner(runnerOptions);
    const timeout = AbortSignal.timeout(RUN_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const events: TakopiEvent[] = [];
    try {
      for await (const event of runner.run({ prompt, resume: options.resume ?? null, cwd: repo.dir }, { signal })) {
        events.push(event);
        options.onEvent?.(event);
      }
    } finally {
      await runner.shutdown?.();
    }
    if (timeout.aborted) throw new Error(`${engine} ${scenario}: no result within ${RUN_TIMEOUT_MS} ms`);
    return summarize(events);
  }

  it("answers a text prompt and announces its session", async () => {
    const result = await run("text", "say hello");
    expect(result.completed).toMatchObject({ ok: true, answer: "hello from fake" });
    expect(result.started?.resume.engine).toBe(engine);
    expect(result.started?.resume.value).toBeTruthy();
    expect(result.completed?.resume).toEqual(result.started?.resume);
    firstSession = result.started?.resume;
  });

  it("takes a 160 KiB prompt (forty forwards) whole, on stdin", async () => {
    const prompt = longPrompt();
    expect(Buffer.byteLength(prompt)).toBeGreaterThan(160 * 1024);
    const before = llm.requests.length;
    const result = await run("text", prompt);
    expect(result.completed).toMatchObject({ ok: true, answer: "hello from fake" });
    // The model was asked the whole prompt: every forward, in order, nothing cut or re-encoded.
    const asked = llm.requests.slice(before).filter((request) => containsWhole(request.body, prompt));
    expect(asked.length, `no request to the fake LLM carried the whole prompt (${llm.requests.length - before} requests)`).toBeGreaterThan(0);
  });

  it.each(["--help -v: what do these flags do?", "@README.md is a file name here, not an attachment"])(
    "takes a prompt that would be options on a command line as text: %s",
    async (prompt) => {
      // Pi has no `--` and reads a leading `@` as a file to attach; claude's --allowedTools is variadic.
      const before = llm.requests.length;
      const result = await run("text", prompt);
      expect(result.completed).toMatchObject({ ok: true, answer: "hello from fake" });
      expect(llm.requests.slice(before).some((request) => containsWhole(request.body, prompt))).toBe(true);
    },
  );

  it("runs a shell tool and reports it as a command", async () => {
    const result = await run("tool", "run echo hi");
    const command = result.actions.find((e) => e.action.kind === "command" && e.phase === "completed");
    expect(command?.action.title).toMatch(/echo hi/);
    expect(command?.ok).toBe(true);
    // The fake LLM only says this when the tool output really contained "hi".
    expect(result.completed).toMatchObject({ ok: true, answer: "the command printed hi" });
  });

  it("writes a file and reports the change", async () => {
    const result = await run("edit", "create hello.txt");
    const change = result.actions.find((e) => e.action.kind === "file_change" && e.phase === "completed");
    expect(change?.action.title).toMatch(/hello\.txt/);
    expect(await readFile(join(repo.dir, "hello.txt"), "utf8")).toBe("hi\n");
    expect(result.completed).toMatchObject({ ok: true, answer: "file written" });
  });

  it("resumes the first session with its history", async () => {
    expect(firstSession).toBeDefined();
    if (firstSession === undefined) return;
    const result = await run("resume", "did you keep history?", { resume: firstSession });
    expect(result.started?.resume).toEqual(firstSession);
    // The fake LLM answers this only when the old transcript was sent along.
    expect(result.completed).toMatchObject({ ok: true, answer: "resumed with history", resume: firstSession });
    const line = backend.formatResume(firstSession);
    expect(backend.extractResume(`done\n${line}`)).toEqual(firstSession);
  });

  it("reports an API 401 as a failed run with the reason", async () => {
    const result = await run("error401", "say hello");
    expect(result.completed?.ok).toBe(false);
    expect(result.completed?.error).toMatch(/401|API key/i);
  });

  it("cancel during a running tool leaves no process of the run behind", async () => {
    const controller = new AbortController();
    const seen = new Map<number, string>();
    const events: TakopiEvent[] = [];
    const running = run("sleep", "run the slow command", { signal: controller.signal, onEvent: (e) => events.push(e) });
    // The tool is `node -e "setTimeout(()=>{},30000)" && echo hi`, run in the repo.
    await waitFor(
      async () => {
        for (const info of await processesIn(repo.dir)) seen.set(info.pid, await cmdline(info.pid));
        return [...seen.values()].some((line) => line.includes("setTimeout"));
      },
      RUN_TIMEOUT_MS,
      `${engine} to start the slow tool`,
    );
    controller.abort();
    const result = await running;

    expect(result.completed).toBeUndefined(); // a cancelled run has no result
    const survivors = await processesIn(repo.dir);
    expect(survivors.map((p) => `${p.pid} ${seen.get(p.pid) ?? ""}`)).toEqual([]);
    for (const pid of seen.keys()) {
      const alive = (await listProcesses()).find((p) => p.pid === pid && p.state !== "Z");
      expect(alive, `pid ${pid} (${seen.get(pid) ?? ""}) survived the cancel`).toBeUndefined();
    }
  });

  it("never reached past the fake server", () => {
    // OpenCode 1.18 always tries a background npm install of its plugin package;
    // the blackhole refuses it. Anything else would be a leak to fix.
    const unexpected = llm.proxyAttempts.filter((attempt) => !(engine === "opencode" && /registry\.npmjs\.org/.test(attempt.url)));
    expect(unexpected).toEqual([]);
    expect(llm.requests.length).toBeGreaterThan(0);
  });
});
