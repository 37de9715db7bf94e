/**
 * Approvals and steering from the chat, end to end: a real `takopi run`
 * against the fake Bot API, with codex over app-server played by the
 * stand-in app-server (test/support/fake-appserver/codex.mjs: `ask` sends a
 * command approval and ends its turn with the decision takopi replied;
 * `wait` holds its turn open until steered). The person presses the
 * buttons of the approval message and of the `queued` message.
 */
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bridgePerTest, progressOf, type BridgeHarness } from "../support/bridge-harness.js";
import type { StoredMessage } from "../support/fake-telegram/index.js";
import { FORUM, OTHER_USER, USER } from "../support/fake-telegram/standard-world.js";
import { waitFor } from "../support/scripts.js";

const FAKE_APPSERVER = fileURLToPath(new URL("../support/fake-appserver/codex.mjs", import.meta.url));
const { created } = bridgePerTest();

/** A bridge whose `codex` is the stand-in app-server; only USER may press. */
async function appServerBridge(telegram: Record<string, unknown> = {}): Promise<BridgeHarness> {
  const harness = await created({ telegram: { allowed_user_ids: [USER], forward_coalesce_s: 0, ...telegram }, config: { codex: { backend: "app-server" } } });
  const bin = join(harness.dir.path, "appserver-bin");
  await mkdir(bin);
  await symlink(FAKE_APPSERVER, join(bin, "codex"));
  await harness.start([], { pathFirst: [bin] });
  return harness;
}

type Row = { text: string; callback_data: string }[];

function buttons(message: Pick<StoredMessage, "replyMarkup">): Row[] {
  return ((message.replyMarkup?.inline_keyboard as Row[] | undefined) ?? []).filter((row) => row.length > 0);
}

function button(message: Pick<StoredMessage, "replyMarkup">, label: string): string {
  const found = buttons(message)
    .flat()
    .find((candidate) => candidate.text === label);
  if (found === undefined) throw new Error(`no button '${label}': ${JSON.stringify(message.replyMarkup)}`);
  return found.callback_data;
}

/** The approval message of the run answering `prompt` (it replies to the progress message). */
async function approvalFor(harness: BridgeHarness, prompt: number, chat = USER): Promise<StoredMessage> {
  let progress: StoredMessage | undefined;
  await waitFor(() => (progress = progressOf(harness, prompt, chat)) !== undefined, 20_000, `the progress message\n${harness.dump(chat)}`);
  return harness.replyTo((progress as StoredMessage).messageId, (text) => text.includes("asks to run a command"), { chat }).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${JSON.stringify(harness.telegram.calls().slice(-6).map((call) => [call.method, call.status, call.params]))}`);
  });
}

/** Waits until the request message says `outcome` (the close is an edit after the answer went out). */
async function closedWith(harness: BridgeHarness, message: StoredMessage, outcome: string): Promise<void> {
  await waitFor(() => message.text?.includes(outcome) === true, 10_000, `#${message.messageId} to say ${outcome}\n${harness.dump(message.chatId)}`);
}

/** Presses `label` under `message` as `from`; resolves with the answer the press got. */
async function press(harness: BridgeHarness, message: StoredMessage, label: string, from = USER): Promise<string | undefined> {
  const pressed = harness.telegram.injectCallbackQuery({ chat: message.chatId, message_id: message.messageId, from, data: button(message, label) });
  await waitFor(() => harness.telegram.callbackAnswer(pressed.id) !== undefined, 10_000, `the press of ${label} answered`);
  return harness.telegram.callbackAnswer(pressed.id)?.text;
}

describe("approvals from the chat (codex app-server)", () => {
  it("shows the command with the four buttons; a stranger's press does nothing and is answered, an allowed Approve accepts", async () => {
    const harness = await appServerBridge();
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
    await waitFor(() => progress?.text?.startsWith("waiting for approval") === true, 10_000, `progress says waiting for approval\n${harness.dump()}`);

    expect(await press(harness, approval, "Approve", OTHER_USER)).toBe("only allowed users can use this button.");
    expect(buttons(approval)).toHaveLength(2);

    expect(await press(harness, approval, "Approve")).toBe("approved.");
    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.includes("decision:"));
    expect(final.text).toContain('decision: {"decision":"accept"}');
    await closedWith(harness, approval, "approved by @ada");
    expect(buttons(approval)).toHaveLength(0);
    // A second press on the closed request is stale.
    const again = harness.telegram.injectCallbackQuery({ chat: USER, message_id: approval.messageId, from: USER, data: button(approval.edits[0] ?? approval, "Approve") });
    await waitFor(() => harness.telegram.callbackAnswer(again.id) !== undefined, 10_000, "stale press answered");
    expect(harness.telegram.callbackAnswer(again.id)?.text).toBe("this button is no longer active.");
  });

  it("Deny declines and the turn goes on to its answer; Approve for this session accepts for the session", async () => {
    const harness = await appServerBridge();
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

  it("Stop cancels the run", async () => {
    const harness = await appServerBridge();
    const prompt = harness.send("ask");
    const approval = await approvalFor(harness, prompt.stored.messageId);
    expect(await press(harness, approval, "Stop")).toBe("stopping the run.");
    const progress = progressOf(harness, prompt.stored.messageId);
    await waitFor(() => progress?.text?.startsWith("cancelled") === true, 15_000, `the run shows cancelled\n${harness.dump()}`);
    await closedWith(harness, approval, "stopped by @ada");
    expect(buttons(approval)).toHaveLength(0);
  });

  it("an approval nobody answers expires after approval_timeout_s as a deny with a note", async () => {
    const harness = await appServerBridge({ approval_timeout_s: 1 });
    const prompt = harness.send("ask");
    const approval = await approvalFor(harness, prompt.stored.messageId);
    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.includes("decision:"));
    expect(final.text).toContain('decision: {"decision":"decline"}');
    await closedWith(harness, approval, "denied (no answer within 1s)");
    expect(buttons(approval)).toHaveLength(0);
  });

  it("an approval in a forum topic is posted in that topic's thread", async () => {
    const harness = await appServerBridge({ chat_id: FORUM });
    const threadId = harness.telegram.addForumTopic(FORUM, "approvals", { from: USER });
    const prompt = harness.telegram.injectMessage({ chat: FORUM, from: USER, text: "ask", message_thread_id: threadId });
    const approval = await approvalFor(harness, prompt.stored.messageId, FORUM);
    expect(approval.threadId).toBe(threadId);
    expect(await press(harness, approval, "Approve")).toBe("approved.");
    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.includes("decision:"), { chat: FORUM });
    expect(final.threadId).toBe(threadId);
  });
});

describe("steer or queue a prompt for a running codex turn", () => {
  it("a reply to the running progress message is queued with a steer button; pressing it steers the held turn", async () => {
    const harness = await appServerBridge();
    const prompt = harness.send("wait");
    let progress: StoredMessage | undefined;
    await waitFor(() => (progress = progressOf(harness, prompt.stored.messageId))?.text?.includes("codex resume") === true, 20_000, `a running turn\n${harness.dump()}`);
    const follow = harness.send("also this", { replyTo: (progress as StoredMessage).messageId });
    const queued = await harness.replyTo(follow.stored.messageId, (text) => text.startsWith("queued"));
    expect(buttons(queued).map((row) => row.map((each) => each.text))).toEqual([["steer into the running turn"], ["cancel"]]);

    expect(await press(harness, queued, "steer into the running turn")).toBe("steered into the running turn.");
    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    expect(final.text).toContain("steered: also this");
    expect(queued.text).toMatch(/^steered/);
    expect(buttons(queued)).toHaveLength(0);
  });
});
