import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UsageTotals } from "../../../src/core/usage.js";
import { NO_COMPLETED_ERROR, runMessage, type BridgeSettings, type MessageRun, type MessageRunner } from "../../../src/core/run-message.js";
import type { ResumeToken } from "../../../src/core/events.js";
import type { MessageRef } from "../../../src/core/chat.js";
import { readProcess } from "../../../src/engines/process-tree.js";
import { MemorySurface } from "../../support/chat-surface.js";
import { plannedEngine, say, type PlannedEngine } from "../../support/planned-engine.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

const CHAT = 77;
const USER_MESSAGE = 10;

let dir: ScratchDir;
let engine: PlannedEngine;
let surface: MemorySurface;
let clock: { t: number };
let settings: BridgeSettings;

beforeEach(async () => {
  dir = await scratchDir();
  engine = await plannedEngine(dir);
  surface = new MemorySurface();
  clock = { t: 0 };
  settings = { surface, now: () => clock.t };
});
afterEach(async () => {
  await dir.dispose();
});

function token(value: string): ResumeToken {
  return { engine: "passthrough", value };
}

function messageRun(text: string, overrides: Partial<MessageRun> = {}): MessageRun {
  return {
    runner: engine.runner,
    source: { chatId: CHAT, messageId: USER_MESSAGE, threadId: null },
    prompt: text,
    resume: null,
    cwd: dir.path,
    ...overrides,
  };
}

