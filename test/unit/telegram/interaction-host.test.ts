/**
 * ChatInteractions over a recording Bot API client: multi-select questions
 * (toggles, then Done), plans (Approve, or a typed reply to keep planning),
 * Stop cancelling the run, and presses that do not fit. The stand-in
 * app-server covers the single-select and approval paths end to end.
 */
import { describe, expect, it } from "vitest";
import type { MessageRef } from "../../../src/core/chat.js";
import type { InteractionRequest } from "../../../src/core/interaction.js";
import type { InteractionContext } from "../../../src/core/run-message.js";
import { ChatInteractions } from "../../../src/telegram/interaction/host.js";
import { askData, type AskAction } from "../../../src/telegram/interaction/render.js";
import type { IncomingCallback } from "../../../src/telegram/incoming.js";
import { silentLogger } from "../../../src/util/log.js";
import { FakeClock } from "../../support/fake-clock.js";
import { incomingMessage } from "../../support/incoming.js";

const CHAT = 7;

function recordingClient() {
  const sent: { text: string; keyboard: string[][] }[] = [];
  const edits: { messageId: number; text: string; keyboard: string[][] }[] = [];
  const answers: string[] = [];
  let next = 100;
  let lastId = "";
  const labels = (markup: { inline_keyboard: { text: string }[][] } | undefined): string[][] => (markup?.inline_keyboard ?? []).map((row) => row.map((button) => button.text));
  return {
    sent,
    edits,
    answers,
    lastId: () => lastId,
    client: {
      redact: (text: string) => text,
      sendMessage: (chatId: number, text: string, options: { replyMarkup?: { inline_keyboard: { text: string; callback_data?: string }[][] } } = {}) => {
        lastId = /^takopi:ask:([^:]+):/.exec(options.replyMarkup?.inline_keyboard[0]?.[0]?.callback_data ?? "")?.[1] ?? lastId;
        sent.push({ text, keyboard: labels(options.replyMarkup) });
        return Promise.resolve({ chatId, messageId: next++, threadId: null });
      },
      editMessageText: (ref: MessageRef, text: string, options: { replyMarkup?: { inline_keyboard: { text: string }[][] } } = {}) => {
        edits.push({ messageId: ref.messageId, text, keyboard: labels(options.replyMarkup) });
        return Promise.resolve(ref);
      },
      answerCallbackQuery: (_id: string, options: { text?: string } = {}) => {
        answers.push(options.text ?? "");
        return Promise.resolve(true);
      },
    },
  };
}

function setup() {
  const recording = recordingClient();
  const stopped: MessageRef[] = [];
  const interactions = new ChatInteractions({
    client: recording.client,
    timeoutS: () => 600,
    stopRun: (ref) => stopped.push(ref),
    clock: new FakeClock(),
    log: silentLogger,
  });
  const progress: MessageRef = { chatId: CHAT, messageId: 2, threadId: null };
  const context: InteractionContext = { source: { chatId: CHAT, messageId: 1, threadId: null }, engine: "claude", progress: () => progress, progressPosted: Promise.resolve(progress) };
  const ask = async (request: InteractionRequest) => {
    const answer = interactions.host(request, context, new AbortController().signal);
    await new Promise((resolve) => setImmediate(resolve));
    return answer;
  };
  let pressId = 0;
  const press = async (action: AskAction, messageId = 100, from = 11) => {
    const data = askData(requestId(), action);
    const callback: IncomingCallback = { kind: "callback", updateId: 1, id: `cb${pressId++}`, chatId: CHAT, chatType: "private", isPrivate: true, messageId, threadId: null, senderId: from, senderUsername: "ada", data, repliedTo: null };
    await interactions.press(callback);
    return recording.answers.at(-1);
  };
  /** The id of the request last sent, read from its buttons' callback data. */
  const requestId = () => recording.lastId();
  return { ...recording, interactions, stopped, ask, press };
}

const MULTI: InteractionRequest = {
  kind: "question",
  questions: [{ id: "Which sizes?", header: "Sizes", question: "Which sizes?", multiSelect: true, options: [{ label: "S", description: null }, { label: "M", description: null }, { label: "L", description: null }] }],
};

describe("the chat's side of a request", () => {
  it("toggles multi-select options on the buttons and answers with the chosen ones on Done", async () => {
    const { ask, press, edits, sent } = setup();
    const answer = ask(MULTI);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent[0]?.keyboard).toEqual([["☐ S"], ["☐ M"], ["☐ L"], ["Done"]]);
    expect(await press({ kind: "option", question: 0, option: 2 })).toBe("selected: L");
    expect(await press({ kind: "option", question: 0, option: 0 })).toBe("selected: S");
    expect(await press({ kind: "option", question: 0, option: 2 })).toBe("unselected: L");
    expect(edits.at(-1)?.keyboard).toEqual([["☑ S"], ["☐ M"], ["☐ L"], ["Done"]]);
    expect(await press({ kind: "done" })).toBe("answered.");
    expect(await answer).toEqual({ kind: "answers", answers: { "Which sizes?": ["S"] }, by: { userId: 11, name: "@ada" } });
    expect(edits.at(-1)?.keyboard).toEqual([]);
    expect(edits.at(-1)?.text).toContain("answered by @ada: S");
  });

  it("approves a plan with its button, or keeps planning with a typed reply as feedback", async () => {
    const { ask, press, interactions } = setup();
    const approved = ask({ kind: "plan", plan: "1. read\n2. write" });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await press({ kind: "plan", approve: true })).toBe("plan approved.");
    expect(await approved).toMatchObject({ kind: "plan", approve: true });

    const kept = ask({ kind: "plan", plan: "1. delete everything" });
    await new Promise((resolve) => setImmediate(resolve));
    const reply = incomingMessage({ chatId: CHAT, messageId: 50, text: "keep the tests", senderId: 11, replyTo: { messageId: 101, text: null, senderId: null, senderUsername: null, fromBot: true } });
    expect(interactions.takesReply(reply)).toBe(true);
    expect(interactions.reply(reply)).toBe(true);
    expect(await kept).toMatchObject({ kind: "plan", approve: false, note: "keep the tests" });
  });

  it("Stop answers stop and cancels the run by its progress message; a button that does not fit the request is stale", async () => {
    const { ask, press, stopped } = setup();
    const answer = ask({ kind: "command", command: "make", cwd: null, reason: null });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await press({ kind: "plan", approve: true })).toBe("this button is no longer active.");
    expect(await press({ kind: "decision", decision: "stop" }, 999)).toBe("this button is no longer active.");
    expect(await press({ kind: "decision", decision: "stop" })).toBe("stopping the run.");
    expect(await answer).toMatchObject({ kind: "approval", decision: "stop" });
    expect(stopped).toEqual([{ chatId: CHAT, messageId: 2, threadId: null }]);
  });
});
