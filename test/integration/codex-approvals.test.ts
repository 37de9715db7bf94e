/**
 * codex approvals and steering over `codex app-server`, against the real codex
 * CLI (pinned in test/engines) and the fake LLM on 127.0.0.1, at runner level
 * (the runner the catalogue builds from `[codex]`) with a `control.interact`
 * the test supplies: the fake model's `touch approved.txt` shell call is asked
 * about, and each answer has its effect on the working tree and the turn.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CompletedEvent, ResumeToken, StartedEvent, TakopiEvent } from "../../src/core/events.js";
import type { ApprovalDecision, InteractionHandler, InteractionRequest } from "../../src/core/interaction.js";
import type { RunOptions } from "../../src/engines/backend.js";
import codex from "../../src/engines/codex/index.js";
import type { CodexConfig } from "../../src/engines/codex/schema.js";
import type { EngineRunnerLike, RunControl } from "../../src/engines/runner.js";
import { engineBinary, engineRunSetup, makeGitRepo, makeIsolatedHome, type GitRepo, type IsolatedHome } from "../support/engine-env.js";
import { startFakeLlm, type FakeLlm } from "../support/fake-llm.js";
import { TOUCH_FILE } from "../support/fake-llm/scenarios.js";
import { waitFor } from "../support/scripts.js";

const RUN_TIMEOUT_MS = 90_000;
const binary = engineBinary("codex");
const by = { userId: 1, name: "@tester" };

interface Result {
  events: TakopiEvent[];
  started: StartedEvent | undefined;
  completed: CompletedEvent | undefined;
}

describe.skipIf(binary === null)("codex approvals and steering over app-server, against the real CLI", () => {
  let llm: FakeLlm;
  let home: IsolatedHome;
  let repo: GitRepo;
  const runners: EngineRunnerLike[] = [];

  beforeAll(async () => {
    llm = await startFakeLlm({ slowMs: 30_000 });
    home = await makeIsolatedHome("codex", llm, "text");
    repo = await makeGitRepo({ prefix: "takopi-codex-approvals-" });
  });

  beforeEach(async () => {
    await rm(join(repo.dir, TOUCH_FILE), { force: true });
  });

  afterAll(async () => {
    for (const runner of runners) await runner.shutdown?.();
    await repo.dispose();
    await home.dispose();
    await llm.close();
  });

  /** `[codex]` with `table` over the test's own keys, validated as the catalogue does. */
  function configFor(scenario: string, table: Record<string, unknown> = {}): CodexConfig {
    const setup = engineRunSetup(home, scenario, repo.dir);
    return codex.configSchema.parse({ extra_args: ["-c", "notify=[]", "-c", 'sandbox_mode="danger-full-access"', ...setup.extraArgs], ...table });
  }

  /** The runner the catalogue builds from `[codex]` with `table` (backend app-server: the default). */
  function runnerFor(scenario: string, table: Record<string, unknown> = {}): EngineRunnerLike {
    const setup = engineRunSetup(home, scenario, repo.dir);
    const config = configFor(scenario, table);
    const runner = codex.createRunner?.({ backend: codex, config, env: setup.env, command: binary ?? "codex", graceMs: 500 });
    if (runner == null) throw new Error("expected the app-server runner");
    runners.push(runner);
    return runner;
  }

  async function run(runner: EngineRunnerLike, prompt: string, control: RunControl & { resume?: ResumeToken; options?: RunOptions; onEvent?: (event: TakopiEvent) => void } = {}): Promise<Result> {
    const timeout = AbortSignal.timeout(RUN_TIMEOUT_MS);
    const signal = control.signal ? AbortSignal.any([control.signal, timeout]) : timeout;
    const events: TakopiEvent[] = [];
    const runControl: RunControl = { signal, ...(control.interact ? { interact: control.interact } : {}) };
    const request = { prompt, resume: control.resume ?? null, cwd: repo.dir, ...(control.options ? { options: control.options } : {}) };
    for await (const event of runner.run(request, runControl)) {
      events.push(event);
      control.onEvent?.(event);
    }
    if (timeout.aborted) throw new Error(`no result within ${RUN_TIMEOUT_MS} ms`);
    return {
      events,
      started: events.find((e): e is StartedEvent => e.type === "started"),
      completed: events.find((e): e is CompletedEvent => e.type === "completed"),
    };
  }

  /** An interact that records each request and answers every approval with `decision`. */
  function answering(decision: ApprovalDecision): { asked: InteractionRequest[]; interact: InteractionHandler } {
    const asked: InteractionRequest[] = [];
    return {
      asked,
      interact: (request) => {
        asked.push(request);
        return Promise.resolve({ kind: "approval", decision, by });
      },
    };
  }

  for (const policy of ["on-request", "untrusted"] as const) {
    it(`${policy}: approve → the command runs and the turn answers with its result`, async () => {
      const { asked, interact } = answering("approve");
      const result = await run(runnerFor("touch", { approval_policy: policy }), "touch the file", { interact });
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatchObject({ kind: "command", command: `touch ${TOUCH_FILE}`, cwd: repo.dir });
      expect(existsSync(join(repo.dir, TOUCH_FILE))).toBe(true);
      expect(result.completed?.ok).toBe(true);
      expect(result.completed?.answer).toMatch(/^touch done: /);
    });
  }

  it("deny → the command does not run and the turn goes on to its answer", async () => {
    const { asked, interact } = answering("deny");
    const result = await run(runnerFor("touch", { approval_policy: "on-request" }), "touch the file", { interact });
    expect(asked).toHaveLength(1);
    expect(existsSync(join(repo.dir, TOUCH_FILE))).toBe(false);
    expect(result.completed?.ok).toBe(true);
    // The fake model echoes the tool result: codex's refusal, not the command's output.
    expect(result.completed?.answer).toMatch(/^touch done: [\s\S]*rejected by user/);
  });

  it("stop → codex interrupts the turn and the run ends like a cancel, without a completed event", async () => {
    const { asked, interact } = answering("stop");
    const result = await run(runnerFor("touch", { approval_policy: "on-request" }), "touch the file", { interact });
    expect(asked).toHaveLength(1);
    expect(existsSync(join(repo.dir, TOUCH_FILE))).toBe(false);
    expect(result.started).toBeDefined();
    expect(result.completed).toBeUndefined();
  });

  it("a request still open when the run is cancelled is withdrawn: its interact signal aborts and nothing runs", async () => {
    const controller = new AbortController();
    let withdrawn = false;
    const interact: InteractionHandler = (request, signal) =>
      new Promise((resolve) => {
        signal.addEventListener("abort", () => {
          withdrawn = true;
          // An approval given after the withdrawal must not reach codex.
          resolve({ kind: "approval", decision: "approve", by });
        });
        controller.abort();
      });
    const result = await run(runnerFor("touch", { approval_policy: "on-request" }), "touch the file", { interact, signal: controller.signal });
    expect(withdrawn).toBe(true);
    expect(result.completed).toBeUndefined();
    expect(existsSync(join(repo.dir, TOUCH_FILE))).toBe(false);
  });

  it("without an interact handler the request is refused and the turn goes on", async () => {
    const result = await run(runnerFor("touch", { approval_policy: "on-request" }), "touch the file");
    expect(existsSync(join(repo.dir, TOUCH_FILE))).toBe(false);
    expect(result.completed?.ok).toBe(true);
    expect(result.completed?.answer).toMatch(/^touch done: [\s\S]*rejected by user/);
  });

  it("never (the default): codex runs the command without asking", async () => {
    const { asked, interact } = answering("deny");
    const result = await run(runnerFor("touch"), "touch the file", { interact });
    expect(asked).toEqual([]);
    expect(existsSync(join(repo.dir, TOUCH_FILE))).toBe(true);
    expect(result.completed?.ok).toBe(true);
  });

  it("a project's approval_policy (RunOptions.config) rules its own runs on the shared app-server, both ways on one thread", async () => {
    const runner = runnerFor("touch");
    const untrusted = { config: configFor("touch", { approval_policy: "untrusted" }) };
    const approving = answering("approve");
    const first = await run(runner, "touch the file", { interact: approving.interact, options: untrusted });
    expect(approving.asked).toHaveLength(1);
    expect(existsSync(join(repo.dir, TOUCH_FILE))).toBe(true);
    const session = first.started?.resume;
    if (session === undefined) throw new Error("no session");

    // The same thread, resumed by a run of a project without a policy of its own: the runner's `never`, no question.
    await rm(join(repo.dir, TOUCH_FILE));
    const quiet = answering("deny");
    const second = await run(runner, "touch the file", { interact: quiet.interact, resume: session });
    expect(quiet.asked).toEqual([]);
    expect(existsSync(join(repo.dir, TOUCH_FILE))).toBe(true);
    expect(second.completed?.ok).toBe(true);

    // And back: the loaded thread takes the stricter policy again.
    await rm(join(repo.dir, TOUCH_FILE));
    const denying = answering("deny");
    const third = await run(runner, "touch the file", { interact: denying.interact, resume: session, options: untrusted });
    expect(denying.asked).toHaveLength(1);
    expect(existsSync(join(repo.dir, TOUCH_FILE))).toBe(false);
    expect(third.completed?.answer).toMatch(/rejected by user/);
  });

  it("a steer while a long command runs waits for it (after_tool)", async () => {
    const runner = runnerFor("sleep");
    const controller = new AbortController();
    let session: ResumeToken | undefined;
    let commandStarted = false;
    const running = run(runner, "run the slow command", {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === "started") session = event.resume;
        if (event.type === "action" && event.action.kind === "command" && event.phase === "started") commandStarted = true;
      },
    });
    await waitFor(() => commandStarted, RUN_TIMEOUT_MS, "codex to start the slow command");
    if (session === undefined) throw new Error("no session");
    expect(await runner.steer?.(session, "and then say steered")).toBe("after_tool");
    controller.abort();
    expect((await running).completed).toBeUndefined();
  });

  it("a steer while the answer streams joins the turn: the next model request carries it", async () => {
    const runner = runnerFor("slow");
    const controller = new AbortController();
    let session: ResumeToken | undefined;
    const before = llm.requests.length;
    const running = run(runner, "say hello slowly", {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === "started") session = event.resume;
      },
    });
    // The slow scenario stalls mid-stream: the turn is in flight once its model request arrived.
    await waitFor(() => session !== undefined && llm.requests.slice(before).some((request) => request.scenario === "slow" && JSON.stringify(request.body).includes("say hello slowly")), RUN_TIMEOUT_MS, "the slow model request");
    if (session === undefined) throw new Error("no session");
    const steerText = "steer: answer in French";
    expect(await runner.steer?.(session, steerText)).toBe("joined");
    await waitFor(() => llm.requests.slice(before).some((request) => JSON.stringify(request.body).includes(steerText)), RUN_TIMEOUT_MS, "a model request with the steer");
    controller.abort();
    expect((await running).completed).toBeUndefined();
  });

  it("a message queued on a busy session waits for the running turn, then runs on the same thread", async () => {
    const runner = runnerFor("sleep");
    const first = new AbortController();
    let session: ResumeToken | undefined;
    let commands = 0;
    const running = run(runner, "run the slow command", {
      signal: first.signal,
      onEvent: (event) => {
        if (event.type === "started") session = event.resume;
        if (event.type === "action" && event.action.kind === "command" && event.phase === "started") commands += 1;
      },
    });
    await waitFor(() => commands === 1, RUN_TIMEOUT_MS, "codex to start the slow command");
    if (session === undefined) throw new Error("no session");
    let firstEnded = false;
    let endedBeforeSecondStarted: boolean | undefined;
    const second = new AbortController();
    const seen: TakopiEvent[] = [];
    const queued = run(runner, "run it again", {
      resume: session,
      signal: second.signal,
      onEvent: (event) => {
        endedBeforeSecondStarted ??= firstEnded;
        seen.push(event);
      },
    });
    expect(runner.isBusy(session)).toBe(true);
    first.abort();
    expect((await running).completed).toBeUndefined();
    firstEnded = true;
    await waitFor(() => seen.some((event) => event.type === "action" && event.action.kind === "command" && event.phase === "started"), RUN_TIMEOUT_MS, "the queued run's turn to start");
    // Held by the session's lock until the running turn was over.
    expect(endedBeforeSecondStarted).toBe(true);
    expect(seen.find((event) => event.type === "started")).toMatchObject({ resume: session });
    second.abort();
    await queued;
  });

  it("never reached past the fake server", () => {
    expect(llm.proxyAttempts).toEqual([]);
  });
});
