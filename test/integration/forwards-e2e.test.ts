/**
 * Forward coalescing through a real `takopi run` against the fake Bot API
 * (the unit tests cover forwards.ts alone): forwards recognised by the current
 * Bot API's `forward_origin` and by the legacy fields an upstream version
 * missed, joined to the prompt their sender wrote, in message order; never a
 * run of their own; another sender's forward never joins.
 */
import { describe, expect, it } from "vitest";
import { bridgePerTest } from "../support/bridge-harness.js";
import { GROUP, OTHER_USER, USER } from "../support/fake-telegram/standard-world.js";
import { waitFor } from "../support/scripts.js";

const { started } = bridgePerTest();

const ORIGIN = { type: "user", date: Math.floor(Date.now() / 1000) - 600, sender_user: { id: 99, is_bot: false, first_name: "Cy" } };

describe("forwarded messages through the running bridge", () => {
  it("joins forward_origin and legacy forwards that arrive with their prompt, in order, as one run", async () => {
    const harness = await started();
    // Sent while takopi is down: at start-up they come in one getUpdates batch, as a busy poll's would.
    await harness.stop();
    const prompt = harness.send("what do these say?");
    harness.telegram.injectMessage({ chat: USER, from: USER, text: "first, current Bot API", forward_origin: ORIGIN });
    // Legacy fields (before Bot API 7.0), as some clients and bridges still send them.
    harness.telegram.injectMessage({ chat: USER, from: USER, text: "second, legacy sender", extra: { forward_from: { id: 98, is_bot: false, first_name: "Di" }, forward_date: ORIGIN.date } });
    harness.telegram.injectMessage({ chat: USER, from: USER, text: "third, legacy hidden sender", extra: { forward_sender_name: "Ed", forward_date: ORIGIN.date } });
    await harness.start();

    await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    const spawns = await harness.spawns();
    expect(spawns.map((spawn) => spawn.prompt)).toEqual(["what do these say?\n\nfirst, current Bot API\n\nsecond, legacy sender\n\nthird, legacy hidden sender"]);
  });

  it("forwards that arrive after their prompt started run next, in that prompt's session", async () => {
    // A window wide enough that a slow spawn on a loaded machine cannot push the forwards out of it.
    const harness = await started({ telegram: { forward_coalesce_s: 3 } });
    const prompt = harness.send("look at these [delay:300]");
    const [first] = await harness.waitForSpawns(1);
    harness.telegram.injectMessage({ chat: USER, from: USER, text: "late one", forward_origin: ORIGIN });
    harness.telegram.injectMessage({ chat: USER, from: USER, text: "late two", extra: { forward_from: { id: 98, is_bot: false, first_name: "Di" }, forward_date: ORIGIN.date } });
    await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    const [, second] = await harness.waitForSpawns(2);
    expect(second?.prompt).toBe("late one\n\nlate two");
    expect(second?.resume).toBe(first?.session);
    expect(await harness.spawns()).toHaveLength(2);
  });

  it("a forward alone never starts a run, and one older than the window joins nothing", async () => {
    const harness = await started({ telegram: { forward_coalesce_s: 0.3 } });
    const forward = harness.telegram.injectMessage({ chat: USER, from: USER, text: "just passing this on", forward_origin: ORIGIN });
    await harness.telegram.waitForConfirmed(forward.updateId);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await harness.spawns()).toHaveLength(0);
    const prompt = harness.send("hello");
    await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    expect((await harness.spawns()).map((spawn) => spawn.prompt)).toEqual(["hello"]);
    expect(harness.botMessages().filter((message) => message.replyToMessageId === forward.message.message_id)).toHaveLength(0);
  });

  it("in a group, another member's forward does not join someone's prompt", async () => {
    const harness = await started({ telegram: { chat_id: GROUP, allowed_user_ids: [USER, OTHER_USER] } });
    await harness.stop();
    const prompt = harness.send("summarize", { chat: GROUP, from: USER });
    harness.telegram.injectMessage({ chat: GROUP, from: OTHER_USER, text: "not yours", forward_origin: ORIGIN });
    harness.telegram.injectMessage({ chat: GROUP, from: USER, text: "yours", forward_origin: ORIGIN });
    await harness.start();
    await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"), { chat: GROUP });
    await waitFor(async () => (await harness.spawns()).length === 1, 10_000, "one run");
    expect((await harness.spawns()).map((spawn) => spawn.prompt)).toEqual(["summarize\n\nyours"]);
  });
});
