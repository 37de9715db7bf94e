/**
 * The core of interactive runs with an in-memory chat and a scripted runner:
 * the progress message waits for an approval while one is open, an open
 * request is closed when the run is cancelled, and a queued prompt is steered
 * into the running turn — or keeps its place when the engine refuses.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ResumeToken, TakopiEvent } from "../../../src/core/events.js";
import type { InteractionAnswer, InteractionRequest } from "../../../src/core/interaction.js";
import { WAITING_LABELS } from "../../../src/core/run-asks.js";
import { runMessage, type InteractionHost, type MessageRunner } from "../../../src/core/run-message.js";
import { ThreadScheduler } from "../../../src/core/scheduler.js";
import type { RunControl, SteerOutcome } from "../../../src/engines/runner.js";
import { RunJournal } from "../../../src/core/run-journal.js";
import { MemorySurface } from "../../support/chat-surface.js";
import { scratchDir, waitFor } from "../../support/scripts.js";

const CHAT = 5;
const SESSION: ResumeToken = { engine: "scripted", value: "s-1" };
const codec = {
  formatResume: (token: ResumeToken) => `\`scripted resume ${token.value}\``,
  extractResume: () => null,
  isResumeLine: () => false,
};

/**
 * A runner that starts the session, asks `request` (if any) and ends with the
 * answer as its text; `hold` keeps the turn open until released (or steered).
 */
function scriptedRunner(options: { request?: InteractionRequest; steer?: (text: string) => Promise<SteerOutcome> } = {}) {
  const release = Promise.withResolvers<string>();
  const runner: MessageRunner = {
    engine: "scripted",
    backend: { ...codec, capabilities: { reasoning: null, steer: options.steer !== undefined } },
    async *run(_request, control: RunControl = {}): AsyncIterable<TakopiEvent> {
      yield { type: "started", engine: "scripted", resume: SESSION };
      let text: string;
      if (options.request !== undefined && control.interact !== undefined) {
        const answer: InteractionAnswer = await control.interact(options.request, new AbortController().signal);
        text = JSON.stringify(answer);
      } else {
        const aborted = new Promise<string>((resolve) => control.signal?.addEventListener("abort", () => { resolve("aborted"); }));
        text = await Promise.race([release.promise, aborted]);
      }
      if (control.signal?.aborted === true) return;
      yield { type: "completed", engine: "scripted", ok: true, answer: text, resume: SESSION };
    },
  };
  if (options.steer !== undefined) {
    const steer = options.steer;
    runner.steer = async (_session, text) => {
      const outcome = await steer(text);
      release.resolve(`steered: ${text}`);
      return outcome;
    };
  }
  return { runner, release: (text: string) => { release.resolve(text); } };
}

const COMMAND: InteractionRequest = { kind: "command", command: "touch x", cwd: null, reason: null };
const source = (messageId: number) => ({ chatId: CHAT, messageId, threadId: null });

describe("a run that asks", () => {
  it("says it waits for approval while the request is open, and hands the engine the answer", async () => {
    const surface = new MemorySurface();
    const answered = Promise.withResolvers<InteractionAnswer>();
    let asked: { request: InteractionRequest; progress: number | null } | null = null;
    const interact: InteractionHost = async (request, context) => {
      asked = { request, progress: (await context.progressPosted)?.messageId ?? null };
      return answered.promise;
    };
    const { runner } = scriptedRunner({ request: COMMAND });
    const done = runMessage({ surface, interact }, { runner, source: source(1), prompt: "go", resume: null, cwd: "/tmp" });
    await surface.until(() => surface.visible().some((message) => message.text.startsWith(WAITING_LABELS.approval)));
    expect(asked).toEqual({ request: COMMAND, progress: surface.visible()[0]?.ref.messageId });
    answered.resolve({ kind: "approval", decision: "approve", by: { userId: 1, name: null } });
    const result = await done;
    expect(result.status).toBe("done");
    expect(surface.find('"decision":"approve"')).toBeDefined();
  });

  it("lists an open request's message in the run journal while it waits, and drops it once answered", async () => {
    const dir = await scratchDir();
    try {
      const journal = new RunJournal({ path: join(dir.path, "runs.json") });
      const surface = new MemorySurface();
      const answered = Promise.withResolvers<InteractionAnswer>();
      const interact: InteractionHost = async (_request, context) => {
        const posted = await surface.send(CHAT, { parts: { header: "", body: "asks" } });
        if (posted !== null) context.shown?.(posted, "closed after a crash");
        return answered.promise;
      };
      const { runner } = scriptedRunner({ request: COMMAND });
      const done = runMessage({ surface, interact, journal }, { runner, source: source(1), prompt: "go", resume: null, cwd: "/tmp" });
      const asks = async () => (await journal.entries())[0]?.[1].asks;
      await waitFor(async () => (await asks())?.length === 1, 10_000, "the request in the journal");
      expect(await asks()).toEqual([{ message_id: expect.any(Number) as number, closed: "closed after a crash" }]);
      answered.resolve({ kind: "approval", decision: "approve", by: { userId: 1, name: null } });
      await waitFor(async () => (await asks())?.length === 0 || (await journal.entries()).length === 0, 10_000, "the request gone from the journal");
      expect((await done).status).toBe("done");
      expect(await journal.entries()).toEqual([]);
    } finally {
      await dir.dispose();
    }
  });

  it("closes an open request when the run is cancelled", async () => {
    const surface = new MemorySurface();
    const closed = Promise.withResolvers<boolean>();
    const interact: InteractionHost = (request, _context, signal) =>
      new Promise((resolve) => {
        signal.addEventListener("abort", () => {
          closed.resolve(true);
          resolve({ kind: "approval", decision: "deny", by: { userId: null, name: null }, note: "no longer needed" });
        });
      });
    const { runner } = scriptedRunner({ request: COMMAND });
    const cancel = new AbortController();
    const done = runMessage({ surface, interact }, { runner, source: source(1), prompt: "go", resume: null, cwd: "/tmp" }, { signal: cancel.signal });
    await surface.until(() => surface.visible().some((message) => message.text.startsWith(WAITING_LABELS.approval)));
    cancel.abort();
    expect(await closed.promise).toBe(true);
    expect((await done).status).toBe("cancelled");
  });
});

