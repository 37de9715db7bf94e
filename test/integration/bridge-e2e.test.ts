/**
 * The Telegram bridge end to end, as a person on a phone meets it: a real
 * `takopi run` process against the fake Bot API server over HTTP, with
 * stand-in engine CLIs on PATH replaying this repository's recordings of the
 * real CLIs (paced, so progress has something to show) and a real git repo.
 */
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { bridgePerTest, cancelledCleanly, CODEX_RESUME, progressOf } from "../support/bridge-harness.js";
import { GROUP, OTHER_USER, USER } from "../support/fake-telegram/standard-world.js";
import { waitFor } from "../support/scripts.js";

const { started, created } = bridgePerTest();

describe("a prompt", () => {
  it("gets a progress message with live edits, then the answer as a new message with the resume line", async () => {
    const harness = await started({ engineDelayMs: 400 });
    const prompt = harness.send("run the tool [scenario:tool]");
    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    expect(final.text).toContain("the command printed hi");
    expect(final.text).toMatch(CODEX_RESUME);
    expect(final.disableNotification).toBe(false);
    expect(final.replyMarkup).toBeUndefined();

    // The progress message: sent silently with a cancel button, edited while the engine worked, then deleted.
    const progress = progressOf(harness, prompt.stored.messageId);
    expect(progress).toBeDefined();
    expect(progress?.disableNotification).toBe(true);
    const versions = [...(progress?.edits ?? []).map((version) => version.text ?? ""), progress?.text ?? ""];
    expect(versions.some((text) => text.startsWith("working"))).toBe(true);
    expect(versions.some((text) => text.includes("echo hi"))).toBe(true);
    await waitFor(() => harness.botMessages().find((message) => message.messageId === progress?.messageId)?.deleted === true, 10_000, "progress deleted");

    const [spawn] = await harness.spawns();
    expect(spawn?.engine).toBe("codex");
    expect(spawn?.prompt).toContain("run the tool");
    expect(await harness.stop()).toBe(0);
  });

  it("continues the same engine session when the person replies to the answer", async () => {
    const harness = await started();
    const first = harness.send("hello");
    const answer = await harness.replyTo(first.stored.messageId, (text) => text.startsWith("done"));
    const session = CODEX_RESUME.exec(answer.text ?? "")?.[1];
    expect(session).toBeDefined();

    const followUp = harness.send("did you keep history?", { replyTo: answer.messageId });
    const second = await harness.replyTo(followUp.stored.messageId, (text) => text.startsWith("done"));
    expect(second.text).toContain(`codex resume ${session ?? ""}`);
    const spawns = await harness.spawns();
    expect(spawns).toHaveLength(2);
    expect(spawns[1]?.resume).toBe(session);
    expect(spawns[1]?.prompt.trim()).toBe("did you keep history?");
  });
});

describe.each(["codex", "claude", "opencode", "pi"])("driving %s", (engine) => {
  it("answers with its resume line, and a reply continues that session", async () => {
    const harness = await started();
    const prompt = harness.send(`/${engine} hello`);
    const answer = await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    const [first] = await harness.spawns();
    expect(first?.engine).toBe(engine);
    expect(answer.text).toContain(first?.session ?? "?");
    const followUp = harness.send("again", { replyTo: answer.messageId });
    const second = await harness.replyTo(followUp.stored.messageId, (text) => text.startsWith("done"));
    const spawns = await harness.spawns();
    expect(spawns.map((spawn) => spawn.engine)).toEqual([engine, engine]);
    expect(spawns[1]?.resume).toBe(first?.session);
    expect(second.text).toContain(first?.session ?? "?");
  });
});

