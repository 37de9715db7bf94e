// The allow-list: main chat, project chats, allowed users' private chats;
// allowed_user_ids restricting senders everywhere; button presses checked the
// same way; refusals logged once per chat (not per message); a reloaded
// policy taking effect on the next update.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { AccessGate, accessPolicy, checkAccess, type AccessPolicy } from "../../../src/telegram/access.js";
import type { IncomingCallback, IncomingMessage } from "../../../src/telegram/incoming.js";
import { incomingMessage } from "../../support/incoming.js";

const MAIN = -1001;
const PROJECT = -1002;
const STRANGER_GROUP = -1009;
const ADA = 11;
const BOB = 12;
const EVE = 66;

function msg(chatId: number, senderId: number | null, overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  return incomingMessage({ chatId, senderId, ...overrides });
}

function press(chatId: number, senderId: number): IncomingCallback {
  return {
    kind: "callback",
    updateId: 2,
    id: "cb",
    chatId,
    chatType: chatId > 0 ? "private" : "supergroup",
    isPrivate: chatId > 0,
    messageId: 5,
    threadId: null,
    senderId,
    senderUsername: null,
    data: "takopi:cancel",
    repliedTo: null,
  };
}

function policy(allowed: number[] = []): AccessPolicy {
  return accessPolicy({ chat_id: MAIN, allowed_user_ids: allowed }, { app: { chat_id: PROJECT }, lib: { chat_id: null } });
}

function capture(): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const log = pino({ level: "trace", base: null }, { write: (line: string) => out.push(line) });
  return { log, lines: () => out.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("accessPolicy", () => {
  it("collects the main chat and every project chat", () => {
    const p = policy([ADA]);
    expect([...p.chatIds].sort()).toEqual([MAIN, PROJECT].sort());
    expect([...p.allowedUserIds]).toEqual([ADA]);
  });
});

describe("checkAccess without allowed_user_ids", () => {
  const open = policy();

  it("accepts anyone in the main chat and in project chats", () => {
    expect(checkAccess(open, msg(MAIN, EVE))).toEqual({ allowed: true });
    expect(checkAccess(open, msg(PROJECT, BOB))).toEqual({ allowed: true });
    expect(checkAccess(open, msg(MAIN, null))).toEqual({ allowed: true });
  });

  it("refuses other groups and private chats", () => {
    expect(checkAccess(open, msg(STRANGER_GROUP, ADA))).toEqual({ allowed: false, reason: "chat" });
    expect(checkAccess(open, msg(EVE, EVE))).toEqual({ allowed: false, reason: "chat" });
  });

  it("accepts the main chat when it is a user's private chat", () => {
    const privateMain = accessPolicy({ chat_id: ADA, allowed_user_ids: [] });
    expect(checkAccess(privateMain, msg(ADA, ADA))).toEqual({ allowed: true });
    expect(checkAccess(privateMain, msg(BOB, BOB))).toEqual({ allowed: false, reason: "chat" });
  });
});

describe("checkAccess with allowed_user_ids", () => {
  const strict = policy([ADA, BOB]);

  it("accepts listed users in configured chats and in their own private chats", () => {
    expect(checkAccess(strict, msg(MAIN, ADA))).toEqual({ allowed: true });
    expect(checkAccess(strict, msg(PROJECT, BOB))).toEqual({ allowed: true });
    expect(checkAccess(strict, msg(ADA, ADA))).toEqual({ allowed: true });
    expect(checkAccess(strict, msg(BOB, BOB))).toEqual({ allowed: true });
  });

  it("refuses unlisted senders even in the main chat, and senderless messages", () => {
    expect(checkAccess(strict, msg(MAIN, EVE))).toEqual({ allowed: false, reason: "sender" });
    expect(checkAccess(strict, msg(MAIN, null))).toEqual({ allowed: false, reason: "sender" });
    expect(checkAccess(strict, msg(EVE, EVE))).toEqual({ allowed: false, reason: "chat" });
  });

  it("refuses a listed user in a group that is not configured", () => {
    expect(checkAccess(strict, msg(STRANGER_GROUP, ADA))).toEqual({ allowed: false, reason: "chat" });
  });

  it("checks button presses the same way", () => {
    expect(checkAccess(strict, press(MAIN, ADA))).toEqual({ allowed: true });
    expect(checkAccess(strict, press(MAIN, EVE))).toEqual({ allowed: false, reason: "sender" });
    expect(checkAccess(strict, press(STRANGER_GROUP, ADA))).toEqual({ allowed: false, reason: "chat" });
  });
});

describe("AccessGate", () => {
  it("logs a refused chat once, however many messages it sends", () => {
    const { log, lines } = capture();
    const gate = new AccessGate({ policy: () => policy(), log });
    for (let i = 0; i < 5; i++) expect(gate.admit(msg(STRANGER_GROUP, EVE, { messageId: i }))).toBe(false);
    expect(gate.admit(press(STRANGER_GROUP, EVE))).toBe(false);
    expect(gate.admit(msg(MAIN, ADA))).toBe(true);
    const denied = lines().filter((l) => l.event === "telegram.access_denied");
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ chat_id: STRANGER_GROUP, reason: "chat", sender_id: EVE });
  });

  it("logs each refused chat, and each unlisted sender of an accepted chat, once", () => {
    const { log, lines } = capture();
    const gate = new AccessGate({ policy: () => policy([ADA]), log });
    gate.admit(msg(STRANGER_GROUP, ADA));
    gate.admit(msg(EVE, EVE));
    gate.admit(msg(MAIN, EVE));
    gate.admit(msg(MAIN, EVE));
    gate.admit(msg(MAIN, BOB));
    const denied = lines()
      .filter((l) => l.event === "telegram.access_denied")
      .map((l) => [l.chat_id, l.sender_id, l.reason]);
    expect(denied).toEqual([
      [STRANGER_GROUP, ADA, "chat"],
      [EVE, EVE, "chat"],
      [MAIN, EVE, "sender"],
      [MAIN, BOB, "sender"],
    ]);
  });

  it("applies a reloaded policy to the next update and logs a chat again once it is refused anew", () => {
    const { log, lines } = capture();
    let current = policy();
    const gate = new AccessGate({ policy: () => current, log });
    expect(gate.admit(msg(STRANGER_GROUP, ADA))).toBe(false);
    current = accessPolicy({ chat_id: MAIN, allowed_user_ids: [] }, { other: { chat_id: STRANGER_GROUP } });
    expect(gate.admit(msg(STRANGER_GROUP, ADA))).toBe(true);
    current = policy();
    expect(gate.admit(msg(STRANGER_GROUP, ADA))).toBe(false);
    expect(lines().filter((l) => l.event === "telegram.access_denied")).toHaveLength(2);
  });

  it("forgets the oldest refused chats beyond its memory, so it stays bounded", () => {
    const { log, lines } = capture();
    const gate = new AccessGate({ policy: () => policy(), log, memory: 2 });
    for (const chat of [-1, -2, -3, -1]) gate.admit(msg(chat, EVE));
    expect(lines().filter((l) => l.event === "telegram.access_denied")).toHaveLength(4);
  });
});
