import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ResumeToken } from "../../../src/core/events.js";
import { ThreadScheduler, type JobSpec } from "../../../src/core/scheduler.js";
import { readProcess } from "../../../src/engines/process-tree.js";
import { MemorySurface } from "../../support/chat-surface.js";
import { plannedEngine, say, type PlanStep, type PlannedEngine } from "../../support/planned-engine.js";
import { scratchDir, waitFor, type ScratchDir } from "../../support/scripts.js";

const CHAT = 77;

let dir: ScratchDir;
let engine: PlannedEngine;
let surface: MemorySurface;
let scheduler: ThreadScheduler;

/**
 * A resumed session that logs its start (before announcing the session, so a
 * `working` message means the line is written), waits for `go-<prompt>`, logs
 * its end and answers.
 */
const HELD: PlanStep[] = [{ log: "start $PROMPT" }, say.started("$RESUME"), { gate: "go-$PROMPT" }, { log: "end $PROMPT" }, say.completed("answer to $PROMPT")];

beforeEach(async () => {
  dir = await scratchDir();
  engine = await plannedEngine(dir);
  await engine.plan("*", HELD);
  surface = new MemorySurface();
  scheduler = new ThreadScheduler({ surface, now: () => 0 });
});
afterEach(async () => {
  scheduler.cancelAll();
  expect(await scheduler.waitIdle(8_000)).toBe(true);
  await dir.dispose();
});

function token(value: string): ResumeToken {
  return { engine: "passthrough", value };
}

function job(text: string, messageId: number, resume: string | null, extra: Partial<JobSpec> = {}): JobSpec {
  return {
    runner: engine.runner,
    source: { chatId: CHAT, messageId, threadId: null },
    prompt: text,
    resume: resume === null ? null : token(resume),
    cwd: dir.path,
    ...extra,
  };
}

/** The live message that replies to user message `messageId`. */
function replyTo(messageId: number) {
  const found = surface.visible().filter((m) => m.replyTo === messageId);
  return found.length === 1 ? found[0] : undefined;
}

async function waitForReply(messageId: number, prefix: string) {
  await surface.until(() => replyTo(messageId)?.text.startsWith(prefix) === true, 10_000, `the reply to ${messageId} to show ${prefix}`);
  const found = replyTo(messageId);
  if (found === undefined) throw new Error("unreachable");
  return found;
}