describe("steering a queued prompt", () => {
  function busySession(steer: (text: string) => Promise<SteerOutcome>) {
    const surface = new MemorySurface();
    const scheduler = new ThreadScheduler({ surface, now: () => 0 });
    const engine = scriptedRunner({ steer });
    const first = scheduler.submit({ runner: engine.runner, source: source(1), prompt: "work", resume: SESSION, cwd: "/tmp" });
    const second = scheduler.submit({ runner: engine.runner, source: source(2), prompt: "and this", resume: SESSION, cwd: "/tmp" });
    return { surface, scheduler, engine, first, second };
  }
  const queuedOf = (surface: MemorySurface) => surface.visible().find((message) => message.replyTo === 2);

  it("offers the steer button; a steer takes the prompt out of the queue and says it waits for the running command", async () => {
    const { surface, scheduler, first, second } = busySession(() => Promise.resolve("after_tool"));
    await surface.until(() => queuedOf(surface)?.markup === "steer");
    const queued = queuedOf(surface);
    expect(await scheduler.steerByMessage({ chatId: CHAT, messageId: queued?.ref.messageId ?? 0 })).toEqual({ steered: true, outcome: "after_tool" });
    expect((await second.done).status).toBe("steered");
    expect(queuedOf(surface)?.text).toContain("scripted takes it in once the running command finishes");
    expect(queuedOf(surface)?.markup).toBe("none");
    expect((await first.done).status).toBe("done");
    expect(surface.find("steered: and this")).toBeDefined();
  });

  it("keeps the prompt queued when the engine refuses the steer, and runs it after the turn", async () => {
    const { surface, scheduler, engine, second } = busySession(() => Promise.reject(new Error("no active turn")));
    await surface.until(() => queuedOf(surface)?.markup === "steer");
    const queued = queuedOf(surface);
    const result = await scheduler.steerByMessage({ chatId: CHAT, messageId: queued?.ref.messageId ?? 0 });
    expect(result.steered).toBe(false);
    expect(scheduler.runs().map((run) => run.state)).toEqual(["running", "queued"]);
    engine.release("first answer");
    expect((await second.done).status).toBe("done");
  });

  it("offers no steer button when the engine cannot steer", async () => {
    const surface = new MemorySurface();
    const scheduler = new ThreadScheduler({ surface, now: () => 0 });
    const engine = scriptedRunner();
    scheduler.submit({ runner: engine.runner, source: source(1), prompt: "work", resume: SESSION, cwd: "/tmp" });
    const second = scheduler.submit({ runner: engine.runner, source: source(2), prompt: "and this", resume: SESSION, cwd: "/tmp" });
    await surface.until(() => queuedOf(surface) !== undefined);
    expect(queuedOf(surface)?.markup).toBe("cancel");
    expect((await scheduler.steerByMessage({ chatId: CHAT, messageId: queuedOf(surface)?.ref.messageId ?? 0 })).steered).toBe(false);
    engine.release("done");
    await second.done;
  });
});
