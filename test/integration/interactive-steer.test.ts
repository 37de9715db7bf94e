/**
 * Questions and steering from the chat, end to end: a real `takopi run`
 * against the fake Bot API and the stand-in app-server (`ask-question`: a
 * requestUserInput answered with what takopi replied; `wait`: a turn held
 * open until steered).
 */
import { describe, expect, it } from "vitest";
import { bridgePerTest, progressOf } from "../support/bridge-harness.js";
import type { StoredMessage } from "../support/fake-telegram/index.js";
import { appServerBridge, buttons, closedWith, press } from "../support/interactive-bridge.js";
import { waitFor } from "../support/scripts.js";

const { created } = bridgePerTest();

describe("questions from the chat (codex requestUserInput)", () => {
  it("shows the options as buttons; a press answers with the option, a typed reply with its text", async () => {
    const harness = await appServerBridge(created);
    const first = harness.send("ask-question");
    let progress: StoredMessage | undefined;
    await waitFor(() => (progress = progressOf(harness, first.stored.messageId)) !== undefined, 20_000, "the progress message");
    const question = await harness.replyTo((progress as StoredMessage).messageId, (text) => text.includes("Which color?"));
    expect(buttons(question).map((row) => row.map((each) => each.text))).toEqual([["Red"], ["Blue"]]);
    await waitFor(() => progress?.text?.startsWith("waiting for an answer") === true, 10_000, () => `progress says waiting for an answer\n${harness.dump()}`);
    expect(await press(harness, question, "Blue")).toBe("answered: Blue");
    const answered = await harness.replyTo(first.stored.messageId, (text) => text.includes("decision:"));
    expect(answered.text).toContain('"color":{"answers":["Blue"]}');
    await closedWith(harness, question, "answered by @ada: Blue");

    const second = harness.send("ask-question");
    await waitFor(() => (progress = progressOf(harness, second.stored.messageId)) !== undefined, 20_000, "the second progress message");
    const again = await harness.replyTo((progress as StoredMessage).messageId, (text) => text.includes("Which color?"));
    harness.send("teal, please", { replyTo: again.messageId });
    const typed = await harness.replyTo(second.stored.messageId, (text) => text.includes("decision:"));
    expect(typed.text).toContain('"color":{"answers":["teal, please"]}');
    await closedWith(harness, again, "answered by @ada: teal, please");
  });
});

describe("steer or queue a prompt for a running codex turn", () => {
  it("a reply to the running progress message is queued with a steer button; pressing it steers the held turn", async () => {
    const harness = await appServerBridge(created);
    const prompt = harness.send("wait");
    let progress: StoredMessage | undefined;
    await waitFor(() => (progress = progressOf(harness, prompt.stored.messageId))?.text?.includes("codex resume") === true, 20_000, () => `a running turn\n${harness.dump()}`);
    const follow = harness.send("also this", { replyTo: (progress as StoredMessage).messageId });
    const queued = await harness.replyTo(follow.stored.messageId, (text) => text.startsWith("queued"));
    expect(buttons(queued).map((row) => row.map((each) => each.text))).toEqual([["steer into the running turn"], ["cancel"]]);

    expect(await press(harness, queued, "steer into the running turn")).toBe("steered into the running turn.");
    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    expect(final.text).toContain("steered: also this");
    await waitFor(() => queued.text?.startsWith("steered") === true, 10_000, () => `the queued message says steered\n${harness.dump()}`);
    expect(buttons(queued)).toHaveLength(0);

    // While a command runs, codex takes the steer only once it finishes: the queued message says so.
    const busy = harness.send("wait-command");
    let running: StoredMessage | undefined;
    await waitFor(() => (running = progressOf(harness, busy.stored.messageId))?.text?.includes("sleep 30") === true, 20_000, () => `a running command\n${harness.dump()}`);
    const later = harness.send("after it", { replyTo: (running as StoredMessage).messageId });
    const waiting = await harness.replyTo(later.stored.messageId, (text) => text.startsWith("queued"));
    expect(await press(harness, waiting, "steer into the running turn")).toBe("steered: it joins once the running command finishes.");
    await waitFor(() => waiting.text?.includes("codex takes it in once the running command finishes") === true, 10_000, () => `the note\n${harness.dump()}`);
    await harness.replyTo(busy.stored.messageId, (text) => text.includes("steered: after it"));
  });
});
