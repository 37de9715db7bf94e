// TelegramClient and its outbox against the fake Bot API over real HTTP:
// coalesced edit bursts, chats paced independently within Telegram's limits,
// 429 storms, 5xx and dropped connections, outages (nothing required lost,
// each call made once, permanent refusals still final), "not modified", replacing a
// progress message, draining on close — and no bot token in any log line.
// Every test captures the client's logs and checks them for the token.
import { pino } from "pino";
import { describe, expect, it, onTestFinished } from "vitest";
import type { MessageRef } from "../../src/core/chat.js";
import { Redactor } from "../../src/secrets/redactor.js";
import { TelegramClient, type TelegramClientOptions } from "../../src/telegram/client.js";
import { telegramSurface } from "../../src/telegram/surface.js";
import { NOT_MODIFIED, startFakeTelegram, type CallRecord, type FakeTelegram, type FakeTelegramOptions } from "../support/fake-telegram/index.js";
import { FORUM, GROUP, OTHER_USER, STANDARD_WORLD, USER } from "../support/fake-telegram/standard-world.js";

const WORLD: FakeTelegramOptions = STANDARD_WORLD;

interface Setup {
  tg: FakeTelegram;
  client: TelegramClient;
  /** Every line the client logged so far, parsed. */
  logs: () => Record<string, unknown>[];
  events: () => unknown[];
}

async function setup(options: { fake?: Partial<FakeTelegramOptions>; outbox?: TelegramClientOptions["outbox"]; redactor?: Redactor } = {}): Promise<Setup> {
  const tg = await startFakeTelegram({ ...WORLD, ...options.fake });
  const lines: string[] = [];
  const log = pino({ level: "trace", base: null }, { write: (line: string) => lines.push(line) });
  const client = new TelegramClient({
    token: tg.token,
    apiRoot: tg.apiRoot,
    log,
    ...(options.outbox === undefined ? {} : { outbox: options.outbox }),
    ...(options.redactor === undefined ? {} : { redactor: options.redactor }),
  });
  onTestFinished(async () => {
    await client.close({ drain: false });
    await tg.close();
  });
  onTestFinished(() => {
    // The token's secret half must not appear anywhere, whatever went wrong.
    const secret = tg.token.split(":")[1] ?? tg.token;
    expect(lines.join("")).not.toContain(secret);
    expect(tg.errors).toEqual([]);
  });
  const logs = (): Record<string, unknown>[] => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { tg, client, logs, events: () => logs().map((l) => l.event) };
}

function texts(calls: CallRecord[]): unknown[] {
  return calls.map((c) => c.params.text);
}

function budgetCallsTo(chatId: number): (call: CallRecord) => boolean {
  return (call) => call.chatId === chatId && (call.method === "sendMessage" || call.method === "editMessageText");
}

async function sent(promise: Promise<MessageRef | null>): Promise<MessageRef> {
  const ref = await promise;
  if (ref === null) throw new Error("expected the message to be sent");
  return ref;
}

