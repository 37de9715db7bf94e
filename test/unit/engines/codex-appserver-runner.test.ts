/**
 * The app-server runner against a scripted stand-in server
 * (test/support/fake-appserver/codex.mjs): the requests codex makes
 * (approvals, questions) handed to the run's `control.interact` and answered
 * in codex's words, a request codex withdraws, and steering a turn. The real
 * codex asks too (test/integration/codex-approvals.test.ts); the stand-in
 * covers the shapes the fake LLM cannot script (patch diffs, questions).
 */
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { TakopiEvent } from "../../../src/core/events.js";
import type { InteractionAnswer, InteractionHandler, InteractionRequest } from "../../../src/core/interaction.js";
import { AppServerRunner } from "../../../src/engines/codex/appserver-runner.js";
import { codexBackend } from "../../../src/engines/codex/index.js";
import { completedOf } from "../../support/recordings.js";

const FAKE = fileURLToPath(new URL("../../support/fake-appserver/codex.mjs", import.meta.url));
const runners: AppServerRunner[] = [];

afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.shutdown();
});

function runner(table: Record<string, unknown> = {}): AppServerRunner {
  const created = new AppServerRunner({ backend: codexBackend, config: codexBackend.configSchema.parse({ extra_args: [], ...table }), command: FAKE, graceMs: 200 });
  runners.push(created);
  return created;
}

const by = { userId: 7, name: "@me" };

/** Runs `prompt` with an interact that records each request and answers with `answer`. */
async function askRun(prompt: string, answer: (request: InteractionRequest, signal: AbortSignal) => Promise<InteractionAnswer> | InteractionAnswer): Promise<{ asked: InteractionRequest[]; answer: string | undefined }> {
  const asked: InteractionRequest[] = [];
  const interact: InteractionHandler = async (request, signal) => {
    asked.push(request);
    return answer(request, signal);
  };
  const events = await collect(runner().run({ prompt, resume: null, cwd: process.cwd() }, { interact }));
  return { asked, answer: completedOf(events).answer };
}

async function collect(events: AsyncIterable<TakopiEvent>, onEvent?: (event: TakopiEvent) => Promise<void> | void): Promise<TakopiEvent[]> {
  const seen: TakopiEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    await onEvent?.(event);
  }
  return seen;
}