describe("runMessage", () => {
  it("replies with a progress message, edits it as the engine works, and answers loudly with the resume line", async () => {
    await engine.plan("fix it", [say.started("s-1"), { gate: "g1" }, say.action("a1", "npm test"), { gate: "g2" }, say.completed("all good")]);
    const result = runMessage(settings, messageRun("fix it"));

    const progress = await surface.waitForText("passthrough resume s-1");
    expect(surface.calls[0]).toMatchObject({
      kind: "send",
      text: "starting · passthrough · 0s",
      options: { replyTo: USER_MESSAGE, notify: false, markup: "cancel", threadId: null },
    });
    expect(progress.text).toBe("working · passthrough · 0s\n\npassthrough resume s-1");
    expect(progress.markup).toBe("cancel");

    clock.t = 65_000;
    await engine.open("g1");
    await surface.until(() => progress.text.includes("npm test"), 10_000, "the action to show");
    expect(progress.text).toBe("working · passthrough · 1m 05s · step 1\n\n✓ npm test\n\npassthrough resume s-1");

    await engine.open("g2");
    const outcome = await result;
    expect(outcome).toMatchObject({ status: "done", resume: token("s-1") });
    expect(progress.deleted).toBe(true);
    const [final, ...others] = surface.visible();
    expect(others).toEqual([]);
    expect(final).toMatchObject({
      text: "done · passthrough · 1m 05s · step 1\n\nall good\n\npassthrough resume s-1",
      notify: true,
      replyTo: USER_MESSAGE,
      markup: "none",
    });
    expect(outcome.message).toEqual(final?.ref);
    // The resume line is code, so it can be copied with a tap.
    const resumeAt = final?.text.indexOf("passthrough resume s-1");
    expect(final?.entities).toContainEqual({ type: "code", offset: resumeAt, length: 22 });
  });

  it("shows the usage the engine reported in the footer only with show_usage, and adds it to the chat's totals either way", async () => {
    const usage = new UsageTotals();
    const reported = { type: "completed", answer: "ok", ok: true, usage: { input_tokens: 12_345, output_tokens: 1234, total_cost_usd: 0.0423 } };
    await engine.plan("count", [say.started("s-u"), { emit: reported }]);
    await runMessage({ ...settings, usage }, messageRun("count"));
    expect(surface.visible().at(-1)?.text).toBe("done · passthrough · 0s\n\nok\n\npassthrough resume s-u");

    await engine.plan("count again", [say.started("s-v"), { emit: reported }]);
    await runMessage({ ...settings, usage, showUsage: () => true }, messageRun("count again"));
    const final = surface.visible().at(-1);
    expect(final?.text).toBe("done · passthrough · 0s\n\nok\n\n12.3k in · 1.2k out · $0.042\npassthrough resume s-v");
    expect(final?.entities).toContainEqual({ type: "code", offset: final?.text.indexOf("12.3k"), length: "12.3k in · 1.2k out · $0.042".length });
    expect(usage.get(CHAT)).toEqual({ runs: 2, inputTokens: 24_690, outputTokens: 2468, costUsd: 0.0846 });

    // An engine that reports nothing shows no line and adds no run.
    await engine.plan("silent", [say.started("s-w"), say.completed("quiet")]);
    await runMessage({ ...settings, usage, showUsage: () => true }, messageRun("silent"));
    expect(surface.visible().at(-1)?.text).toBe("done · passthrough · 0s\n\nquiet\n\npassthrough resume s-w");
    expect(usage.get(CHAT)?.runs).toBe(2);
  });

  it("with final_notify off, edits the progress message into the answer instead of sending a new one", async () => {
    await engine.plan("quiet", [say.started("s-2"), say.completed("answer")]);
    const outcome = await runMessage({ ...settings, finalNotify: false }, messageRun("quiet"));

    expect(outcome.status).toBe("done");
    expect(surface.calls.filter((call) => call.kind === "send")).toHaveLength(1);
    expect(surface.calls.some((call) => call.kind === "delete")).toBe(false);
    const [progress] = surface.visible();
    expect(progress).toMatchObject({ text: "done · passthrough · 0s\n\nanswer\n\npassthrough resume s-2", markup: "none", notify: false });
    expect(outcome.message).toEqual(progress?.ref);
  });

  it("shows an engine that fails as an error final that keeps the resume line", async () => {
    await engine.plan("crash", [say.started("s-3"), say.action("a1", "make"), { exit: 3 }]);
    const outcome = await runMessage(settings, messageRun("crash"));

    expect(outcome).toMatchObject({ status: "error", resume: token("s-3") });
    const [final, ...others] = surface.visible();
    expect(others).toEqual([]);
    // One step: the failed exit is reported as a warning, which is shown but is not a step of the work.
    expect(final?.text).toBe("error · passthrough · 0s · step 1\n\npassthrough failed (rc=3).\n\npassthrough resume s-3");
    expect(final?.notify).toBe(true);
  });

  it("shows a runner that throws as an error final with the error text, in place of the progress message", async () => {
    // The CLI announces another session than the one resumed: the runner refuses its output.
    await engine.plan("go on", [say.started("someone-else"), say.completed("not mine")]);
    const outcome = await runMessage(settings, messageRun("go on", { resume: token("s-4") }));

    expect(outcome).toMatchObject({ status: "error", resume: token("s-4") });
    expect(surface.calls.filter((call) => call.kind === "send")).toHaveLength(1);
    const [progress] = surface.visible();
    expect(progress).toMatchObject({
      text: "error · passthrough · 0s\n\npassthrough emitted session id someone-else but expected s-4\n\npassthrough resume s-4",
      markup: "none",
    });
    expect(progress?.history[0]).toBe("starting · passthrough · 0s\n\npassthrough resume s-4");
  });

  it("cancel kills the engine and leaves the progress message in the cancelled state, with no final", async () => {
    await engine.plan("long", [say.started("s-5"), { mark: "pid" }, say.action("a1", "long task"), { hang: true }]);
    const controller = new AbortController();
    const result = runMessage(settings, messageRun("long"), { signal: controller.signal });

    const progress = await surface.waitForText("long task");
    const pid = await engine.marked("pid");
    expect(pid).not.toBeNull();
    controller.abort();
    const outcome = await result;

    expect(outcome).toMatchObject({ status: "cancelled", resume: token("s-5"), message: progress.ref });
    expect(surface.visible()).toEqual([progress]);
    expect(progress).toMatchObject({ text: "cancelled · passthrough · 0s · step 1\n\n✓ long task\n\npassthrough resume s-5", markup: "none" });
    const info = await readProcess(pid ?? 0);
    expect(info === null || info.state === "Z").toBe(true);
  });

  it("reports a runner that ends without a completed event instead of hanging or claiming success", async () => {
    await engine.plan("vanish", [say.started("s-6"), say.completed("lost")]);
    // A plugin runner that breaks the contract: it swallows `completed`.
    const lossy: MessageRunner = {
      engine: engine.runner.engine,
      backend: engine.runner.backend,
      async *run(request, control) {
        for await (const event of engine.runner.run(request, control)) if (event.type !== "completed") yield event;
      },
    };
    const outcome = await runMessage(settings, messageRun("vanish", { runner: lossy }));

    expect(outcome).toMatchObject({ status: "error", resume: token("s-6") });
    expect(surface.visible().map((m) => m.text)).toEqual([`error · passthrough · 0s\n\n${NO_COMPLETED_ERROR}\n\npassthrough resume s-6`]);
  });

  it("shows a successful run with an empty answer as done", async () => {
    await engine.plan("silent", [say.started("s-7"), say.completed("")]);
    const outcome = await runMessage(settings, messageRun("silent"));

    expect(outcome.status).toBe("done");
    expect(surface.visible().map((m) => m.text)).toEqual(["done · passthrough · 0s\n\npassthrough resume s-7"]);
  });

  it("in split mode sends the rest of a long answer as follow-ups in the same topic, each with the resume line", async () => {
    const answer = `${"a".repeat(3000)}\n\n${"b".repeat(3000)}`;
    await engine.plan("long answer", [say.started("s-8"), say.completed(answer)]);
    const inTopic = messageRun("long answer");
    inTopic.source.threadId = 5;
    const outcome = await runMessage({ ...settings, overflow: () => "split" }, inTopic);

    expect(outcome.status).toBe("done");
    const shown = surface.visible();
    expect(surface.messages.every((m) => m.ref.threadId === 5)).toBe(true);
    expect(shown.map((m) => m.text)).toEqual([
      `done · passthrough · 0s\n\n${"a".repeat(3000)}\n\npassthrough resume s-8`,
      `done · passthrough · 0s · continued (2/2)\n\n${"b".repeat(3000)}\n\npassthrough resume s-8`,
    ]);
    expect(shown.every((m) => m.notify && m.replyTo === USER_MESSAGE)).toBe(true);
    expect(outcome.message).toEqual(shown[0]?.ref);
  });

  it("turns a queued placeholder into the progress message instead of posting another", async () => {
    await engine.plan("queued one", [say.started("s-9"), say.completed("ok")]);
    const placeholder = await surface.send(
      CHAT,
      { parts: { header: "queued · passthrough · 0s" }, markup: "cancel" },
      { replyTo: { chatId: CHAT, messageId: USER_MESSAGE, threadId: null }, notify: false },
    );
    const seen: MessageRef[] = [];
    const outcome = await runMessage({ ...settings, finalNotify: false }, messageRun("queued one", { resume: token("s-9") }), {
      placeholder: Promise.resolve(placeholder),
      onProgressMessage: (ref) => seen.push(ref),
    });

    expect(outcome.status).toBe("done");
    expect(surface.calls.filter((call) => call.kind === "send")).toHaveLength(1);
    const [message] = surface.visible();
    expect(message?.ref).toEqual(placeholder);
    expect(message?.history.slice(0, 2)).toEqual(["queued · passthrough · 0s", "starting · passthrough · 0s\n\npassthrough resume s-9"]);
    expect(message?.text).toBe("done · passthrough · 0s\n\nok\n\npassthrough resume s-9");
    expect(seen).toEqual([placeholder]);
  });

  it("treats edits as best effort: when they fail the answer is still delivered, as a new message", async () => {
    surface.failEdits = true;
    await engine.plan("flaky", [say.started("s-10"), say.action("a1", "step"), say.completed("made it")]);
    const outcome = await runMessage({ ...settings, finalNotify: false }, messageRun("flaky"));

    expect(outcome.status).toBe("done");
    expect(surface.visible().map((m) => m.text)).toEqual(["done · passthrough · 0s · step 1\n\nmade it\n\npassthrough resume s-10"]);
    expect(surface.messages[0]?.deleted).toBe(true);
  });

  it("strips resume lines from the prompt and reports the session when the engine announces it", async () => {
    // The plan exists only for the stripped prompt: any other prompt fails the run.
    await engine.plan("do this\nand that", [say.started("$RESUME"), say.completed("ran: $PROMPT")]);
    const known: ResumeToken[] = [];
    const outcome = await runMessage(settings, messageRun("do this\n`passthrough resume s-11`\nand that", { resume: token("s-11") }), {
      onThreadKnown: (found) => known.push(found),
    });

    expect(outcome.status).toBe("done");
    expect(known).toEqual([token("s-11")]);
    // The answer is markdown: its single line break renders as a space.
    expect(surface.visible()[0]?.text).toBe("done · passthrough · 0s\n\nran: do this and that\n\npassthrough resume s-11");
  });

  it("hides the resume line when told to, and shows the context line above it", async () => {
    await engine.plan("ctx", [say.started("s-12"), say.completed("fine")]);
    await runMessage(settings, messageRun("ctx", { contextLine: "`ctx: web @main`", formatResume: () => "" }));
    expect(surface.visible().map((m) => m.text)).toEqual(["done · passthrough · 0s\n\nfine\n\nctx: web @main"]);
  });

  it("keeps the elapsed time moving and says when the engine has been silent, without stopping it", async () => {
    await engine.plan("quiet", [{ gate: "wake" }, say.started("s-q"), { gate: "finish" }, say.completed("awake")]);
    const run = runMessage({ ...settings, tickMs: 20, stallNoticeS: () => 60 }, messageRun("quiet"));
    const progress = await surface.waitForText("starting");

    clock.t = 30_000;
    await surface.until(() => progress.text === "starting · passthrough · 30s", 10_000, "the elapsed time to move with no event");
    clock.t = 125_000;
    await surface.until(() => progress.text.includes("no output from passthrough for 2m 05s"), 10_000, "the silence to show");
    expect(progress.markup).toBe("cancel");

    await engine.open("wake");
    await surface.until(() => progress.text === "working · passthrough · 2m 05s\n\npassthrough resume s-q", 10_000, "the notice to go");
    await engine.open("finish");
    expect((await run).status).toBe("done");
  });

  it("never shows the silence notice when it is turned off", async () => {
    await engine.plan("mute", [{ gate: "go" }, say.started("s-m"), say.completed("ok")]);
    const run = runMessage({ ...settings, tickMs: 20, stallNoticeS: () => 0 }, messageRun("mute"));
    const progress = await surface.waitForText("starting");
    clock.t = 3_600_000;
    await surface.until(() => progress.text.startsWith("starting · passthrough · 1h"), 10_000, "an hour to pass");
    expect(progress.history.some((text) => text.includes("no output"))).toBe(false);
    await engine.open("go");
    expect((await run).status).toBe("done");
  });
});
