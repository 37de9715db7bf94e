/**
 * claude over a stream-json session against the real claude CLI (pinned in
 * test/engines), talking only to the fake LLM on 127.0.0.1: permission
 * prompts answered through `RunControl.interact` (approve, deny, stop, no one
 * to ask, withdrawn), AskUserQuestion and ExitPlanMode, steering into a
 * running turn (during a tool, and while claude streams), and an interrupt
 * during a long command that leaves no process behind.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActionEvent, CompletedEvent, ResumeToken, StartedEvent, TakopiEvent } from "../../src/core/events.js";
import type { InteractionAnswer, InteractionHandler, InteractionRequest } from "../../src/core/interaction.js";
import claude from "../../src/engines/claude/index.js";
import { EngineRunner, type EngineRunnerLike } from "../../src/engines/runner.js";
import { createLogger } from "../../src/util/log.js";
import { engineBinary, engineRunSetup, makeGitRepo, makeIsolatedHome, type GitRepo, type IsolatedHome } from "../support/engine-env.js";
import { startFakeLlm, type FakeLlm } from "../support/fake-llm.js";
import { ASK_QUESTION, NAP_COMMAND, PLAN_TEXT, TOUCH_COMMAND, TOUCH_FILE } from "../support/fake-llm/scenarios.js";
import { descendants, isRunning } from "../support/processes.js";
import { waitFor } from "../support/scripts.js";

const RUN_TIMEOUT_MS = 60_000;
const binary = engineBinary("claude");
const PERSON = { userId: 42, name: "@alice" };

interface Result {
  events: TakopiEvent[];
  started: StartedEvent | undefined;
  completed: CompletedEvent[];
  asked: InteractionRequest[];
  /** Every process seen below claude while the run went on, with its command line. */
  seen: Map<number, string>;
}

interface RunOptions {
  /** Use this runner (approvals for a session are remembered per runner). */
  runner?: EngineRunnerLike;
  /** Run in this repo (kept) instead of a fresh one. */
  repo?: GitRepo;
  resume?: ResumeToken;
  interact?: InteractionHandler;
  signal?: AbortSignal;
  reasoning?: string;
  /** The run's own config (a project's `[projects.<alias>.claude]` over `[claude]`). */
  config?: unknown;
  onEvent?: (event: TakopiEvent, run: LiveRun) => void | Promise<void>;
}

/** What a test sees of a run while it goes on. */
interface LiveRun {
  runner: EngineRunnerLike;
  /** The session, once `started` came. */
  session: ResumeToken | null;
  /** Processes seen below claude so far. */
  seen: Map<number, string>;
}

async function steerInto(live: LiveRun, text: string): Promise<string> {
  if (live.session === null || live.runner.steer === undefined) throw new Error("no session to steer yet");
  return live.runner.steer(live.session, text);
}

function approval(decision: "approve" | "approve_session" | "deny" | "stop", note?: string): InteractionAnswer {
  return { kind: "approval", decision, by: PERSON, ...(note !== undefined ? { note } : {}) };
}

/** The completed tool action of `name` (its result preview says what the tool answered). */
function toolResult(result: Result, name: string): ActionEvent | undefined {
  return result.events.find((e): e is ActionEvent => e.type === "action" && e.phase === "completed" && e.action.detail.name === name);
}