describe("edits", () => {
  it("turns a burst of 30 edits to one message into few calls, the final text last", async () => {
    const { tg, client } = await setup();
    const ref = await sent(client.sendMessage(USER, "working 0"));
    const results = Array.from({ length: 30 }, (_, i) => client.editMessageText(ref, `working ${i + 1}`));
    expect(await Promise.all(results)).toEqual(Array.from({ length: 30 }, () => ref));
    const edits = tg.calls("editMessageText");
    expect(edits.length).toBeGreaterThanOrEqual(1);
    expect(edits.length).toBeLessThanOrEqual(2);
    expect(edits.at(-1)?.params.text).toBe("working 30");
    expect(tg.message(USER, ref.messageId)?.text).toBe("working 30");
  });

  it("treats 'message is not modified' as success and does not retry it", async () => {
    const { tg, client, events } = await setup({ outbox: { privateIntervalMs: 0 } });
    const ref = await sent(client.sendMessage(USER, "same text"));
    expect(await client.editMessageText(ref, "same text")).toEqual(ref);
    const edits = tg.calls("editMessageText");
    expect(edits).toHaveLength(1);
    expect(edits[0]).toMatchObject({ errorCode: 400, description: `Bad Request: ${NOT_MODIFIED}` });
    expect(events()).not.toContain("telegram.failed");
  });

  it("sends a fresh message in the same topic when the one to edit is gone, if asked to", async () => {
    const { tg, client } = await setup({ outbox: { groupIntervalMs: 0 } });
    const topic = tg.addForumTopic(FORUM, "api");
    const progress = await sent(client.sendMessage(FORUM, "working", { threadId: topic }));
    expect(progress.threadId).toBe(topic);
    expect(await client.deleteMessage(progress)).toBe(true);

    expect(await client.editMessageText(progress, "still working")).toBeNull();
    const fresh = await sent(client.editMessageText(progress, "done", { sendIfMissing: true }));
    expect(fresh.messageId).not.toBe(progress.messageId);
    expect(fresh.threadId).toBe(topic);
    expect(tg.messages(FORUM, { includeDeleted: false }).map((m) => [m.text, m.threadId])).toEqual([["done", topic]]);
  });
});

describe("pacing", () => {
  it("paces two chats independently and provokes no 429", async () => {
    const { tg, client } = await setup({
      // 10/s in private chats, 40/min in groups, each with a burst of 2 to absorb network jitter.
      fake: { rateLimits: { perChatPerSecond: 10, privateBurst: 2, perGroupPerMinute: 40, groupBurst: 2 } },
      outbox: { privateIntervalMs: 100, groupIntervalMs: 1500 },
    });
    const group = [1, 2, 3].map((n) => client.sendMessage(GROUP, `group ${n}`));
    const direct = [1, 2, 3, 4].map((n) => client.sendMessage(USER, `private ${n}`));
    const results = await Promise.all([...group, ...direct]);
    expect(results.every((r) => r !== null)).toBe(true);

    expect(tg.rateLimitHits).toEqual([]);
    expect(tg.earlyRetries).toEqual([]);
    expect(tg.messages(GROUP).map((m) => m.text)).toEqual(["group 1", "group 2", "group 3"]);
    expect(tg.messages(USER).map((m) => m.text)).toEqual(["private 1", "private 2", "private 3", "private 4"]);
    // The private chat did not queue behind the group (as with one global clock):
    // all of it was out before the group's second message.
    const order = texts(tg.calls("sendMessage"));
    expect(order.indexOf("private 4")).toBeLessThan(order.indexOf("group 2"));
  });

  it("loses no message in a 429 storm and never comes back before retry_after", async () => {
    const { tg, client, events } = await setup({ outbox: { privateIntervalMs: 100 } });
    const progress = await sent(client.sendMessage(USER, "progress"));
    tg.failNext(budgetCallsTo(USER), { code: 429, retry_after: 1 }, 3);

    const edit = client.editMessageText(progress, "progress 2");
    const finals = [1, 2, 3].map((n) => client.sendMessage(USER, `final ${n}`));
    const other = client.sendMessage(OTHER_USER, "unaffected");
    expect(await edit).toEqual(progress);
    expect((await Promise.all(finals)).every((r) => r !== null)).toBe(true);
    expect(await other).not.toBeNull();

    expect(tg.calls().filter((c) => c.errorCode === 429)).toHaveLength(3);
    expect(tg.earlyRetries).toEqual([]);
    expect(tg.messages(USER).map((m) => m.text)).toEqual(["progress 2", "final 1", "final 2", "final 3"]);
    expect(events().filter((e) => e === "telegram.rate_limited")).toHaveLength(3);
  });
});