describe("scheduling", () => {
  it("runs two sessions in parallel and queues a reply to a running one behind it", async () => {
    const harness = await started();
    const a = harness.send("first [gate:a]");
    const b = harness.send("second [gate:b]");
    const parallel = await harness.waitForSpawns(2);
    expect(new Set(parallel.map((spawn) => spawn.session)).size).toBe(2);

    // A reply to A's progress message waits for A's session, then queues on it.
    await waitFor(() => progressOf(harness, a.stored.messageId) !== undefined, 10_000, "A's progress message");
    const progressA = progressOf(harness, a.stored.messageId);
    const more = harness.send("and then this", { replyTo: progressA?.messageId ?? 0 });
    const queued = await harness.replyTo(more.stored.messageId, (text) => text.startsWith("queued"));
    expect(queued.text).toContain(`codex resume ${parallel.find((spawn) => spawn.prompt.includes("first"))?.session ?? "?"}`);
    expect((await harness.spawns()).length).toBe(2);

    await harness.openGate("a");
    const third = await harness.waitForSpawns(3);
    expect(third[2]?.resume).toBe(third.find((spawn) => spawn.prompt.includes("first"))?.session);
    // The queued message became the third run's progress message, then its answer arrived.
    await harness.replyTo(more.stored.messageId, (text) => text.startsWith("done"));
    await harness.openGate("b");
    await harness.replyTo(b.stored.messageId, (text) => text.startsWith("done"));
    await harness.replyTo(a.stored.messageId, (text) => text.startsWith("done"));
  });
});

describe("cancel", () => {
  it("/cancel as a reply to the progress message stops the engine's run and its command", async () => {
    const harness = await started();
    const prompt = harness.send("work forever [hang]");
    const [spawn] = await harness.waitForSpawns(1);
    await waitFor(() => progressOf(harness, prompt.stored.messageId) !== undefined, 10_000, "progress message");
    const progress = progressOf(harness, prompt.stored.messageId);
    harness.send("/cancel", { replyTo: progress?.messageId ?? 0 });
    await waitFor(() => (harness.botMessages().find((message) => message.messageId === progress?.messageId)?.text ?? "").startsWith("cancelled"), 15_000, "cancelled");
    await cancelledCleanly(spawn);
    const cancelled = harness.botMessages().find((message) => message.messageId === progress?.messageId);
    expect(cancelled?.text).toMatch(CODEX_RESUME);
    expect(cancelled?.replyMarkup).toBeUndefined(); // the cancel button is gone
  });

  it("the cancel button stops a running engine and answers the button press", async () => {
    const harness = await started();
    const prompt = harness.send("work forever [hang]");
    const [spawn] = await harness.waitForSpawns(1);
    await waitFor(() => progressOf(harness, prompt.stored.messageId) !== undefined, 10_000, "progress message");
    const progress = progressOf(harness, prompt.stored.messageId);
    const press = harness.telegram.injectCallbackQuery({ chat: USER, message_id: progress?.messageId ?? 0, from: USER, data: "takopi:cancel" });
    await waitFor(() => harness.telegram.callbackAnswer(press.id) !== undefined, 10_000, "button answered");
    expect(harness.telegram.callbackAnswer(press.id)).toMatchObject({ text: "cancelling..." });
    await cancelledCleanly(spawn);
  });

  it("/cancel that is not a reply explains how to cancel", async () => {
    const harness = await started();
    const cancel = harness.send("/cancel");
    await harness.replyTo(cancel.stored.messageId, (text) => text === "reply to the progress message to cancel.");
  });
});

describe("projects and branches", () => {
  it("runs @branch in a worktree created from the project, and says so in the footer", async () => {
    const harness = await started();
    const prompt = harness.send("/app @feature/login add a page");
    const answer = await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    expect(answer.text).toContain("ctx: app @feature/login");
    const [spawn] = await harness.spawns();
    expect(spawn?.cwd).toBe(`${harness.repo}/.worktrees/feature/login`);
    const worktrees = await execa("git", ["worktree", "list", "--porcelain"], { cwd: harness.repo });
    expect(worktrees.stdout).toContain("branch refs/heads/feature/login");

    // Replying to that answer runs in the same worktree again (the ctx line carries it).
    const followUp = harness.send("and a test", { replyTo: answer.messageId });
    await harness.replyTo(followUp.stored.messageId, (text) => text.startsWith("done"));
    expect((await harness.spawns())[1]?.cwd).toBe(`${harness.repo}/.worktrees/feature/login`);
  });

  it("answers an invalid branch or an unknown project with an error and runs nothing", async () => {
    const harness = await started({ config: { default_project: "app" } });
    const bad = harness.send("@bad..branch do it");
    const error = await harness.replyTo(bad.stored.messageId, (text) => text.startsWith("error:"));
    expect(error.text).toContain("bad..branch");
    const ctx = harness.send("/ctx set nowhere");
    await harness.replyTo(ctx.stored.messageId, (text) => text.includes("unknown project 'nowhere'"));
    expect(await harness.spawns()).toHaveLength(0);
  });
});

