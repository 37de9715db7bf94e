/**
 * codex over `codex app-server` against the real codex CLI (pinned in
 * test/engines), talking only to the fake LLM on 127.0.0.1: one process for
 * several sessions, sessions shared with `codex exec` both ways, a cancel that
 * leaves no command behind, a server that dies mid-run, and the exec fallback.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompletedEvent, ResumeToken, StartedEvent, TakopiEvent } from "../../src/core/events.js";
import codex from "../../src/engines/codex/index.js";
import { AppServerRunner } from "../../src/engines/codex/appserver-runner.js";
import { JsonRpcClient } from "../../src/engines/jsonrpc.js";
import { EngineRunner, type EngineRunnerLike } from "../../src/engines/runner.js";
import { engineBinary, engineRunSetup, makeGitRepo, makeIsolatedHome, type GitRepo, type IsolatedHome } from "../support/engine-env.js";
import { startFakeLlm, type FakeLlm } from "../support/fake-llm.js";
import { descendants, isRunning } from "../support/processes.js";
import { waitFor } from "../support/scripts.js";

const RUN_TIMEOUT_MS = 90_000;
const binary = engineBinary("codex");

interface Result {
  events: TakopiEvent[];
  started: StartedEvent | undefined;
  completed: CompletedEvent | undefined;
}

function appServer(runner: EngineRunnerLike): AppServerRunner {
  if (!(runner instanceof AppServerRunner)) throw new Error("expected the app-server runner");
  return runner;
}

describe.skipIf(binary === null)("codex over app-server against the real CLI", () => {
  let llm: FakeLlm;
  let home: IsolatedHome;
  let repo: GitRepo;
  const runners: EngineRunnerLike[] = [];

  beforeAll(async () => {
    llm = await startFakeLlm({ slowMs: 30_000 });
    home = await makeIsolatedHome("codex", llm, "text");
    repo = await makeGitRepo({ prefix: "takopi-codex-appserver-" });
  });

  afterAll(async () => {
    for (const runner of runners) await runner.shutdown?.();
    await repo.dispose();
    await home.dispose();
    await llm.close();
  });

  /** A runner for `scenario` as the catalogue builds it from `[codex]` (backend app-server, the default, unless `table` says otherwise). */
  function runnerFor(scenario: string, table: Record<string, unknown> = {}): EngineRunnerLike {
    const setup = engineRunSetup(home, scenario, repo.dir);
    const config = codex.configSchema.parse({ extra_args: ["-c", "notify=[]", "-c", 'sandbox_mode="danger-full-access"', ...setup.extraArgs], ...table });
    const options = { backend: codex, config, env: setup.env, command: binary ?? "codex", graceMs: 500 };
    const runner = codex.createRunner?.(options) ?? new EngineRunner(options);
    runners.push(runner);
    return runner;
  }

  async function run(runner: EngineRunnerLike, prompt: string, options: { resume?: ResumeToken; signal?: AbortSignal; onEvent?: (event: TakopiEvent) => void } = {}): Promise<Result> {
    const timeout = AbortSignal.timeout(RUN_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const events: TakopiEvent[] = [];
    for await (const event of runner.run({ prompt, resume: options.resume ?? null, cwd: repo.dir }, { signal })) {
      events.push(event);
      options.onEvent?.(event);
    }
    if (timeout.aborted) throw new Error(`no result within ${RUN_TIMEOUT_MS} ms`);
    return {
      events,
      started: events.find((e): e is StartedEvent => e.type === "started"),
      completed: events.find((e): e is CompletedEvent => e.type === "completed"),
    };
  }

  it("runs several sessions at once on one app-server process", async () => {
    const runner = runnerFor("text");
    expect(runner).toBeInstanceOf(AppServerRunner);
    const first = await run(runner, "say hello");
    const pid = appServer(runner).pid;
    expect(pid).toBeDefined();
    const results = await Promise.all([run(runner, "say hello"), run(runner, "say hello"), run(runner, "say hello")]);
    for (const result of [first, ...results]) expect(result.completed).toMatchObject({ ok: true, answer: "hello from fake" });
    const sessions = new Set([first, ...results].map((result) => result.started?.resume.value));
    expect(sessions.size).toBe(4);
    expect(appServer(runner).pid).toBe(pid);
  });

  it("resumes an exec session in app-server, and an app-server session in exec", async () => {
    const exec = runnerFor("text", { backend: "exec" });
    expect(exec).toBeInstanceOf(EngineRunner);
    const fromExec = await run(exec, "say hello");
    expect(fromExec.completed).toMatchObject({ ok: true, answer: "hello from fake" });
    const execSession = fromExec.started?.resume;
    expect(execSession).toBeDefined();
    if (execSession === undefined) return;

    const resumed = await run(runnerFor("resume"), "did you keep history?", { resume: execSession });
    expect(resumed.started?.resume).toEqual(execSession);
    // The fake LLM answers this only when the old transcript was sent along.
    expect(resumed.completed).toMatchObject({ ok: true, answer: "resumed with history", resume: execSession });

    const server = runnerFor("text");
    const fromServer = await run(server, "say hello");
    const serverSession = fromServer.started?.resume;
    expect(serverSession).toBeDefined();
    if (serverSession === undefined) return;
    // codex keeps a thread it served loaded (its writer) while the process lives: as when a reload
    // switches to `backend = "exec"`, the app-server is stopped first.
    await server.shutdown?.();
    const back = await run(runnerFor("resume", { backend: "exec" }), "did you keep history?", { resume: serverSession });
    expect(back.completed).toMatchObject({ ok: true, answer: "resumed with history", resume: serverSession });
    expect(codex.formatResume(serverSession)).toBe(`\`codex resume ${serverSession.value}\``);
  });

  it("cancel interrupts the turn and its running command leaves no process behind, on a server that goes on", async () => {
    const runner = runnerFor("sleep");
    await run(runnerFor("text"), "say hello"); // a warm process elsewhere changes nothing here
    const controller = new AbortController();
    const seen = new Map<number, string>();
    let pid: number | undefined;
    const running = run(runner, "run the slow command", { signal: controller.signal });
    // The tool is `node -e "setTimeout(()=>{},30000)" && echo hi`.
    await waitFor(
      async () => {
        pid = appServer(runner).pid;
        if (pid === undefined) return false;
        for (const [child, line] of await descendants(pid)) seen.set(child, line);
        return [...seen.values()].some((line) => line.includes("setTimeout"));
      },
      RUN_TIMEOUT_MS,
      "codex to start the slow tool",
    );
    controller.abort();
    const result = await running;
    expect(result.completed).toBeUndefined();
    const tool = [...seen.entries()].filter(([, line]) => line.includes("setTimeout"));
    expect(tool.length).toBeGreaterThan(0);
    // A cancelled run returns once codex has cleaned its background terminals: nothing of the tool is left.
    for (const [child, line] of seen) if (line.includes("setTimeout") || line.includes("bash")) expect(await isRunning(child), `${child} ${line}`).toBe(false);
    // The interrupt did it: the server itself is still the same process.
    expect(appServer(runner).pid).toBe(pid);
  });

  it("a server killed mid-run ends that run with an error, and the next run starts a new one", async () => {
    const runner = appServer(runnerFor("sleep"));
    let first: number | undefined;
    const running = run(runner, "run the slow command");
    await waitFor(
      async () => {
        first = runner.pid;
        return first !== undefined && [...(await descendants(first)).values()].some((line) => line.includes("setTimeout"));
      },
      RUN_TIMEOUT_MS,
      "codex to start the slow tool",
    );
    if (first !== undefined) process.kill(first, "SIGKILL");
    const lost = await running;
    expect(lost.completed?.ok).toBe(false);
    expect(lost.completed?.error).toMatch(/codex app-server was killed \(signal=SIGKILL\)/);
    expect(lost.completed?.error).toMatch(/next message starts codex app-server again/);

    // The next run on the same runner starts a new process and resumes the lost thread there.
    const session = lost.started?.resume;
    expect(session).toBeDefined();
    const controller = new AbortController();
    let started: StartedEvent | undefined;
    const next = run(runner, "run the slow command", { ...(session ? { resume: session } : {}), signal: controller.signal, onEvent: (event) => {
      if (event.type === "started") started = event;
    } });
    await waitFor(() => started !== undefined, RUN_TIMEOUT_MS, "the next run to start");
    expect(runner.pid).toBeDefined();
    expect(runner.pid).not.toBe(first);
    expect(started?.resume).toEqual(session);
    controller.abort();
    expect((await next).completed).toBeUndefined();
  });

  it("an app-server whose parent died (stdin EOF, as after a kill -9 of takopi) exits and takes the running command with it", async () => {
    // What a crashed takopi leaves: codex app-server is the leader of its own process group (it survives its
    // parent), but its stdin is takopi's pipe. Driven here by hand, as takopi's runner would, up to the slow tool.
    const setup = engineRunSetup(home, "sleep", repo.dir);
    const child = spawn(binary ?? "codex", ["-c", "notify=[]", "-c", 'sandbox_mode="danger-full-access"', ...setup.extraArgs, "app-server"], { env: setup.env, stdio: ["pipe", "pipe", "ignore"], detached: true });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once("exit", (code, signal) => {
      resolve({ code, signal });
    }));
    const client = new JsonRpcClient(child.stdout, child.stdin);
    await client.request("initialize", { clientInfo: { name: "takopi-test", title: null, version: "0" }, capabilities: { experimentalApi: true } });
    client.notify("initialized");
    const thread = (await client.request("thread/start", { cwd: repo.dir, approvalPolicy: "never" })) as { thread: { id: string } };
    await client.request("turn/start", { threadId: thread.thread.id, input: [{ type: "text", text: "run the slow command", text_elements: [] }] });
    const pid = child.pid ?? 0;
    let tool: number[] = [];
    await waitFor(
      async () => {
        tool = [...(await descendants(pid)).entries()].filter(([, line]) => line.includes("setTimeout")).map(([toolPid]) => toolPid);
        return tool.length > 0;
      },
      RUN_TIMEOUT_MS,
      "codex to start the slow tool",
    );
    client.end();
    // It exits on its own (exit code 0, no signal), and its command is gone with it: nothing is orphaned.
    expect(await exited).toEqual({ code: 0, signal: null });
    await waitFor(async () => !(await Promise.all(tool.map(isRunning))).some(Boolean), 10_000, "the slow tool to end with the server");
  });

  it("never reached past the fake server", () => {
    expect(llm.proxyAttempts).toEqual([]);
    expect(llm.requests.length).toBeGreaterThan(0);
  });
});