describe("failures", () => {
  it("retries 5xx answers and dropped connections", async () => {
    const { tg, client, events } = await setup({ outbox: { privateIntervalMs: 0, backoff: { initialMs: 50 } } });
    tg.failNext("sendMessage", { code: 502 }, 2);
    tg.failNext("editMessageText", { drop: true }, 1);

    const ref = await sent(client.sendMessage(USER, "hello"));
    expect(tg.calls("sendMessage").map((c) => c.status)).toEqual([502, 502, 200]);
    expect(await client.editMessageText(ref, "hello again")).toEqual(ref);
    expect(tg.calls("editMessageText").map((c) => c.status)).toEqual(["dropped", 200]);
    expect(tg.messages(USER).map((m) => m.text)).toEqual(["hello again"]);
    expect(events().filter((e) => e === "telegram.retry")).toHaveLength(3);
  });

  it("gives a call about no chat up after the last attempt and logs it", async () => {
    // This test used a deleteMessage before deletes, like sends, learnt to wait out an outage.
    const { tg, client, logs } = await setup({ outbox: { backoff: { initialMs: 20, maxAttempts: 3 } } });
    tg.failNext("getChat", { code: 500 }, Infinity);
    expect(await client.getChat(GROUP)).toBeNull();
    expect(tg.calls("getChat")).toHaveLength(3);
    expect(logs().find((l) => l.event === "telegram.gave_up")).toMatchObject({ method: "getChat", attempts: 3, error: { code: 500 } });
  });

  it("does not retry a permanent refusal, while another chat waits out an outage", async () => {
    const { tg, client, events } = await setup({ outbox: { privateIntervalMs: 0, backoff: { initialMs: 20, maxMs: 50 } } });
    const outage = tg.outage({ match: (c) => c.chatId === USER });
    tg.failNext((c) => c.chatId === OTHER_USER, { code: 403, description: "Forbidden: bot was blocked by the user" });
    const waiting = client.sendMessage(USER, "answer");
    expect(await client.sendMessage(OTHER_USER, "blocked")).toBeNull();
    expect(tg.calls("sendMessage").filter((c) => c.chatId === OTHER_USER)).toHaveLength(1);
    await tg.waitForCall(() => outage.failed >= 5);
    outage.end();
    expect(await waiting).not.toBeNull();
    expect(events()).toContain("telegram.failed");
    expect(events()).not.toContain("telegram.gave_up");
  });

  it("does not retry other Bot API errors", async () => {
    const { tg, client, logs } = await setup({ outbox: { privateIntervalMs: 0 } });
    expect(await client.sendMessage(-100999, "nobody home")).toBeNull();
    expect(tg.calls("sendMessage")).toHaveLength(1);
    expect(logs().find((l) => l.event === "telegram.failed")).toMatchObject({ method: "sendMessage", error: { code: 400 } });
  });

  it("never logs the token, though every request carries it in its URL", async () => {
    const { tg, client, logs } = await setup({ outbox: { privateIntervalMs: 0, backoff: { initialMs: 20, maxAttempts: 2 } } });
    tg.failNext("sendMessage", { drop: true }, 2);
    tg.failNext("getChatMember", { drop: true }, 2);
    tg.failNext("getChat", { code: 429, retry_after: 1 }, 1);
    // A send is retried past maxAttempts (it used to be given up here); the best-effort getChatMember is not.
    expect(await client.sendMessage(USER, "kept")).not.toBeNull();
    expect(await client.getChatMember(GROUP, USER)).toBeNull();
    expect(await client.getChat(-100999)).toBeNull();
    expect(await client.sendChatAction(-100999, "typing")).toBe(false);

    const text = JSON.stringify(logs());
    expect(text).not.toContain(tg.token);
    // The client's errors never quote the URL (the token is part of it); the network cause still reaches the log.
    expect(text).toContain("ECONNRESET: socket hang up");
    const events = logs().map((l) => l.event);
    expect(events).toEqual(
      expect.arrayContaining([
        "telegram.outage",
        "telegram.maybe_delivered",
        "telegram.retry",
        "telegram.recovered",
        "telegram.gave_up",
        "telegram.rate_limited",
        "telegram.failed",
        "telegram.chat_action_failed",
      ]),
    );
  });
});