describe("access", () => {
  it("an unauthorized chat gets no reply and spawns nothing", async () => {
    const harness = await started({ telegram: { allowed_user_ids: [USER] } });
    const stranger = harness.send("run something [scenario:tool]", { chat: OTHER_USER, from: OTHER_USER });
    const inGroup = harness.send("and here", { chat: GROUP, from: USER });
    // Both were received and confirmed (not left pending), just not acted on.
    await harness.telegram.waitForConfirmed(stranger.updateId);
    await harness.telegram.waitForConfirmed(inGroup.updateId);
    // A later message from the allowed user is answered: the others were seen and refused, not delayed.
    const allowed = harness.send("hello");
    await harness.replyTo(allowed.stored.messageId, (text) => text.startsWith("done"));
    expect(harness.botMessages(OTHER_USER)).toHaveLength(0);
    expect(harness.botMessages(GROUP)).toHaveLength(0);
    const spawns = await harness.spawns();
    expect(spawns).toHaveLength(1);
    expect(harness.logs().filter((line) => line.event === "telegram.access_denied")).toHaveLength(2);
  });
});

describe("delivery", () => {
  it("a storm of 429s loses no final message and sends none twice", async () => {
    const harness = await started();
    harness.telegram.failNext("sendMessage", { code: 429, retry_after: 1 }, 3);
    harness.telegram.failNext("editMessageText", { code: 429, retry_after: 1 }, 3);
    const prompts = [harness.send("one"), harness.send("two"), harness.send("three")];
    for (const prompt of prompts) await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"), { timeoutMs: 40_000 });
    for (const prompt of prompts) {
      const finals = harness.botMessages().filter((message) => message.replyToMessageId === prompt.stored.messageId && (message.text ?? "").startsWith("done"));
      expect(finals).toHaveLength(1);
    }
    expect(await harness.spawns()).toHaveLength(3);
  });

  it("processes nothing twice across a restart, and answers what arrived while it was down", async () => {
    const harness = await started();
    const before = harness.send("before the restart");
    await harness.replyTo(before.stored.messageId, (text) => text.startsWith("done"));
    expect(await harness.stop()).toBe(0);

    const whileDown = harness.send("while you were down");
    const tooOld = harness.send("from last week", { date: Math.floor(Date.now() / 1000) - 7 * 24 * 3600 });
    await harness.start();
    await harness.replyTo(whileDown.stored.messageId, (text) => text.startsWith("done"));
    await harness.telegram.waitForConfirmed(whileDown.updateId);
    const spawns = await harness.spawns();
    expect(spawns.map((spawn) => spawn.prompt.trim())).toEqual(["before the restart", "while you were down"]);
    expect(harness.botMessages().filter((message) => message.replyToMessageId === tooOld.stored.messageId)).toHaveLength(0);
    expect(harness.botMessages().filter((message) => message.replyToMessageId === before.stored.messageId && (message.text ?? "").startsWith("done"))).toHaveLength(1);
  });
});

