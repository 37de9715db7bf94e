/**
 * Prompts too long for a command line, and engines that cannot start, through
 * a real `takopi run` against the fake Bot API server with the stand-in engine
 * CLIs (see bridge-e2e.test.ts). A prompt over 128 KiB used to hang its run at
 * `starting` for good: the engine's spawn failed with E2BIG and nothing noticed.
 */
import { mkdir, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bridgePerTest, progressOf } from "../support/bridge-harness.js";
import { USER } from "../support/fake-telegram/standard-world.js";
import { forwardedTexts, longPrompt } from "../support/long-prompt.js";
import { waitFor } from "../support/scripts.js";

const { started, created } = bridgePerTest();

describe("a 160 KiB prompt", () => {
  it("forty forwarded messages and then /claude summarize these: the engine gets all of it, and answers", async () => {
    const harness = await started();
    const forwards = forwardedTexts();
    const origin = { type: "user", date: Math.floor(Date.now() / 1000) - 3600, sender_user: { id: 99, is_bot: false, first_name: "Cy" } };
    // As a person does it: select forty messages elsewhere, forward them to the bot, then say what to do.
    for (const text of forwards) harness.telegram.injectMessage({ chat: USER, from: USER, text, forward_origin: origin });
    const prompt = harness.send("/claude summarize these");

    const answer = await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"), { timeoutMs: 30_000 });
    expect(answer.text).toContain("hello from fake");
    const spawns = await harness.spawns();
    expect(spawns).toHaveLength(1); // one run, not a run plus forty
    const [spawn] = spawns;
    expect(spawn?.engine).toBe("claude");
    const expected = longPrompt("summarize these", forwards);
    expect(Buffer.byteLength(expected)).toBeGreaterThan(160 * 1024);
    // On stdin, byte for byte; the command line stays short.
    expect(spawn?.prompt.length).toBe(expected.length);
    expect(spawn?.prompt === expected, "the engine's prompt differs from the forwards under the request").toBe(true);
    expect((spawn?.argv ?? []).join(" ").length).toBeLessThan(500);
  });
});

describe("an engine that cannot start", () => {
  it("a command line over the kernel's limit (E2BIG) ends the run with an error, not `starting` forever", async () => {
    // Takopi now writes prompts to stdin, but a config can still make the argv too long for Linux.
    const huge = `model_instructions_file=${"x".repeat(200 * 1024)}`;
    const harness = await started({ config: { codex: { extra_args: ["-c", huge] } } });
    const prompt = harness.send("hello");

    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("error"), { timeoutMs: 15_000 });
    expect(final.text).toContain("its command line is too long (E2BIG): argument 2 is 200.0 KiB");
    expect(final.text).not.toContain("xxxxxxxxxx");
    expect(final.replyMarkup).toBeUndefined();
    // The `starting` message with its cancel button is gone: the error replaced it.
    await waitFor(() => progressOf(harness, prompt.stored.messageId)?.deleted === true, 10_000, "the progress message to be deleted");
    expect(await harness.spawns()).toHaveLength(0);
    const logged = harness.logs().find((line) => line.msg === "engine could not start");
    expect(logged).toMatchObject({ level: 40, code: "E2BIG", engine: "codex" });

    // The bridge goes on: the next prompt is answered (and fails the same way, promptly).
    const again = harness.send("and again");
    await harness.replyTo(again.stored.messageId, (text) => text.startsWith("error"), { timeoutMs: 15_000 });
  });

  it("a CLI removed while takopi runs ends the run with an error that says how to install it", async () => {
    const harness = await created();
    // Its own `claude`, found first on PATH at start-up, then uninstalled.
    const own = join(harness.dir.path, "own-bin");
    await mkdir(own);
    await symlink(join(harness.dir.path, "bin", "claude"), join(own, "claude"));
    await harness.start([], { pathFirst: [own] });
    await rm(join(own, "claude"));

    const prompt = harness.send("/claude hello");
    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("error"), { timeoutMs: 15_000 });
    expect(final.text).toContain(`${join(own, "claude")} not found on PATH; install it with: npm install -g @anthropic-ai/claude-code`);
    expect(await harness.spawns()).toHaveLength(0);
  });
});