describe("outages", () => {
  it("holds sends, a kept edit and deletes through an outage far past the old give-up point, then makes each once, in order", async () => {
    const { tg, client, logs, events } = await setup({ outbox: { privateIntervalMs: 0, backoff: { initialMs: 20, maxMs: 100, maxAttempts: 3 } } });
    const progress = await sent(client.sendMessage(USER, "starting"));
    const other = await sent(client.sendMessage(USER, "working on the other run"));
    const outage = tg.outage();

    const edit = client.editMessageText(progress, "working");
    const final = client.sendMessage(USER, "final answer");
    const cleanup = client.deleteMessage(progress);
    const cancelled = client.editMessageText(other, "cancelled", { keep: true });
    const reply = client.sendMessage(USER, "reply to a command");
    // Many more tries than maxAttempts (3), and longer than those took before this change.
    await tg.waitForCall(() => outage.failed >= 15, 10_000);
    expect(tg.messages(USER).map((m) => [m.text, m.deleted])).toEqual([
      ["starting", false],
      ["working on the other run", false],
    ]);
    outage.end();

    expect(await final).not.toBeNull();
    expect(await reply).not.toBeNull();
    expect(await cleanup).toBe(true);
    expect(await cancelled).toEqual(other);
    // The progress edit came to nothing: deletes go before edits, and its message was deleted.
    expect(await edit).toBeNull();
    await client.outbox.idle();
    expect(tg.messages(USER).map((m) => [m.text, m.deleted])).toEqual([
      ["starting", true],
      ["cancelled", false],
      ["final answer", false],
      ["reply to a command", false],
    ]);
    const made = tg.calls().filter((c) => c.status === 200);
    expect(made.map((c) => c.params.text ?? c.method)).toEqual(["starting", "working on the other run", "final answer", "reply to a command", "deleteMessage", "cancelled"]);
    expect(events()).not.toContain("telegram.gave_up");
    expect(events().filter((e) => e === "telegram.outage")).toHaveLength(1);
    expect(logs().find((l) => l.event === "telegram.recovered")).toMatchObject({ chat_id: USER });
  });

  it("over the cap, skips a live progress edit but keeps one that shows a settled state", async () => {
    // A cap of 0 lets no droppable op wait at all, so only what is kept gets through.
    const { tg, client } = await setup({ outbox: { privateIntervalMs: 0, caps: { perChat: 0 } } });
    const surface = telegramSurface(client);
    const progress = await sent(surface.send(USER, { parts: { header: "starting" }, markup: "cancel" }));
    expect(await surface.edit(progress, { parts: { header: "working" }, markup: "cancel" })).toBeNull();
    expect(await client.editMessageText(progress, "working", { keep: false })).toBeNull();
    expect(await surface.edit(progress, { parts: { header: "done", body: "the answer" } })).toEqual(progress);
    expect(tg.calls("editMessageText")).toHaveLength(1);
    expect(tg.message(USER, progress.messageId)?.text).toMatch(/^done\s+the answer/);
  });

  it("sends again a message whose answer was lost after it landed, and says it may be a duplicate", async () => {
    // The documented trade-off: a send in doubt is retried (never lost), so this one shows twice.
    const { tg, client, logs } = await setup({ outbox: { privateIntervalMs: 0, backoff: { initialMs: 20 } } });
    tg.failNext("sendMessage", { drop: true, afterHandling: true }, 1);
    expect(await client.sendMessage(USER, "answer")).not.toBeNull();
    expect(tg.messages(USER).map((m) => m.text)).toEqual(["answer", "answer"]);
    expect(logs().filter((l) => l.event === "telegram.maybe_delivered")).toHaveLength(1);
  });

  it("retries a 5xx answer without posting twice", async () => {
    const { tg, client } = await setup({ outbox: { privateIntervalMs: 0, backoff: { initialMs: 20, maxMs: 100, maxAttempts: 2 } } });
    tg.failNext("sendMessage", { code: 502 }, 8);
    expect(await client.sendMessage(USER, "answer")).not.toBeNull();
    expect(tg.calls("sendMessage")).toHaveLength(9);
    expect(tg.messages(USER).map((m) => m.text)).toEqual(["answer"]);
  });
});