describe("a Telegram outage", () => {
  // The old give-up: 5 tries, 1+2+4+8 s apart, then the send was dropped (telegram.gave_up).
  const OLD_BUDGET_MS = 15_000;
  // As long as the outage: real time, so this test takes about a minute and a half.
  const OUTAGE_MS = 90_000;

  it("of 90 s loses no answer: a run that ends and a prompt sent during it are answered once, after", async () => {
    const harness = await created();
    // Retries at most 5 s apart instead of 30 s, so the test notices the end quickly; the outage still spans many.
    await harness.start([], { env: { TAKOPI_TELEGRAM_RETRY_MAX_MS: "5000" } });
    const a = harness.send("first [gate:a]");
    await waitFor(() => progressOf(harness, a.stored.messageId) !== undefined, 10_000, "A's progress message");

    // Telegram goes down: every call answers 502, the long poll in flight included. A's run ends meanwhile.
    const downAt = Date.now();
    const down = harness.telegram.outage();
    await harness.openGate("a");
    const b = harness.send("second");
    await waitFor(() => Date.now() - downAt >= OUTAGE_MS / 3, OUTAGE_MS, "the first part of the outage");
    expect(await harness.spawns()).toHaveLength(1);

    // getUpdates comes back first; every other call now loses its connection. B's run starts and ends in the dark.
    down.end();
    const dark = harness.telegram.outage({ fault: { drop: true }, match: (call) => call.method !== "getUpdates" });
    await harness.waitForSpawns(2);
    const command = harness.send("/new");
    await waitFor(() => Date.now() - downAt >= OUTAGE_MS, OUTAGE_MS, "the rest of the outage");
    dark.end();
    const outageMs = Date.now() - downAt;

    const finalA = await harness.replyTo(a.stored.messageId, (text) => text.startsWith("done"));
    const finalB = await harness.replyTo(b.stored.messageId, (text) => text.startsWith("done"));
    await harness.replyTo(command.stored.messageId, (text) => text.startsWith("nothing to clear"));
    // Each answer exactly once, as a new message; B's run showed its progress message first.
    for (const prompt of [a, b]) {
      const finals = harness.botMessages().filter((m) => m.replyToMessageId === prompt.stored.messageId && (m.text ?? "").startsWith("done"));
      expect(finals.map((m) => m.messageId)).toEqual([prompt === a ? finalA.messageId : finalB.messageId]);
    }
    const progressB = progressOf(harness, b.stored.messageId);
    expect(progressB).toBeDefined();
    expect(progressB?.messageId).not.toBe(finalB.messageId);
    const progressA = progressOf(harness, a.stored.messageId);
    await waitFor(
      () => [progressA, progressB].every((p) => harness.botMessages().find((m) => m.messageId === p?.messageId)?.deleted === true),
      10_000,
      "both progress messages deleted",
    );
    expect(harness.botMessages().filter((m) => m.replyToMessageId === b.stored.messageId)).toHaveLength(2);

    // The outage outlasted the old budget many tries over, and nothing was given up.
    expect(outageMs).toBeGreaterThan(OLD_BUDGET_MS);
    const failedSends = harness.telegram.calls("sendMessage").filter((c) => c.status === 502 || c.status === "dropped");
    expect(failedSends.length).toBeGreaterThan(10);
    const logs = harness.logs();
    expect(logs.filter((l) => l.event === "telegram.gave_up")).toEqual([]);
    expect(logs.filter((l) => l.event === "telegram.outage" && l.chat_id === USER)).toHaveLength(1);
    expect(logs.filter((l) => l.event === "telegram.recovered" && l.chat_id === USER)).toHaveLength(1);
    expect(await harness.stop()).toBe(0);
  }, 200_000);
});