describe("ThreadScheduler", () => {
  it("runs different threads in parallel and queues a second prompt for a busy thread behind the first", async () => {
    const a = scheduler.submit(job("a", 10, "sa", { project: "web", branch: "main" }));
    const b = scheduler.submit(job("b", 11, "sb"));
    const a2 = scheduler.submit(job("a2", 12, "sa"));
    expect([a.queued, b.queued, a2.queued]).toEqual([false, false, true]);

    // Both sessions are held at their gates at the same time: they run in parallel.
    await waitForReply(10, "working");
    await waitForReply(11, "working");
    const placeholder = await waitForReply(12, "queued");
    expect(placeholder).toMatchObject({ text: "queued · passthrough · 0s\n\npassthrough resume sa", notify: false, markup: "cancel" });
    expect(scheduler.runs()).toEqual([
      { id: a.id, state: "running", chatId: CHAT, threadId: null, engine: "passthrough", project: "web", branch: "main", startedAt: 0, resumeLine: "`passthrough resume sa`" },
      { id: b.id, state: "running", chatId: CHAT, threadId: null, engine: "passthrough", project: null, branch: null, startedAt: 0, resumeLine: "`passthrough resume sb`" },
      { id: a2.id, state: "queued", chatId: CHAT, threadId: null, engine: "passthrough", project: null, branch: null, startedAt: null, resumeLine: "`passthrough resume sa`" },
    ]);

    await engine.open("go-a");
    expect(await a.done).toMatchObject({ status: "done" });
    // The queued message becomes the live progress message of the second prompt.
    await surface.until(() => placeholder.text.startsWith("working"), 10_000, "the queued prompt to start");
    expect(placeholder.history[1]).toBe("starting · passthrough · 0s\n\npassthrough resume sa");

    await engine.open("go-b");
    await engine.open("go-a2");
    expect((await Promise.all([b.done, a2.done])).map((r) => r.status)).toEqual(["done", "done"]);
    const log = await engine.log();
    expect(log.indexOf("end a")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("start b")).toBeLessThan(log.indexOf("end a"));
    const answers = surface.visible().map((m) => [m.replyTo ?? 0, m.text.split("\n\n")[1]] as const);
    expect(answers.sort((x, y) => x[0] - y[0])).toEqual([
      [10, "answer to a"],
      [11, "answer to b"],
      [12, "answer to a2"],
    ]);
    expect(placeholder.deleted).toBe(true);
    expect(scheduler.runs()).toEqual([]);
  });

  it("drops a cancelled queued job: it never starts and its queued message shows cancelled", async () => {
    const a = scheduler.submit(job("a", 10, "sa"));
    const a2 = scheduler.submit(job("a2", 12, "sa"));
    await waitForReply(10, "working");
    const placeholder = await waitForReply(12, "queued");

    expect(scheduler.cancelByMessage(placeholder.ref)).toBe("dropped");
    expect(await a2.done).toMatchObject({ status: "cancelled", message: placeholder.ref });
    expect(placeholder).toMatchObject({ text: "cancelled · passthrough · 0s\n\npassthrough resume sa", markup: "none" });
    expect(scheduler.runs().map((run) => run.id)).toEqual([a.id]);
    expect(scheduler.cancelByMessage(placeholder.ref)).toBe("none");

    await engine.open("go-a");
    await engine.open("go-a2");
    expect(await a.done).toMatchObject({ status: "done" });
    expect(await scheduler.waitIdle(10_000)).toBe(true);
    expect(await engine.log()).toEqual(["start a", "end a"]);
  });

  it("cancels a running job from its progress message, and the thread's next job then runs", async () => {
    await engine.plan("stuck", [say.started("$RESUME"), { mark: "stuck-pid" }, say.action("a1", "waiting forever"), { hang: true }]);
    const stuck = scheduler.submit(job("stuck", 10, "sa"));
    const next = scheduler.submit(job("next", 12, "sa"));
    const progress = await waitForReply(10, "working · passthrough · 0s · step 1");
    const pid = await engine.marked("stuck-pid");

    expect(scheduler.cancelByMessage(progress.ref)).toBe("cancelling");
    expect(await stuck.done).toMatchObject({ status: "cancelled" });
    expect(progress).toMatchObject({ text: "cancelled · passthrough · 0s · step 1\n\n✓ waiting forever\n\npassthrough resume sa", markup: "none" });
    const info = await readProcess(pid ?? 0);
    expect(info === null || info.state === "Z").toBe(true);

    await waitForReply(12, "working");
    await engine.open("go-next");
    expect(await next.done).toMatchObject({ status: "done" });
    expect(scheduler.cancel(next.id)).toBe("none");
  });

  it("queues a reply to a running progress message on that run's thread once the engine announces it", async () => {
    await engine.plan("new", [{ mark: "new-waiting" }, { gate: "announce" }, say.started("s-new"), { log: "start new" }, { gate: "go-new" }, { log: "end new" }, say.completed("first")]);
    const known: ResumeToken[] = [];
    const first = scheduler.submit(job("new", 20, null, { onThreadKnown: (found) => known.push(found) }));
    const progress = await waitForReply(20, "starting");

    const pending = scheduler.sessionForProgressMessage(progress.ref);
    expect(pending).not.toBeNull();
    let settled = false;
    void pending?.then(() => {
      settled = true;
    });
    await waitFor(async () => (await engine.marked("new-waiting")) !== null, 10_000, "the engine to wait before announcing");
    expect(settled).toBe(false);

    await engine.open("announce");
    const thread = await pending;
    expect(thread).toEqual(token("s-new"));
    expect(known).toEqual([token("s-new")]);
    // The job's own handle answers the same question the same way.
    expect(await first.session).toEqual(token("s-new"));

    const reply = scheduler.submit(job("reply", 21, thread?.value ?? null));
    expect(reply.queued).toBe(true);
    await waitForReply(21, "queued · passthrough · 0s\n\npassthrough resume s-new");
    // A reply to the queued message resolves to the same thread at once.
    const queuedRef = replyTo(21)?.ref;
    expect(await (queuedRef === undefined ? null : scheduler.sessionForProgressMessage(queuedRef))).toEqual(token("s-new"));

    await engine.open("go-new");
    await engine.open("go-reply");
    expect((await Promise.all([first.done, reply.done])).map((r) => r.status)).toEqual(["done", "done"]);
    const log = await engine.log();
    expect(log.indexOf("end new")).toBeLessThan(log.indexOf("start reply"));
    expect(scheduler.sessionForProgressMessage(progress.ref)).toBeNull();
  });

  it("answers a wait for the thread with null when the run ends without announcing a session", async () => {
    await engine.plan("anonymous", [{ gate: "finish" }, say.completed("no session")]);
    const run = scheduler.submit(job("anonymous", 30, null));
    const progress = await waitForReply(30, "starting");
    const pending = scheduler.sessionForProgressMessage(progress.ref);
    await engine.open("finish");
    expect(await pending).toBeNull();
    expect(await run.done).toMatchObject({ status: "done", resume: null });
    expect(scheduler.sessionForProgressMessage({ chatId: CHAT, messageId: 999_999 })).toBeNull();
  });

  it("cancelAll stops running and queued jobs, and waitIdle reports when they are over", async () => {
    const a = scheduler.submit(job("a", 10, "sa"));
    const b = scheduler.submit(job("b", 11, "sb"));
    const a2 = scheduler.submit(job("a2", 12, "sa"));
    await waitForReply(10, "working");
    await waitForReply(11, "working");
    await waitForReply(12, "queued");
    // Held at their gates, the runs cannot end on their own.
    expect(await scheduler.waitIdle(50)).toBe(false);

    expect(scheduler.cancelAll()).toBe(3);
    expect(await scheduler.waitIdle(10_000)).toBe(true);
    expect((await Promise.all([a.done, b.done, a2.done])).map((r) => r.status)).toEqual(["cancelled", "cancelled", "cancelled"]);
    expect(surface.visible().map((m) => m.text.split("\n\n")[0])).toEqual([
      "cancelled · passthrough · 0s",
      "cancelled · passthrough · 0s",
      "cancelled · passthrough · 0s",
    ]);
    expect(await engine.log()).toEqual(expect.not.arrayContaining(["start a2"]));
    expect(scheduler.runs()).toEqual([]);
  });
});