describe("messages", () => {
  it("sends with entities, no parse_mode, link previews off, and the reply, thread, keyboard and silence asked for", async () => {
    const { tg, client } = await setup({ outbox: { groupIntervalMs: 0 } });
    const topic = tg.addForumTopic(FORUM, "api");
    const question = tg.injectMessage({ chat: FORUM, from: USER, text: "question", message_thread_id: topic });
    const questionRef: MessageRef = { chatId: FORUM, messageId: question.message.message_id, threadId: topic };
    const keyboard = { inline_keyboard: [[{ text: "cancel", callback_data: "takopi:cancel" }]] };
    const ref = await sent(
      client.sendMessage(FORUM, "answer with code", {
        entities: [{ type: "code", offset: 12, length: 4 }],
        replyTo: questionRef,
        replyMarkup: keyboard,
        notify: false,
      }),
    );
    expect(ref).toEqual({ chatId: FORUM, messageId: expect.any(Number) as number, threadId: topic });
    const call = tg.calls("sendMessage")[0];
    expect(call?.params).toMatchObject({
      link_preview_options: { is_disabled: true },
      reply_parameters: { message_id: question.message.message_id, allow_sending_without_reply: true },
      message_thread_id: topic,
      disable_notification: true,
    });
    expect(call?.params).not.toHaveProperty("parse_mode");
    expect(tg.message(FORUM, ref.messageId)).toMatchObject({
      text: "answer with code",
      entities: [{ type: "code", offset: 12, length: 4 }],
      replyToMessageId: question.message.message_id,
      replyMarkup: keyboard,
      disableNotification: true,
    });

    // A reply whose target was deleted meanwhile still goes out.
    expect(await client.deleteMessage({ chatId: FORUM, messageId: question.message.message_id })).toBe(true);
    expect(await client.sendMessage(FORUM, "late answer", { replyTo: questionRef })).not.toBeNull();
  });

  it("replaces a progress message: the new one is sent, then the old one deleted, its pending edit dropped", async () => {
    const { tg, client } = await setup();
    const progress = await sent(client.sendMessage(USER, "working"));
    const pendingEdit = client.editMessageText(progress, "still working");
    const final = await sent(client.replaceMessage(progress, "done"));
    expect(await pendingEdit).toBeNull();
    await client.outbox.idle();

    expect(tg.calls().map((c) => [c.method, c.params.text ?? c.params.message_id])).toEqual([
      ["sendMessage", "working"],
      ["sendMessage", "done"],
      ["deleteMessage", progress.messageId],
    ]);
    expect(tg.message(USER, progress.messageId)).toMatchObject({ deleted: true, edits: [] });
    expect(tg.message(USER, final.messageId)?.text).toBe("done");
  });

  it("keeps the progress message when the replacing send fails", async () => {
    const { tg, client } = await setup({ outbox: { privateIntervalMs: 0 } });
    const progress = await sent(client.sendMessage(USER, "working"));
    tg.failNext("sendMessage", { code: 400, description: "Bad Request: message is too long" }, 1);
    expect(await client.replaceMessage(progress, "x".repeat(10))).toBeNull();
    await client.outbox.idle();
    expect(tg.calls("deleteMessage")).toHaveLength(0);
    expect(tg.message(USER, progress.messageId)?.deleted).toBe(false);
  });
});