describe("AppServerRunner with a scripted server", () => {
  it("declines a request when the run has nobody to ask", async () => {
    const events = await collect(runner().run({ prompt: "ask", resume: null, cwd: process.cwd() }));
    expect(completedOf(events)).toMatchObject({ ok: true, answer: 'decision: {"decision":"decline"}' });
  });

  it("asks the run's interact for a command, shown without codex's shell wrapper, and sends each decision in codex's words", async () => {
    const decisions = { approve: "accept", approve_session: "acceptForSession", deny: "decline" } as const;
    for (const [decision, codexDecision] of Object.entries(decisions)) {
      const { asked, answer } = await askRun("ask", () => ({ kind: "approval", decision: decision as keyof typeof decisions, by }));
      expect(asked).toEqual([{ kind: "command", command: "rm -rf /", cwd: "/repo", reason: null }]);
      expect(answer).toBe(`decision: {"decision":"${codexDecision}"}`);
    }
  });

  it("stop: codex cancels and interrupts the turn, and the run ends as a cancel does (no completed)", async () => {
    const asked: InteractionRequest[] = [];
    const interact: InteractionHandler = (request) => {
      asked.push(request);
      return Promise.resolve({ kind: "approval", decision: "stop", by });
    };
    const events = await collect(runner().run({ prompt: "ask", resume: null, cwd: process.cwd() }, { interact }));
    expect(asked).toHaveLength(1);
    expect(events.map((event) => event.type)).toContain("started");
    expect(events.some((event) => event.type === "completed")).toBe(false);
  });

  it("shows a patch's files and diff from its item/started with the files request", async () => {
    const { asked, answer } = await askRun("ask-files", () => ({ kind: "approval", decision: "approve", by }));
    expect(asked).toEqual([{ kind: "files", files: ["/repo/a.txt"], diff: "@@ -1 +1 @@\n-old\n+new", reason: "write outside" }]);
    expect(answer).toBe('decision: {"decision":"accept"}');
  });

  it("asks a question with its options and sends the answers under the question ids", async () => {
    const { asked, answer } = await askRun("ask-question", () => ({ kind: "answers", answers: { color: ["Blue"] }, by }));
    expect(asked).toEqual([
      {
        kind: "question",
        questions: [{ id: "color", header: "Color", question: "Which color?", multiSelect: false, options: [{ label: "Red", description: "warm" }, { label: "Blue", description: null }] }],
      },
    ]);
    expect(answer).toBe('decision: {"answers":{"color":{"answers":["Blue"]}}}');
  });

  it("a request codex withdraws aborts the interact signal, and the answer given then is not sent", async () => {
    let aborted = false;
    const { asked, answer } = await askRun(
      "ask-withdrawn",
      (_request, signal) =>
        new Promise<InteractionAnswer>((resolve) => {
          signal.addEventListener("abort", () => {
            aborted = true;
            resolve({ kind: "approval", decision: "approve", by });
          });
        }),
    );
    expect(asked).toHaveLength(1);
    expect(aborted).toBe(true);
    expect(answer).toBe("withdrawn; late replies: 0");
  });

  it("a cancelled run aborts the interact signal of its open request", async () => {
    const controller = new AbortController();
    let aborted = false;
    const interact: InteractionHandler = (_request, signal) =>
      new Promise((resolve) => {
        controller.abort();
        signal.addEventListener("abort", () => {
          aborted = true;
          resolve({ kind: "approval", decision: "approve", by });
        });
      });
    const events = await collect(runner().run({ prompt: "ask", resume: null, cwd: process.cwd() }, { interact, signal: controller.signal }));
    expect(aborted).toBe(true);
    expect(events.some((event) => event.type === "completed")).toBe(false);
  });

  it("steers the turn in flight with turn/steer, and refuses when the session has none", async () => {
    const steering = runner();
    let outcome: string | undefined;
    const events = await collect(steering.run({ prompt: "wait", resume: null, cwd: process.cwd() }), async (event) => {
      if (event.type === "action" && event.action.kind === "turn") outcome = await steering.steer({ engine: "codex", value: "thread-1" }, "go left");
    });
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "steered: go left" });
    expect(outcome).toBe("joined");
    await expect(steering.steer({ engine: "codex", value: "thread-1" }, "too late")).rejects.toThrow(/no turn in flight/);
  });

  it("a steer while a command runs waits for it: after_tool", async () => {
    const steering = runner();
    let outcome: string | undefined;
    const events = await collect(steering.run({ prompt: "wait-command", resume: null, cwd: process.cwd() }), async (event) => {
      if (event.type === "action" && event.action.kind === "command" && event.phase === "started") outcome = await steering.steer({ engine: "codex", value: "thread-1" }, "then this");
    });
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "steered: then this" });
    expect(outcome).toBe("after_tool");
  });

  it("starts and resumes threads with the configured approval policy, in the sandbox that policy needs", async () => {
    const params = async (table: Record<string, unknown>, resume: boolean): Promise<unknown> => {
      const events = await collect(runner(table).run({ prompt: "thread-params", resume: resume ? { engine: "codex", value: "thread-1" } : null, cwd: process.cwd() }));
      return JSON.parse(completedOf(events).answer);
    };
    // never: codex's own sandbox setting is left alone, as before approvals.
    expect(await params({}, false)).toEqual({ method: "thread/start", approvalPolicy: "never" });
    expect(await params({ approval_policy: "on-request" }, false)).toEqual({ method: "thread/start", approvalPolicy: "on-request", sandbox: "read-only" });
    expect(await params({ approval_policy: "on-request" }, true)).toEqual({ method: "thread/resume", approvalPolicy: "on-request", sandbox: "read-only" });
    expect(await params({ approval_policy: "untrusted" }, true)).toEqual({ method: "thread/resume", approvalPolicy: "untrusted", sandbox: "danger-full-access" });
  });

  it("one process serves run after run", async () => {
    const reused = runner();
    await collect(reused.run({ prompt: "hi", resume: null, cwd: process.cwd() }));
    const pid = reused.pid;
    const events = await collect(reused.run({ prompt: "hi", resume: { engine: "codex", value: "thread-1" }, cwd: process.cwd() }));
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "hello from fake app-server", resume: { engine: "codex", value: "thread-1" } });
    expect(reused.pid).toBe(pid);
  });
});
