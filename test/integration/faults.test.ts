/**
 * Faults a long-running home server meets, each asserted by what the person on
 * the phone sees: a real `takopi run` against the fake Bot API server, with the
 * stand-in engine CLIs. (Outages, secrets and huge prompts have suites of their
 * own beside this one.)
 */
import { describe, expect, it } from "vitest";
import { bridgePerTest, CODEX_RESUME, isAlive, progressOf } from "../support/bridge-harness.js";
import { GROUP, OTHER_USER, USER } from "../support/fake-telegram/standard-world.js";
import { waitFor } from "../support/scripts.js";

const { started } = bridgePerTest();

describe("takopi killed with SIGKILL mid-run", () => {
  it.each(["app-server", "exec"])("at the next start stops the engine it left, marks the run interrupted with its resume line, and repeats nothing (codex %s)", async (backend) => {
    const harness = await started({ config: { codex: { backend } } });
    const prompt = harness.send("work forever [hang]");
    const [spawn] = await harness.waitForSpawns(1);
    expect(spawn?.backend ?? "exec").toBe(backend);
    await waitFor(() => CODEX_RESUME.test(progressOf(harness, prompt.stored.messageId)?.text ?? ""), 15_000, "the session on the progress message");
    const progressId = progressOf(harness, prompt.stored.messageId)?.messageId ?? 0;

    await harness.stop("SIGKILL");
    if (spawn?.backend === "app-server") {
      // codex app-server (the default) leads its own process group but reads takopi's pipe: at its end it stops
      // its commands and exits, so nothing is orphaned even before the next start.
      await waitFor(() => !isAlive(spawn.pid) && !isAlive(spawn.childPid ?? 0), 15_000, "the app-server and its command to end with takopi");
    } else {
      // What the fault leaves with an exec run: the engine and its tool still running.
      expect(isAlive(spawn?.pid ?? 0) && isAlive(spawn?.childPid ?? 0)).toBe(true);
    }
    // And the message saying `working` with a live button.
    const stuck = harness.botMessages().find((message) => message.messageId === progressId);
    expect(stuck?.text).toMatch(/^working · codex/);
    expect(stuck?.replyMarkup).toBeDefined();

    const meanwhile = harness.send("hello again");
    await harness.start();

    await waitFor(() => !isAlive(spawn?.pid ?? 0) && !isAlive(spawn?.childPid ?? 0), 15_000, "the left-over engine and its child to be stopped");
    await waitFor(
      () => (harness.botMessages().find((message) => message.messageId === progressId)?.text ?? "").startsWith("interrupted"),
      15_000,
      () => `the progress message to say interrupted\n${harness.dump()}`,
    );
    const interrupted = harness.botMessages().find((message) => message.messageId === progressId);
    expect(interrupted?.text).toMatch(/^interrupted · codex · \d+s\n\ntakopi stopped while this was running/);
    expect(interrupted?.text).toContain(`codex resume ${spawn?.session ?? "?"}`);
    expect(interrupted?.replyMarkup).toBeUndefined();
    // No message of the killed run still says it works (the run answering `meanwhile` may have started by now).
    const stale = harness.botMessages().filter((message) => message.replyToMessageId !== meanwhile.stored.messageId);
    expect(stale.filter((message) => /^(working|starting)/.test(message.text ?? "") && !message.deleted)).toEqual([]);

    // The message sent while takopi was down is answered once; the interrupted run is not started again.
    await harness.replyTo(meanwhile.stored.messageId, (text) => text.startsWith("done"));
    const spawns = await harness.spawns();
    expect(spawns.map((run) => run.prompt.trim())).toEqual(["work forever [hang]", "hello again"]);

    // A reply to the interrupted message continues its session.
    const reply = harness.send("carry on", { replyTo: progressId });
    await harness.replyTo(reply.stored.messageId, (text) => text.startsWith("done"));
    expect((await harness.spawns())[2]?.resume).toBe(spawn?.session);
  });

  it("a clean stop leaves nothing for the next start to recover", async () => {
    const harness = await started();
    const prompt = harness.send("work forever [hang]");
    const [spawn] = await harness.waitForSpawns(1);
    await waitFor(() => progressOf(harness, prompt.stored.messageId) !== undefined, 10_000, "progress message");
    expect(await harness.stop()).toBe(0);
    expect(isAlive(spawn?.pid ?? 0)).toBe(false);
    await harness.start();
    expect(harness.logs().filter((line) => line.event === "recovery.done")).toEqual([]);
    expect(harness.botMessages().filter((message) => (message.text ?? "").startsWith("interrupted"))).toEqual([]);
  });
});