describe("other calls", () => {
  it("answers getMe, getChat, getChatMember, setMyCommands, callback queries and chat actions", async () => {
    const { tg, client } = await setup();
    expect(await client.getMe()).toMatchObject({ id: tg.botInfo.id, username: tg.botInfo.username, is_bot: true });
    expect(await client.getChat(GROUP)).toMatchObject({ id: GROUP, type: "supergroup", title: "Team" });
    expect(await client.getChatMember(GROUP, USER)).toMatchObject({ status: "creator", user: { id: USER } });
    expect(await client.setMyCommands([{ command: "cancel", description: "cancel the run" }])).toBe(true);
    expect(tg.commands()).toEqual([{ command: "cancel", description: "cancel the run" }]);
    expect(await client.sendChatAction(USER, "typing")).toBe(true);

    const ref = await sent(client.sendMessage(USER, "press", { replyMarkup: { inline_keyboard: [[{ text: "go", callback_data: "go" }]] } }));
    const press = tg.injectCallbackQuery({ chat: USER, message_id: ref.messageId, from: USER, data: "go" });
    expect(await client.answerCallbackQuery(press.id, { text: "ok" })).toBe(true);
    expect(tg.callbackAnswer(press.id)).toMatchObject({ text: "ok" });
  });
});

describe("close", () => {
  it("drains pending sends before closing, then refuses new ones", async () => {
    const { tg, client } = await setup({ outbox: { groupIntervalMs: 200 } });
    const sends = [1, 2, 3].map((n) => client.sendMessage(GROUP, `final ${n}`));
    await client.close({ drain: true, timeoutMs: 10_000 });
    expect((await Promise.all(sends)).every((r) => r !== null)).toBe(true);
    expect(tg.messages(GROUP).map((m) => m.text)).toEqual(["final 1", "final 2", "final 3"]);
    expect(await client.sendMessage(GROUP, "too late")).toBeNull();
    expect(tg.calls("sendMessage")).toHaveLength(3);
  });
});

describe("redaction", () => {
  const KEY = "sk-proj-client0123456789abcdef";
  const SHORT = "pw-12345"; // 8 characters, the shortest secret; its marker is much longer

  it("posts no secret in a send, an edit, a resend or an alert, with entities moved onto the markers", async () => {
    const { tg, client } = await setup({ redactor: Redactor.of([{ name: "OPENAI_API_KEY", value: KEY }]) });
    const text = `🙂 key ${KEY} and token ${tg.token}: done`;
    const entities = [
      { type: "code" as const, offset: text.indexOf(KEY), length: KEY.length },
      { type: "bold" as const, offset: text.indexOf("done"), length: 4 },
    ];
    const ref = await sent(client.sendMessage(USER, text, { entities }));
    const [message] = tg.messages(USER).filter((m) => m.messageId === ref.messageId);
    expect(message?.text).toBe("🙂 key [REDACTED:OPENAI_API_KEY] and token [REDACTED:bot_token]: done");
    const shown = (message?.entities ?? []).map((e) => (message?.text ?? "").slice(e.offset, e.offset + e.length));
    expect(shown).toEqual(["[REDACTED:OPENAI_API_KEY]", "done"]);

    await client.editMessageText(ref, `edited ${KEY}`);
    await client.answerCallbackQuery("cb-1", { text: `alert ${KEY}` }).catch(() => false);
    // An edit whose message is gone is sent again: redacted as well.
    const gone = { ...ref, messageId: 999_999 };
    await client.editMessageText(gone, `resent ${KEY}`, { sendIfMissing: true });
    const posted = tg.calls().map((call) => JSON.stringify(call.params));
    expect(posted.filter((params) => params.includes(KEY) || params.includes(tg.token))).toEqual([]);
    expect(texts(tg.calls("editMessageText"))).toContain("edited [REDACTED:OPENAI_API_KEY]");
    expect(texts(tg.calls("sendMessage"))).toContain("resent [REDACTED:OPENAI_API_KEY]");
  });

  it.each(["split", "trim"] as const)("leaves no half of a secret where a long answer is %s at the limit", async (overflow) => {
    const { tg, client } = await setup({ redactor: Redactor.of([{ name: "OPENAI_API_KEY", value: KEY }]) });
    // Words up to 20 characters before the 3500-character cut, then the key across it.
    const body = `${"word ".repeat(696)}${KEY} ${"more ".repeat(200)}`;
    expect(body.indexOf(KEY)).toBeLessThan(3500);
    expect(body.indexOf(KEY) + KEY.length).toBeGreaterThan(3500);
    await telegramSurface(client).send(USER, { parts: { header: "done · codex", body }, overflow });
    await client.close();
    const posted = tg.messages(USER).map((message) => message.text ?? "");
    expect(posted.length).toBe(overflow === "split" ? 2 : 1);
    // No part of the key is left on either side of the cut; the marker may be cut in turn.
    expect(posted.filter((text) => text.includes(KEY.slice(0, 12)) || text.includes(KEY.slice(-12)))).toEqual([]);
    expect(posted[0]).toContain("[REDA");
  });

  it("cuts a text the markers made longer than Telegram takes, instead of losing the message", async () => {
    const { tg, client } = await setup({ redactor: Redactor.of([{ name: "DB_PASSWORD", value: SHORT }]) });
    const text = `${"x".repeat(4050)} ${SHORT} ${SHORT} ${SHORT} end`;
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(text.length + 3 * ("[REDACTED:DB_PASSWORD]".length - SHORT.length)).toBeGreaterThan(4096);
    const ref = await sent(client.sendMessage(USER, text, { entities: [{ type: "bold", offset: 4051, length: text.length - 4051 }] }));
    const [message] = tg.messages(USER).filter((m) => m.messageId === ref.messageId);
    expect(message?.text?.length).toBeLessThanOrEqual(4096);
    expect(message?.text).toContain("[REDACTED:DB_PASSWORD]");
    expect(message?.text).not.toContain(SHORT);
  });
});