describe("sessions and commands", () => {
  it("/new in a stateless chat answers instead of running a prompt", async () => {
    const harness = await started();
    const reset = harness.send("/new");
    await harness.replyTo(reset.stored.messageId, (text) => text.startsWith("nothing to clear"));
    expect(await harness.spawns()).toHaveLength(0);
  });

  it("in chat mode the next message continues the stored session until /new", async () => {
    const harness = await started({ telegram: { session_mode: "chat" } });
    const first = harness.send("hello");
    await harness.replyTo(first.stored.messageId, (text) => text.startsWith("done"));
    const second = harness.send("more");
    await harness.replyTo(second.stored.messageId, (text) => text.startsWith("done"));
    const reset = harness.send("/new");
    await harness.replyTo(reset.stored.messageId, (text) => text === "cleared stored sessions for this chat.");
    const third = harness.send("fresh start");
    await harness.replyTo(third.stored.messageId, (text) => text.startsWith("done"));
    const spawns = await harness.spawns();
    expect(spawns[1]?.resume).toBe(spawns[0]?.session);
    expect(spawns[2]?.resume).toBeNull();
  });

  it("/agent set changes the chat's engine and publishes the command menu", async () => {
    const harness = await started();
    const menu = harness.telegram.commands()?.map((command) => command.command) ?? [];
    expect(menu).toEqual(expect.arrayContaining(["codex", "claude", "app", "new", "cancel"]));
    const set = harness.send("/agent set claude");
    await harness.replyTo(set.stored.messageId, (text) => text === "chat default engine set to claude");
    const prompt = harness.send("hello");
    await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    expect((await harness.spawns())[0]?.engine).toBe("claude");
  });

  it("/model, /reasoning, /trigger and /ctx answer in upstream's words, and overrides reach the engine", async () => {
    const harness = await started({ config: { default_project: "app" } });
    const ask = async (text: string, expected: (reply: string) => boolean) => {
      const message = harness.send(text);
      return harness.replyTo(message.stored.messageId, expected);
    };
    await ask("/model set gpt-fake", (text) => text === "chat model override set to gpt-fake for codex.\nIf you want a clean start on the new model, run /new.");
    await ask("/reasoning set extreme", (text) => text.startsWith("unknown reasoning level extreme for codex."));
    // Each engine takes its own levels: `minimal` is codex's, not claude's.
    await ask("/reasoning set claude minimal", (text) => text === "unknown reasoning level minimal for claude.\navailable levels: low, medium, high, xhigh, max");
    await ask("/reasoning set claude high", (text) => text.startsWith("chat reasoning override set to high for claude."));
    await ask("/reasoning set opencode high", (text) => text.startsWith("chat reasoning override set to high for opencode."));
    await ask("/ctx", (text) => text.includes("bound ctx: none") && text.includes("resolved ctx: app (source: default_project)"));
    await ask("/ctx set app @dev", (text) => text === "chat bound to app @dev");

    // Slow enough for the progress message to be edited while claude works.
    const prompt = harness.send("/claude hello [delay:1500]");
    const answer = await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    expect(answer.text).toContain("ctx: app @dev");
    const [spawn] = await harness.spawns();
    expect(spawn?.cwd).toBe(`${harness.repo}/.worktrees/dev`);
    expect(spawn?.argv.join(" ")).toContain("--effort high");
    // opencode takes no level: its run says the override is ignored.
    const opencode = harness.send("/opencode hello [delay:1500]");
    await harness.replyTo(opencode.stored.messageId, (text) => text.startsWith("done"));
    const progress = progressOf(harness, opencode.stored.messageId);
    const shown = [...(progress?.edits ?? []).map((version) => version.text ?? ""), progress?.text ?? ""].join("\n");
    expect(shown).toContain("reasoning override is not supported for opencode; ignoring.");

    await ask("/trigger mentions", (text) => text === "chat trigger mode set to mentions");
    const ignored = harness.send("this is not for the bot");
    const mention = harness.send("@takopi_test_bot this is");
    await harness.replyTo(mention.stored.messageId, (text) => text.startsWith("done"));
    await harness.telegram.waitForConfirmed(ignored.updateId);
    expect(harness.botMessages().filter((message) => message.replyToMessageId === ignored.stored.messageId)).toHaveLength(0);
    const codexRun = (await harness.spawns()).find((run) => run.engine === "codex");
    expect(codexRun?.argv).toEqual(expect.arrayContaining(["--model", "gpt-fake"]));
  });
});