describe("a silent engine", () => {
  it("keeps the elapsed time moving, says how long it has been silent, and is not stopped", async () => {
    const harness = await started({ config: { stall_notice_s: 2 } });
    const prompt = harness.send("/opencode think quietly [mute:wake]");
    const [spawn] = await harness.waitForSpawns(1);
    await waitFor(() => progressOf(harness, prompt.stored.messageId) !== undefined, 10_000, "progress message");
    const progressId = progressOf(harness, prompt.stored.messageId)?.messageId ?? 0;
    const current = (): string => harness.botMessages().find((message) => message.messageId === progressId)?.text ?? "";

    await waitFor(() => /no output from opencode for \d+s/.test(current()), 20_000, () => `the silence notice\n${harness.dump()}`);
    expect(current()).toMatch(/^starting · opencode · [1-9]\d*s/);
    expect(harness.botMessages().find((message) => message.messageId === progressId)?.replyMarkup).toBeDefined();
    expect(isAlive(spawn?.pid ?? 0)).toBe(true);

    await harness.openGate("wake");
    await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
  });
});

describe("the cancel button in an allowed group", () => {
  it("answers a member who is not allowed, so their phone stops spinning, and cancels nothing", async () => {
    const harness = await started({ telegram: { chat_id: GROUP, allowed_user_ids: [USER] } });
    const prompt = harness.send("work forever [hang]", { chat: GROUP, from: USER });
    const [spawn] = await harness.waitForSpawns(1);
    await waitFor(() => progressOf(harness, prompt.stored.messageId, GROUP) !== undefined, 10_000, "progress message");
    const progress = progressOf(harness, prompt.stored.messageId, GROUP);

    const press = harness.telegram.injectCallbackQuery({ chat: GROUP, message_id: progress?.messageId ?? 0, from: OTHER_USER, data: "takopi:cancel" });
    await waitFor(() => harness.telegram.callbackAnswer(press.id) !== undefined, 10_000, "the press answered");
    expect(harness.telegram.callbackAnswer(press.id)).toMatchObject({ text: "only allowed users can use this button." });
    expect(isAlive(spawn?.pid ?? 0)).toBe(true);
  });
});

describe("faults that already hold", () => {
  it("SIGTERM with an engine that ignores SIGTERM: takopi still stops, kills it, and shows cancelled with the resume line", async () => {
    const harness = await started();
    const prompt = harness.send("work forever [hang] [deaf]");
    const [spawn] = await harness.waitForSpawns(1);
    await waitFor(() => CODEX_RESUME.test(progressOf(harness, prompt.stored.messageId)?.text ?? ""), 15_000, "the session on the progress message");
    const progressId = progressOf(harness, prompt.stored.messageId)?.messageId ?? 0;

    expect(await harness.stop("SIGTERM")).toBe(0);
    expect(isAlive(spawn?.pid ?? 0) || isAlive(spawn?.childPid ?? 0)).toBe(false);
    const cancelled = harness.botMessages().find((message) => message.messageId === progressId);
    expect(cancelled?.text).toMatch(/^cancelled · codex/);
    expect(cancelled?.text).toContain(`codex resume ${spawn?.session ?? "?"}`);
    expect(cancelled?.replyMarkup).toBeUndefined();
  });

  it("malformed updates and buttons that are not ours change nothing, and the next prompt is answered", async () => {
    const harness = await started();
    const prompt = harness.send("work forever [hang]");
    const [spawn] = await harness.waitForSpawns(1);
    await waitFor(() => progressOf(harness, prompt.stored.messageId) !== undefined, 10_000, "progress message");
    const progress = progressOf(harness, prompt.stored.messageId);

    const malformed = [
      harness.telegram.injectUpdate({ message: { message_id: "seven", chat: { id: USER } } }),
      harness.telegram.injectUpdate({ message: { message_id: 99_001, date: 0, chat: { id: USER, type: "private" }, from: { id: USER }, text: 42 } }),
      harness.telegram.injectUpdate({ callback_query: { id: "cb-1", from: { id: USER } } }),
      harness.telegram.injectUpdate({ edited_message: { message_id: 5, chat: { id: USER } } }),
    ];
    const foreign = harness.telegram.injectCallbackQuery({ chat: USER, message_id: progress?.messageId ?? 0, from: USER, data: "somebody-else:button" });
    await waitFor(() => harness.telegram.callbackAnswer(foreign.id) !== undefined, 10_000, "the foreign button answered");
    expect(harness.telegram.callbackAnswer(foreign.id)?.text).toBe("this button is no longer active."); // callbacks.ts: an unclaimed press gets a short note
    for (const updateId of malformed) await harness.telegram.waitForConfirmed(updateId);
    expect(isAlive(spawn?.pid ?? 0)).toBe(true);

    const next = harness.send("and now this");
    await harness.replyTo(next.stored.messageId, (text) => text.startsWith("done"));
    expect(harness.stderr).not.toMatch(/\n\s+at .*\(.*\.js:\d+:\d+\)/);
  });
});
