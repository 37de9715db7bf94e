/**
 * Approvals from the chat, end to end: a real `takopi run` against the fake
 * Bot API, with codex over app-server played by the stand-in app-server
 * (test/support/fake-appserver/codex.mjs: `ask` sends a command approval and
 * ends its turn with the decision takopi replied). The person presses the
 * approval message's buttons, or lets it expire.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bridgePerTest, progressOf } from "../support/bridge-harness.js";
import { FORUM, OTHER_USER, USER } from "../support/fake-telegram/standard-world.js";
import { appServerBridge, approvalFor, button, buttons, closedWith, press } from "../support/interactive-bridge.js";
import { waitFor } from "../support/scripts.js";

const { created } = bridgePerTest();

describe("approvals from the chat (codex app-server)", () => {
  it("shows the command with the four buttons; a stranger's press does nothing and is answered, an allowed Approve accepts", async () => {
    const harness = await appServerBridge(created);
    const prompt = harness.send("ask");
    const approval = await approvalFor(harness, prompt.stored.messageId);
    expect(approval.text).toContain("rm -rf /");
    expect(approval.text).toContain("in /repo");
    expect(buttons(approval).map((row) => row.map((each) => each.text))).toEqual([
      ["Approve", "Approve for this session"],
      ["Deny", "Stop"],
    ]);
    for (const data of buttons(approval).flat().map((each) => each.callback_data)) expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    const progress = progressOf(harness, prompt.stored.messageId);
    await waitFor(() => progress?.text?.startsWith("waiting for approval") === true, 10_000, () => `progress says waiting for approval\n${harness.dump()}`);

    // A typed reply to an approval decides nothing and starts no run: it is told to use the buttons.
    const typed = harness.send("yes", { replyTo: approval.messageId });
    await harness.replyTo(typed.stored.messageId, (text) => text.startsWith("to approve or deny, press a button"));

    expect(await press(harness, approval, "Approve", OTHER_USER)).toBe("only allowed users can use this button.");
    expect(buttons(approval)).toHaveLength(2);

    expect(await press(harness, approval, "Approve")).toBe("approved.");
    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.includes("decision:"));
    expect(final.text).toContain('decision: {"decision":"accept"}');
    await closedWith(harness, approval, "approved by @ada");
    expect(buttons(approval)).toHaveLength(0);
    expect(progressOf(harness, typed.stored.messageId)).toBeUndefined();
    // A second press on the closed request is stale.
    const again = harness.telegram.injectCallbackQuery({ chat: USER, message_id: approval.messageId, from: USER, data: button(approval.edits[0] ?? approval, "Approve") });
    await waitFor(() => harness.telegram.callbackAnswer(again.id) !== undefined, 10_000, "stale press answered");
    expect(harness.telegram.callbackAnswer(again.id)?.text).toBe("this button is no longer active.");
  });

  it("Deny declines and the turn goes on to its answer; Approve for this session accepts for the session", async () => {
    const harness = await appServerBridge(created);
    const first = harness.send("ask");
    const approval = await approvalFor(harness, first.stored.messageId);
    expect(await press(harness, approval, "Deny")).toBe("denied.");
    const final = await harness.replyTo(first.stored.messageId, (text) => text.startsWith("done") && text.includes("decision:"));
    expect(final.text).toContain('decision: {"decision":"decline"}');
    await closedWith(harness, approval, "denied by @ada");

    const second = harness.send("ask");
    const next = await approvalFor(harness, second.stored.messageId);
    expect(await press(harness, next, "Approve for this session")).toBe("approved for this session.");
    const done = await harness.replyTo(second.stored.messageId, (text) => text.includes("decision:"));
    expect(done.text).toContain('decision: {"decision":"acceptForSession"}');
  });

  it("Stop cancels the run; a request codex withdraws closes as no longer needed", async () => {
    const harness = await appServerBridge(created);
    const prompt = harness.send("ask");
    const approval = await approvalFor(harness, prompt.stored.messageId);
    expect(await press(harness, approval, "Stop")).toBe("stopping the run.");
    const progress = progressOf(harness, prompt.stored.messageId);
    await waitFor(() => progress?.text?.startsWith("cancelled") === true, 15_000, () => `the run shows cancelled\n${harness.dump()}`);
    await closedWith(harness, approval, "stopped by @ada");
    expect(buttons(approval)).toHaveLength(0);

    // An approval codex withdraws before anyone answers gets no reply; shown (if it was posted in time), it closes as no longer needed.
    const next = harness.send("ask-withdrawn");
    const final = await harness.replyTo(next.stored.messageId, (text) => text.includes("withdrawn;"));
    expect(final.text).toContain("late replies: 0");
    const progress2 = progressOf(harness, next.stored.messageId);
    const shown = harness.botMessages().filter((message) => message.replyToMessageId === progress2?.messageId && message.edits.length > 0);
    for (const request of shown) await closedWith(harness, request, "no longer needed");
    expect(harness.botMessages().filter((message) => message.text?.includes("asks to run a command") === true && buttons(message).length > 0)).toEqual([]);
  });

  it("an approval nobody answers expires after approval_timeout_s as a deny with a note", async () => {
    const harness = await appServerBridge(created, { approval_timeout_s: 1 });
    const prompt = harness.send("ask");
    const approval = await approvalFor(harness, prompt.stored.messageId);
    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.includes("decision:"));
    expect(final.text).toContain('decision: {"decision":"decline"}');
    await closedWith(harness, approval, "denied (no answer within 1s)");
    expect(buttons(approval)).toHaveLength(0);
  });

  it("after a kill -9, the next start closes the approval the run waited on: its text stays, its buttons go", async () => {
    const harness = await appServerBridge(created);
    const prompt = harness.send("ask");
    const approval = await approvalFor(harness, prompt.stored.messageId);
    const progressId = progressOf(harness, prompt.stored.messageId)?.messageId ?? 0;
    // The journal lists the request once its message is known.
    await waitFor(async () => new RegExp(`"message_id":\\s*${approval.messageId}\\b`).test(await readFile(join(harness.home, ".takopi", "takopi_runs_state.json"), "utf8").catch(() => "")), 10_000, "the approval in the run journal");
    await harness.stop("SIGKILL");
    expect(buttons(approval)).toHaveLength(2);

    await harness.start([], { pathFirst: [join(harness.dir.path, "appserver-bin")] });
    await closedWith(harness, approval, "closed: takopi stopped before anyone answered, and the run was interrupted");
    expect(approval.text).toContain("rm -rf /");
    expect(buttons(approval)).toHaveLength(0);
    await waitFor(() => (harness.botMessages().find((message) => message.messageId === progressId)?.text ?? "").startsWith("interrupted"), 10_000, "the run interrupted");
    // A press on the closed request is stale, and answered.
    const late = harness.telegram.injectCallbackQuery({ chat: USER, message_id: approval.messageId, from: USER, data: button(approval.edits[0] ?? approval, "Approve") });
    await waitFor(() => harness.telegram.callbackAnswer(late.id) !== undefined, 10_000, "the late press answered");
    expect(harness.telegram.callbackAnswer(late.id)?.text).toBe("this button is no longer active.");
  });

  it("an approval in a forum topic is posted in that topic's thread", async () => {
    const harness = await appServerBridge(created, { chat_id: FORUM });
    const threadId = harness.telegram.addForumTopic(FORUM, "approvals", { from: USER });
    const prompt = harness.telegram.injectMessage({ chat: FORUM, from: USER, text: "ask", message_thread_id: threadId });
    const approval = await approvalFor(harness, prompt.stored.messageId, FORUM);
    expect(approval.threadId).toBe(threadId);
    expect(await press(harness, approval, "Approve")).toBe("approved.");
    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.includes("decision:"), { chat: FORUM });
    expect(final.threadId).toBe(threadId);
  });
});