describe.skipIf(binary === null)("claude over a stream-json session against the real CLI", () => {
  let llm: FakeLlm;
  let home: IsolatedHome;
  /** The runners' warnings (JSON lines): a kill after stdin was closed would show here. */
  const warnings: string[] = [];
  const log = createLogger({ level: "warn", format: "json", file: null, destination: { write: (line: string) => void warnings.push(line) } });

  beforeAll(async () => {
    llm = await startFakeLlm({ slowMs: 2500 });
    home = await makeIsolatedHome("claude", llm, "text");
  });

  afterAll(async () => {
    await home.dispose();
    await llm.close();
  });

  /** A runner for `scenario` as the catalogue builds it from `[claude]` (the fake needs the API key kept). */
  function runnerFor(scenario: string, cwd: string, table: Record<string, unknown> = {}): EngineRunnerLike {
    const setup = engineRunSetup(home, scenario, cwd);
    const config = claude.configSchema.parse({ use_api_billing: true, ...table });
    const options = { backend: claude, config, env: setup.env, command: binary ?? "claude", graceMs: 500, log };
    return claude.createRunner?.(options) ?? new EngineRunner(options);
  }

  async function run(scenario: string, prompt: string, table: Record<string, unknown>, options: RunOptions = {}): Promise<Result & { dir: string }> {
    const repo = options.repo ?? (await makeGitRepo({ prefix: `takopi-claude-${scenario}-` }));
    try {
      const runner = options.runner ?? runnerFor(scenario, repo.dir, table);
      const timeout = AbortSignal.timeout(RUN_TIMEOUT_MS);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      const asked: InteractionRequest[] = [];
      const seen = new Map<number, string>();
      let pid: number | undefined;
      const watch = setInterval(() => {
        if (pid === undefined) return;
        void descendants(pid).then((found) => {
          for (const [child, line] of found) seen.set(child, line);
        });
      }, 50);
      const events: TakopiEvent[] = [];
      const live: LiveRun = { runner, session: null, seen };
      const interact = options.interact;
      const control = {
        signal,
        onSpawn: (spawned: { pid: number }) => {
          pid = spawned.pid;
        },
        ...(interact !== undefined
          ? {
              interact: (request: InteractionRequest, abort: AbortSignal) => {
                asked.push(request);
                return interact(request, abort);
              },
            }
          : {}),
      };
      const runOptions = { ...(options.reasoning !== undefined ? { reasoning: options.reasoning } : {}), ...(options.config !== undefined ? { config: options.config } : {}) };
      const request = { prompt, resume: options.resume ?? null, cwd: repo.dir, options: runOptions };
      try {
        for await (const event of runner.run(request, control)) {
          events.push(event);
          if (event.type === "started") live.session = event.resume;
          await options.onEvent?.(event, live);
        }
      } finally {
        clearInterval(watch);
      }
      if (timeout.aborted) throw new Error(`no result within ${RUN_TIMEOUT_MS} ms`);
      const touched = existsSync(join(repo.dir, TOUCH_FILE));
      return {
        dir: touched ? join(repo.dir, TOUCH_FILE) : "",
        events,
        started: events.find((e): e is StartedEvent => e.type === "started"),
        completed: events.filter((e): e is CompletedEvent => e.type === "completed"),
        asked,
        seen,
      };
    } finally {
      if (options.repo === undefined) await repo.dispose();
    }
  }

  const asking = { permission_mode: "default", allowed_tools: [] };

  it("asks before a command; approved, it runs and the turn goes on to its answer", async () => {
    const result = await run("touch", "touch the file", asking, { interact: () => Promise.resolve(approval("approve")) });
    expect(result.asked).toEqual([{ kind: "command", command: TOUCH_COMMAND, cwd: expect.any(String) as string, reason: "Print hi" }]);
    expect(result.dir).not.toBe(""); // approved.txt exists
    expect(result.completed).toHaveLength(1);
    expect(result.completed[0]).toMatchObject({ ok: true, answer: "touch done: (Bash completed with no output)" });
  });

  it("denied, the command does not run and claude answers with the refusal", async () => {
    const result = await run("touch", "touch the file", asking, { interact: () => Promise.resolve(approval("deny", "not now")) });
    expect(result.dir).toBe("");
    expect(result.completed).toHaveLength(1);
    expect(result.completed[0]?.ok).toBe(true);
    expect(result.completed[0]?.answer).toContain("Denied from the chat by @alice: not now");
  });

  it("stopped, the turn ends and the run ends like a cancel, with nothing left running", async () => {
    const result = await run("touch", "touch the file", asking, { interact: () => Promise.resolve(approval("stop")) });
    expect(result.asked).toHaveLength(1);
    expect(result.dir).toBe("");
    expect(result.completed).toEqual([]);
    for (const pid of result.seen.keys()) expect(await isRunning(pid)).toBe(false);
  });

  it("approved for the session, the same command is not asked about again in the session's next run", async () => {
    const repo = await makeGitRepo({ prefix: "takopi-claude-session-rule-" });
    try {
      const runner = runnerFor("touch", repo.dir, asking);
      const first = await run("touch", "touch the file", asking, { repo, runner, interact: () => Promise.resolve(approval("approve_session")) });
      expect(first.asked).toHaveLength(1);
      expect(first.started).toBeDefined();
      const second = await run("touch", "touch it again", asking, { repo, runner, resume: first.started?.resume, interact: () => Promise.resolve(approval("deny")) });
      expect(second.asked).toEqual([]);
      expect(second.completed[0]).toMatchObject({ ok: true, answer: "touch done: (Bash completed with no output)" });
      // Another session of the same runner is asked.
      const other = await run("touch", "touch the file", asking, { repo, runner, interact: () => Promise.resolve(approval("deny")) });
      expect(other.asked).toHaveLength(1);
    } finally {
      await repo.dispose();
    }
  });

  it("a project's permission_mode (RunOptions.config) asks in its runs only; the runner's own config runs the command unasked", async () => {
    const repo = await makeGitRepo({ prefix: "takopi-claude-project-" });
    try {
      const runner = runnerFor("touch", repo.dir);
      const projectConfig = claude.configSchema.parse({ use_api_billing: true, ...asking });
      const strict = await run("touch", "touch the file", {}, { repo, runner, config: projectConfig, interact: () => Promise.resolve(approval("deny")) });
      expect(strict.asked).toHaveLength(1);
      expect(strict.dir).toBe("");
      const plain = await run("touch", "touch the file", {}, { repo, runner, interact: () => Promise.resolve(approval("deny")) });
      expect(plain.asked).toEqual([]);
      expect(plain.dir).not.toBe("");
    } finally {
      await repo.dispose();
    }
  });

  it("with nobody to ask, refuses on its own and the turn goes on", async () => {
    const result = await run("touch", "touch the file", asking);
    expect(result.dir).toBe("");
    expect(result.completed[0]?.answer).toContain("Denied by takopi: nobody can be asked in this run");
  });

  it("with allowed_tools = [] even a read-only command asks", async () => {
    const result = await run("tool", "echo hi", asking, { interact: () => Promise.resolve(approval("approve")) });
    expect(result.asked).toEqual([{ kind: "command", command: "echo hi", cwd: expect.any(String) as string, reason: "Print hi" }]);
    expect(result.completed[0]).toMatchObject({ ok: true, answer: "the command printed hi" });
  });

  it("a tool in allowed_tools is not asked about", async () => {
    const asked: InteractionRequest[] = [];
    const result = await run("touch", "touch the file", { permission_mode: "default", allowed_tools: ["Bash"] }, {
      interact: (request) => {
        asked.push(request);
        return Promise.resolve(approval("deny"));
      },
    });
    expect(asked).toEqual([]);
    expect(result.dir).not.toBe("");
  });

  it("a request withdrawn by a cancel aborts the question, and the run ends without a result", async () => {
    const controller = new AbortController();
    let withdrawn = false;
    const result = await run("touch", "touch the file", asking, {
      signal: controller.signal,
      interact: (_request, abort) =>
        new Promise((resolve) => {
          abort.addEventListener("abort", () => {
            withdrawn = true;
            resolve(approval("deny"));
          });
          controller.abort();
        }),
    });
    expect(withdrawn).toBe(true);
    expect(result.completed).toEqual([]);
    expect(result.dir).toBe("");
  });

  it("asks claude's question in the chat and hands claude the answer", async () => {
    const result = await run("ask", "pick a color", asking, {
      interact: (request) => Promise.resolve({ kind: "answers", answers: request.kind === "question" ? { [request.questions[0]?.id ?? ""]: ["Blue"] } : {}, by: PERSON }),
    });
    expect(result.asked).toEqual([
      {
        kind: "question",
        questions: [
          {
            id: ASK_QUESTION,
            header: "Color",
            question: ASK_QUESTION,
            options: [
              { label: "Red", description: "red button" },
              { label: "Blue", description: "blue button" },
            ],
            multiSelect: false,
          },
        ],
      },
    ]);
    expect(toolResult(result, "AskUserQuestion")?.action.detail.result_preview).toContain(`"${ASK_QUESTION}"="Blue"`);
    expect(result.completed[0]?.answer).toContain(`"${ASK_QUESTION}"="Blue"`);
  });

  it("shows the plan; approved, claude leaves plan mode", async () => {
    const result = await run("plan", "plan it", { permission_mode: "plan", allowed_tools: [] }, { interact: () => Promise.resolve({ kind: "plan", approve: true, by: PERSON }) });
    expect(result.asked).toEqual([{ kind: "plan", plan: PLAN_TEXT }]);
    expect(result.completed[0]?.answer).toContain("User has approved exiting plan mode");
  });

  it("keep planning: claude stays in plan mode with the person's note", async () => {
    const result = await run("plan", "plan it", { permission_mode: "plan", allowed_tools: [] }, {
      interact: () => Promise.resolve({ kind: "plan", approve: false, by: PERSON, note: "add tests first" }),
    });
    expect(toolResult(result, "ExitPlanMode")?.action.detail.is_error).toBe(true);
    expect(result.completed[0]?.answer).toContain("Keep planning: add tests first");
  });

  it("a steer while a command runs joins the turn after the tool result", async () => {
    const outcomes: string[] = [];
    const result = await run("nap", "take a nap", { allowed_tools: ["Bash"] }, {
      onEvent: async (event, live) => {
        if (event.type === "action" && event.phase === "started" && event.action.detail.name === "Bash") outcomes.push(await steerInto(live, "also say banana"));
      },
    });
    expect(outcomes).toEqual(["after_tool"]);
    expect(result.completed).toHaveLength(1);
    expect(result.completed[0]).toMatchObject({ ok: true });
    expect(result.completed[0]?.answer).toContain("rested: rested");
    // The request after the tool result carried the steer.
    const bodies = llm.requests.filter((r) => r.scenario === "nap").map((r) => JSON.stringify(r.body));
    expect(bodies.some((body) => body.includes("also say banana") && body.includes("rested"))).toBe(true);
    expect(NAP_COMMAND).toContain("3000");
  });

  it("a steer while claude streams its answer becomes the next turn of the same run", async () => {
    const outcomes: string[] = [];
    const before = llm.requests.length;
    const result = await run("slow", "say hello slowly", {}, {
      onEvent: async (event, live) => {
        if (event.type === "started") outcomes.push(await steerInto(live, "and say it twice"));
      },
    });
    expect(outcomes).toEqual(["joined"]);
    expect(result.completed).toHaveLength(1);
    expect(result.completed[0]).toMatchObject({ ok: true, answer: "hello from fake" });
    const bodies = llm.requests.slice(before).filter((r) => r.scenario === "slow" && JSON.stringify(r.body).includes("say hello slowly"));
    expect(bodies.some((r) => JSON.stringify(r.body).includes("and say it twice"))).toBe(true);
  });

  it("refuses a steer for a session with no run in flight", async () => {
    const runner = runnerFor("text", home.home);
    await expect(runner.steer?.({ engine: "claude", value: "no-such-session" }, "hi")).rejects.toThrow("has no run in flight");
  });

  it("an interrupt during a long command ends the run and leaves no process behind", async () => {
    warnings.length = 0;
    const controller = new AbortController();
    const result = await run("sleep", "run the slow command", { allowed_tools: ["Bash"] }, {
      signal: controller.signal,
      onEvent: async (event, live) => {
        if (event.type === "action" && event.phase === "started" && event.action.detail.name === "Bash") {
          await waitFor(() => [...live.seen.values()].some((line) => line.includes("setTimeout")), 20_000, "the slow command to start");
          controller.abort();
        }
      },
    });
    expect(result.completed).toEqual([]);
    expect([...result.seen.values()].some((line) => line.includes("setTimeout"))).toBe(true);
    for (const [pid, line] of result.seen) expect(await isRunning(pid), `${pid} ${line} survived the interrupt`).toBe(false);
    // claude ended the turn and exited on its own: the kill after the exit timeout was not needed.
    expect(warnings.filter((line) => line.includes("did not exit"))).toEqual([]);
  });

  it("--effort still reaches the request body", async () => {
    const before = llm.requests.length;
    const result = await run("text", "say hello", {}, { reasoning: "high" });
    expect(result.completed[0]).toMatchObject({ ok: true, answer: "hello from fake" });
    const bodies = llm.requests.slice(before).map((r) => r.body as { output_config?: { effort?: string } });
    expect(bodies.some((body) => body.output_config?.effort === "high")).toBe(true);
  });
});