describe("documents and downloads", () => {
  it("sends a document in a topic as a reply, retried through a 502, with its caption redacted", async () => {
    const { tg, client, logs } = await setup({ redactor: new Redactor().add("DB_PASSWORD", "hunter2-hunter2") });
    const thread = tg.addForumTopic(FORUM, "app @main");
    const prompt = tg.injectMessage({ chat: FORUM, from: USER, text: "get it", message_thread_id: thread });
    tg.failNext("sendDocument", { code: 502 });
    const data = Buffer.from([0, 1, 2, 255, 13, 10]);
    const ref: MessageRef = { chatId: FORUM, messageId: prompt.message.message_id, threadId: thread };
    const sent = await client.sendDocument(FORUM, { filename: "x.bin", data }, { replyTo: ref, caption: "pw hunter2-hunter2" });
    expect(sent).toMatchObject({ chatId: FORUM, threadId: thread });
    const stored = tg.messages(FORUM).find((message) => message.messageId === sent?.messageId);
    expect(stored?.upload?.data.equals(data)).toBe(true);
    expect(stored?.caption).toBe("pw [REDACTED:DB_PASSWORD]");
    expect(stored?.replyToMessageId).toBe(prompt.message.message_id);
    expect(tg.calls("sendDocument")).toHaveLength(2);
    expect(JSON.stringify(logs())).not.toContain(tg.token);
  });

  it("downloads what getFile names; a bad id, a declared size over the limit and a failed download each say which step failed", async () => {
    const { downloadFile } = await import("../../src/telegram/file-download.js");
    const { tg, client, logs } = await setup();
    const log = pino({ level: "silent" });
    const data = Buffer.alloc(3000, 7);
    const sent = tg.injectMessage({ chat: USER, from: USER, document: { content: data, file_name: "a.bin" } });
    const fileId = sent.message.document?.file_id ?? "";
    const got = await downloadFile(client, fileId, 3000, log);
    expect(got.ok && got.data.equals(data)).toBe(true);
    expect(await downloadFile(client, fileId, 2999, log)).toEqual({ ok: false, reason: "too_large" });
    expect(await downloadFile(client, "no-such-file", 3000, log)).toEqual({ ok: false, reason: "metadata" });
    tg.failNext("downloadFile", { code: 500 });
    expect(await downloadFile(client, fileId, 3000, log)).toEqual({ ok: false, reason: "download" });
    expect(JSON.stringify(logs())).not.toContain(tg.token);
  });
});
