// The fake Telegram Bot API over real HTTP on 127.0.0.1, driven with plain
// fetch (and FormData / a grammY-shaped multipart body for uploads): routing
// and auth, getUpdates semantics, message lifecycle, entity and command
// validation, files, forum topics, fault injection and per-chat rate limits.
import { describe, expect, it, onTestFinished } from "vitest";
import {
  GET_UPDATES_CONFLICT,
  NOT_MODIFIED,
  startFakeTelegram,
  type FakeTelegram,
  type FakeTelegramOptions,
  type TgFile,
  type TgForumTopic,
  type TgMessage,
  type TgUpdate,
} from "../support/fake-telegram/index.js";
import { FORUM, GROUP, OTHER_USER, STANDARD_WORLD, USER } from "../support/fake-telegram/standard-world.js";

interface ApiReply<T> {
  status: number;
  ok: boolean;
  result: T;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

const BASE: FakeTelegramOptions = STANDARD_WORLD;

async function start(options: FakeTelegramOptions = BASE): Promise<FakeTelegram> {
  const tg = await startFakeTelegram(options);
  onTestFinished(() => tg.close());
  return tg;
}

async function call<T = unknown>(tg: FakeTelegram, method: string, body: object = {}, token?: string): Promise<ApiReply<T>> {
  const res = await fetch(tg.methodUrl(method, token), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Omit<ApiReply<T>, "status">;
  return { status: res.status, ...json };
}

async function send(tg: FakeTelegram, chatId: number, text: string, extra: object = {}): Promise<ApiReply<TgMessage>> {
  return call<TgMessage>(tg, "sendMessage", { chat_id: chatId, text, ...extra });
}

describe("routing and auth", () => {
  it("answers getMe per bot, 401 for an unknown token and 404 for an unknown method", async () => {
    const tg = await start({
      ...BASE,
      bots: [{ token: "111:AAAA-first-bot-token-000000000000000" }, { token: "222:BBBB-second-bot-token-00000000000000", username: "second_bot" }],
    });
    const first = await call<{ id: number; is_bot: boolean; username: string }>(tg, "getMe");
    expect(first).toMatchObject({ status: 200, ok: true, result: { id: 111, is_bot: true } });
    const second = await call(tg, "getMe", {}, "222:BBBB-second-bot-token-00000000000000");
    expect(second.result).toMatchObject({ id: 222, is_bot: true, username: "second_bot" });

    const bad = await fetch(`${tg.url}/bot999:nope/getMe`, { method: "POST" });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ ok: false, error_code: 401, description: "Unauthorized" });
    const unknown = await call(tg, "sendPigeon", { chat_id: USER });
    expect(unknown).toMatchObject({ status: 404, ok: false, error_code: 404, description: "Not Found" });

    // Telegram matches method names case-insensitively and takes GET query parameters.
    const viaGet = await fetch(`${tg.methodUrl("SENDMESSAGE")}?chat_id=${USER}&text=hi`);
    expect(viaGet.status).toBe(200);
    expect(tg.calls("sendMessage").at(-1)?.params).toMatchObject({ chat_id: String(USER), text: "hi" });
    // The log names bots by id, never by token.
    expect(JSON.stringify(tg.calls())).not.toContain("AAAA-first-bot-token");
  });

  it("parses application/x-www-form-urlencoded, with JSON-encoded object fields", async () => {
    const tg = await start();
    const markup = { inline_keyboard: [[{ text: "cancel", callback_data: "cancel" }]] };
    const res = await fetch(tg.methodUrl("sendMessage"), {
      method: "POST",
      body: new URLSearchParams({ chat_id: String(USER), text: "form", reply_markup: JSON.stringify(markup), disable_notification: "true" }),
    });
    expect(res.status).toBe(200);
    const [stored] = tg.messages(USER);
    expect(stored).toMatchObject({ text: "form", replyMarkup: markup, disableNotification: true });
  });
});

describe("getUpdates", () => {
  it("confirms with offset, honours negative offsets, limit and allowed_updates", async () => {
    const tg = await start();
    const a = tg.injectMessage({ chat: USER, from: USER, text: "one" });
    const b = tg.injectMessage({ chat: USER, from: USER, text: "two" });
    const c = tg.injectMessage({ chat: USER, from: USER, text: "three" });
    expect(b.updateId).toBe(a.updateId + 1);

    const firstTwo = await call<TgUpdate[]>(tg, "getUpdates", { limit: 2 });
    expect(firstTwo.result.map((u) => u.message?.text)).toEqual(["one", "two"]);
    expect(tg.confirmedOffset()).toBe(0);

    // Re-reading without an offset delivers the same updates again (nothing acknowledged).
    const again = await call<TgUpdate[]>(tg, "getUpdates", { timeout: 0 });
    expect(again.result).toHaveLength(3);

    const rest = await call<TgUpdate[]>(tg, "getUpdates", { offset: b.updateId });
    expect(rest.result.map((u) => u.update_id)).toEqual([b.updateId, c.updateId]);
    expect(tg.pendingUpdates().map((u) => u.update_id)).toEqual([b.updateId, c.updateId]);

    const last = await call<TgUpdate[]>(tg, "getUpdates", { offset: -1 });
    expect(last.result.map((u) => u.update_id)).toEqual([c.updateId]);
    expect(tg.pendingUpdates().map((u) => u.update_id)).toEqual([c.updateId]);

    await call(tg, "getUpdates", { offset: c.updateId + 1 });
    expect(tg.pendingUpdates()).toEqual([]);
    expect(tg.confirmedOffset()).toBe(c.updateId + 1);
    await tg.waitForConfirmed(c.updateId, 1000);

    // allowed_updates sticks: a callback query is held back while only messages are allowed.
    const sent = await send(tg, USER, "pick", { reply_markup: { inline_keyboard: [[{ text: "go", callback_data: "go" }]] } });
    const press = tg.injectCallbackQuery({ chat: USER, message_id: sent.result.message_id, from: USER, data: "go" });
    const msg = tg.injectMessage({ chat: USER, from: USER, text: "/status" });
    const onlyMessages = await call<TgUpdate[]>(tg, "getUpdates", { offset: c.updateId + 1, allowed_updates: ["message"] });
    expect(onlyMessages.result.map((u) => u.update_id)).toEqual([msg.updateId]);
    expect(onlyMessages.result[0]?.message?.entities).toEqual([{ type: "bot_command", offset: 0, length: 7 }]);
    const both = await call<TgUpdate[]>(tg, "getUpdates", { offset: c.updateId + 1, allowed_updates: [] });
    expect(both.result.map((u) => u.update_id)).toEqual([press.updateId, msg.updateId]);
    expect(both.result[0]?.callback_query).toMatchObject({ id: press.id, data: "go", message: { message_id: sent.result.message_id } });
  });

  it("long-polls: returns early on a new update, [] at the timeout, and 409 for a second poller (reject-new)", async () => {
    const tg = await start({ ...BASE, getUpdatesConflict: "reject-new" });
    const empty = await call<TgUpdate[]>(tg, "getUpdates", { timeout: 0.2 });
    expect(empty).toMatchObject({ status: 200, result: [] });

    const startedAt = Date.now();
    const poll = call<TgUpdate[]>(tg, "getUpdates", { timeout: 20 });
    await tg.waitForCall((c) => c.method === "getUpdates" && c.status === "pending", 2000);
    expect(tg.isPolling()).toBe(true);

    const second = await call(tg, "getUpdates", { timeout: 20 });
    expect(second).toMatchObject({ status: 409, error_code: 409, description: `Conflict: ${GET_UPDATES_CONFLICT}` });
    expect(tg.calls("getUpdates").at(-1)?.fault).toBe("conflict");

    const injected = tg.injectMessage({ chat: USER, from: USER, text: "wake up" });
    const woke = await poll;
    expect(woke.result.map((u) => u.update_id)).toEqual([injected.updateId]);
    expect(Date.now() - startedAt).toBeLessThan(20_000);
    expect(tg.isPolling()).toBe(false);
  });

  it("by default terminates the older poller like Telegram, and close() ends a pending poll", async () => {
    const tg = await start();
    const old = call(tg, "getUpdates", { timeout: 20 });
    await tg.waitForCall((c) => c.method === "getUpdates" && c.status === "pending", 2000);
    const fresh = call<TgUpdate[]>(tg, "getUpdates", { timeout: 20 });
    expect(await old).toMatchObject({ status: 409, description: `Conflict: ${GET_UPDATES_CONFLICT}` });
    expect(tg.calls("getUpdates")[0]?.fault).toBe("conflict");
    await tg.waitForCall((c) => c.method === "getUpdates" && c.seq === 2 && c.status === "pending", 2000);

    const startedAt = Date.now();
    await tg.close();
    const outcome = await fresh.then(
      (reply) => reply.result.length,
      () => "connection closed",
    );
    expect([0, "connection closed"]).toContain(outcome);
    expect(Date.now() - startedAt).toBeLessThan(20_000);
  });

  it("drops pending updates on deleteWebhook(drop_pending_updates)", async () => {
    const tg = await start();
    const stale = tg.injectMessage({ chat: USER, from: USER, text: "while offline" });
    expect(await call(tg, "deleteWebhook", { drop_pending_updates: true })).toMatchObject({ ok: true, result: true });
    expect(tg.pendingUpdates()).toEqual([]);
    expect(tg.confirmedOffset()).toBe(stale.updateId + 1);
  });
});

describe("messages", () => {
  it("sends, edits, refuses a no-op edit, deletes, and keeps the history", async () => {
    const tg = await start();
    const question = tg.injectMessage({ chat: USER, from: USER, text: "run it" });
    const keyboard = { inline_keyboard: [[{ text: "cancel", callback_data: "cancel" }]] };
    const sent = await send(tg, USER, "working", {
      reply_parameters: { message_id: question.message.message_id },
      reply_markup: keyboard,
      disable_notification: true,
    });
    expect(sent).toMatchObject({ status: 200, ok: true });
    expect(sent.result).toMatchObject({
      chat: { id: USER, type: "private" },
      from: { is_bot: true },
      text: "working",
      reply_to_message: { message_id: question.message.message_id, text: "run it" },
      reply_markup: keyboard,
    });
    const id = sent.result.message_id;

    const bold = [{ type: "bold", offset: 0, length: 4 }];
    const edit = { chat_id: USER, message_id: id, text: "working", reply_markup: keyboard, entities: bold };
    const edited = await call<TgMessage>(tg, "editMessageText", edit);
    expect(edited.result).toMatchObject({ text: "working", entities: bold });
    expect(typeof edited.result.edit_date).toBe("number");

    const same = await call(tg, "editMessageText", edit);
    expect(same).toMatchObject({ status: 400, ok: false, description: `Bad Request: ${NOT_MODIFIED}` });

    // Leaving reply_markup out removes the keyboard: that is a change.
    const done = await call<TgMessage>(tg, "editMessageText", { chat_id: USER, message_id: id, text: "done" });
    expect(done.result.reply_markup).toBeUndefined();

    const stored = tg.message(USER, id);
    expect(stored?.text).toBe("done");
    expect(stored?.edits.map((v) => v.text)).toEqual(["working", "working"]);
    expect(stored?.replyMarkup).toBeUndefined();

    expect(await call(tg, "deleteMessage", { chat_id: USER, message_id: id })).toMatchObject({ ok: true, result: true });
    expect(tg.message(USER, id)?.deleted).toBe(true);
    expect(tg.messages(USER, { includeDeleted: false })).toEqual([]);
    expect(await call(tg, "editMessageText", { chat_id: USER, message_id: id, text: "again" })).toMatchObject({
      status: 400,
      description: "Bad Request: message to edit not found",
    });
    expect(await call(tg, "deleteMessage", { chat_id: USER, message_id: id })).toMatchObject({
      status: 400,
      description: "Bad Request: message to delete not found",
    });
    // A user's message is not the bot's to edit.
    expect(await call(tg, "editMessageText", { chat_id: USER, message_id: question.message.message_id, text: "x" })).toMatchObject({
      status: 400,
      description: "Bad Request: message can't be edited",
    });
  });

  it("validates chats, replies and markup like Telegram", async () => {
    const tg = await start();
    expect(await send(tg, 424242, "hi")).toMatchObject({ status: 400, description: "Bad Request: chat not found" });
    expect(await send(tg, USER, "hi", { reply_to_message_id: 999 })).toMatchObject({
      status: 400,
      description: "Bad Request: message to be replied not found",
    });
    expect(await send(tg, USER, "hi", { reply_parameters: { message_id: 999, allow_sending_without_reply: true } })).toMatchObject({ status: 200 });
    expect(await send(tg, USER, "hi", { reply_markup: { inline_keyboard: [[{ text: "x", callback_data: "y".repeat(65) }]] } })).toMatchObject({
      status: 400,
      description: "Bad Request: BUTTON_DATA_INVALID",
    });
    expect(await send(tg, USER, "hi", { parse_mode: "Markdown2" })).toMatchObject({ status: 400 });
    tg.setMember(GROUP, tg.botInfo.id, "kicked");
    expect(await send(tg, GROUP, "hi")).toMatchObject({ status: 403, description: "Forbidden: bot was kicked from the supergroup chat" });
  });

  it("measures text and entities in UTF-16 code units", async () => {
    const tg = await start();
    const text = "ok 🎉 done"; // the emoji is two UTF-16 code units at offsets 3-4
    const fine = await send(tg, USER, text, { entities: [{ type: "bold", offset: 3, length: 2 }, { type: "code", offset: 6, length: 4 }] });
    expect(fine).toMatchObject({ status: 200 });
    expect(fine.result.entities).toEqual([
      { type: "bold", offset: 3, length: 2 },
      { type: "code", offset: 6, length: 4 },
    ]);

    const split = await send(tg, USER, text, { entities: [{ type: "bold", offset: 3, length: 1 }] });
    expect(split.status).toBe(400);
    expect(split.description).toMatch(/^Bad Request: can't parse entities: .*surrogate pair/);
    // Counting code points (9) instead of UTF-16 units (10) puts entities past the end.
    const past = await send(tg, USER, text, { entities: [{ type: "italic", offset: 6, length: 5 }] });
    expect(past.status).toBe(400);
    expect(past.description).toMatch(/ends after the text \(10 UTF-16 code units\)/);
    expect(await send(tg, USER, text, { entities: [{ type: "text_link", offset: 0, length: 2 }] })).toMatchObject({ status: 400 });

    expect(await send(tg, USER, "🎉".repeat(2048))).toMatchObject({ status: 200 });
    expect(await send(tg, USER, `${"🎉".repeat(2048)}a`)).toMatchObject({ status: 400, description: "Bad Request: message is too long" });
    expect(await send(tg, USER, "  ")).toMatchObject({ status: 400, description: "Bad Request: message text is empty" });
  });

  it("records callback answers and answers each query once", async () => {
    const tg = await start();
    const sent = await send(tg, USER, "stop?", { reply_markup: { inline_keyboard: [[{ text: "cancel", callback_data: "cancel" }]] } });
    const press = tg.injectCallbackQuery({ chat: USER, message_id: sent.result.message_id, from: USER, data: "cancel" });
    expect(await call(tg, "answerCallbackQuery", { callback_query_id: press.id, text: "cancelling" })).toMatchObject({ result: true });
    expect(tg.callbackAnswer(press.id)).toMatchObject({ text: "cancelling", show_alert: false });
    expect(await call(tg, "answerCallbackQuery", { callback_query_id: press.id })).toMatchObject({ status: 400 });
  });

  it("waits for messages and says what it saw when the wait times out", async () => {
    const tg = await start();
    const waiting = tg.waitForMessage((m) => m.text === "later", 2000);
    await send(tg, USER, "later");
    expect((await waiting).chatId).toBe(USER);
    await expect(tg.waitForMessage((m) => m.text === "never", 50)).rejects.toThrow(/bot messages seen \(1\):\n {2}chat 11 #1 "later"/);
    await expect(tg.waitForCall((c) => c.method === "getChat", 50)).rejects.toThrow(/calls seen \(1\):\n {2}#1 sendMessage chat=11 "later" → 200/);
  });
});

describe("setMyCommands", () => {
  it("stores valid commands per scope and rejects bad names, descriptions and counts", async () => {
    const tg = await start();
    const commands = [
      { command: "cancel", description: "cancel the current run" },
      { command: "file_get_2", description: "send a file" },
    ];
    expect(await call(tg, "setMyCommands", { commands })).toMatchObject({ ok: true, result: true });
    expect((await call(tg, "getMyCommands")).result).toEqual(commands);
    expect(tg.commands()).toEqual(commands);

    const scope = { type: "chat", chat_id: GROUP };
    expect(await call(tg, "setMyCommands", { commands: commands.slice(0, 1), scope })).toMatchObject({ ok: true });
    expect(tg.commands({ scope })).toEqual(commands.slice(0, 1));
    expect(tg.commands()).toEqual(commands);

    for (const command of ["Cancel", "with-dash", "", "x".repeat(33)]) {
      const bad = await call(tg, "setMyCommands", { commands: [{ command, description: "d" }] });
      expect(bad.status).toBe(400);
      expect(bad.description).toMatch(/^Bad Request: BOT_COMMAND_INVALID/);
    }
    expect((await call(tg, "setMyCommands", { commands: [{ command: "ok", description: " " }] })).description).toMatch(/DESCRIPTION_INVALID/);
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ command: `c${i}`, description: "d" }));
    expect(await call(tg, "setMyCommands", { commands: tooMany })).toMatchObject({ status: 400, description: "Bad Request: BOT_COMMANDS_TOO_MUCH" });
    expect(tg.commands()).toEqual(commands);
  });
});

describe("files", () => {
  it("serves registered and user-sent files through getFile and /file/bot…", async () => {
    const tg = await start();
    const registered = tg.registerFile({ content: "hello file", file_name: "notes.txt" });
    const meta = await call<TgFile>(tg, "getFile", { file_id: registered.file_id });
    expect(meta.result).toEqual({ file_id: registered.file_id, file_unique_id: registered.file_unique_id, file_size: 10, file_path: registered.file_path });
    const download = await fetch(tg.fileUrl(registered.file_path));
    expect(download.status).toBe(200);
    expect(await download.text()).toBe("hello file");
    expect(tg.calls("downloadFile").at(-1)).toMatchObject({ status: 200, params: { file_path: registered.file_path } });

    const upload = tg.injectMessage({ chat: USER, from: USER, caption: "/file put docs/", document: { content: Buffer.from([0, 1, 2, 255]), file_name: "blob.bin" } });
    expect(upload.message.document).toMatchObject({ file_name: "blob.bin", file_size: 4, mime_type: "application/octet-stream" });
    expect(upload.message.caption_entities).toEqual([{ type: "bot_command", offset: 0, length: 5 }]);
    const docMeta = await call<TgFile>(tg, "getFile", { file_id: upload.message.document?.file_id });
    const bytes = Buffer.from(await (await fetch(tg.fileUrl(docMeta.result.file_path ?? ""))).arrayBuffer());
    expect([...bytes]).toEqual([0, 1, 2, 255]);

    expect(await call(tg, "getFile", { file_id: "nope" })).toMatchObject({ status: 400, description: "Bad Request: invalid file_id" });
    expect((await fetch(tg.fileUrl("documents/missing.txt"))).status).toBe(404);
    expect((await fetch(`${tg.url}/file/bot1:wrong/${registered.file_path}`)).status).toBe(401);
  });

  it("stores sendDocument uploads from FormData and from grammY's attach:// multipart", async () => {
    const tg = await start();
    const form = new FormData();
    form.append("chat_id", String(USER));
    form.append("caption", "report");
    form.append("document", new Blob(["a,b\n1,2\n"], { type: "text/csv" }), "report.csv");
    const res = await fetch(tg.methodUrl("sendDocument"), { method: "POST", body: form });
    const body = (await res.json()) as { ok: boolean; result: TgMessage };
    expect(res.status).toBe(200);
    expect(body.result).toMatchObject({ caption: "report", document: { file_name: "report.csv", mime_type: "text/csv", file_size: 8 } });
    const [stored] = tg.messages(USER);
    expect(stored?.upload?.filename).toBe("report.csv");
    expect(stored?.upload?.data.toString()).toBe("a,b\n1,2\n");
    expect(tg.calls("sendDocument").at(-1)?.files).toEqual([{ field: "document", filename: "report.csv", contentType: "text/csv", size: 8 }]);

    // grammY's encoder: no spaces in headers, an unquoted filename, the file in a
    // part named by a random id that the `document` field references.
    const boundary = "----------abc123";
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\ncontent-disposition:form-data;name="chat_id"\r\n\r\n${USER}`),
      Buffer.from(`\r\n--${boundary}\r\ncontent-disposition:form-data;name="document"\r\n\r\nattach://k3j4h5`),
      Buffer.from(`\r\n--${boundary}\r\ncontent-disposition:form-data;name="reply_parameters"\r\n\r\n${JSON.stringify({ message_id: stored?.messageId })}`),
      Buffer.from(`\r\n--${boundary}\r\ncontent-disposition:form-data;name="k3j4h5";filename=my notes.md\r\n\r\n`),
      Buffer.from("# Title\r\n\r\n--not a boundary\r\n"),
      Buffer.from(`\r\n--${boundary}--`),
    ]);
    const grammy = await fetch(tg.methodUrl("sendDocument"), {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body: payload,
    });
    const grammyBody = (await grammy.json()) as { result: TgMessage };
    expect(grammy.status).toBe(200);
    expect(grammyBody.result).toMatchObject({ document: { file_name: "my notes.md", mime_type: "text/markdown" }, reply_to_message: { message_id: stored?.messageId } });
    const last = tg.messages(USER).at(-1);
    expect(last?.upload?.data.toString()).toBe("# Title\r\n\r\n--not a boundary\r\n");

    // The uploaded file can be fetched back.
    const meta = await call<TgFile>(tg, "getFile", { file_id: grammyBody.result.document?.file_id });
    expect(await (await fetch(tg.fileUrl(meta.result.file_path ?? ""))).text()).toBe("# Title\r\n\r\n--not a boundary\r\n");

    expect(await call(tg, "sendDocument", { chat_id: USER, document: "https://example.com/x.pdf" })).toMatchObject({ status: 400 });
  });
});

describe("forum topics", () => {
  it("creates and renames topics and threads messages into them", async () => {
    const tg = await start();
    const created = await call<TgForumTopic>(tg, "createForumTopic", { chat_id: FORUM, name: "takopi @main" });
    expect(created).toMatchObject({ status: 200, result: { name: "takopi @main", icon_color: 7322096 } });
    const thread = created.result.message_thread_id;

    const inTopic = await send(tg, FORUM, "hello topic", { message_thread_id: thread });
    expect(inTopic.result).toMatchObject({
      message_thread_id: thread,
      is_topic_message: true,
      reply_to_message: { message_id: thread, forum_topic_created: { name: "takopi @main" } },
    });
    expect(await send(tg, FORUM, "x", { message_thread_id: 4242 })).toMatchObject({
      status: 400,
      description: "Bad Request: message thread not found",
    });
    expect(tg.messages(FORUM, { threadId: thread }).map((m) => m.text)).toEqual(["hello topic"]);

    // A user writing in the topic: Telegram marks it as replying to the topic root.
    const user = tg.injectMessage({ chat: FORUM, from: USER, text: "in topic", message_thread_id: thread });
    expect(user.message).toMatchObject({ message_thread_id: thread, is_topic_message: true, reply_to_message: { message_id: thread } });

    expect(await call(tg, "editForumTopic", { chat_id: FORUM, message_thread_id: thread, name: "takopi @main" })).toMatchObject({
      status: 400,
      description: "Bad Request: TOPIC_NOT_MODIFIED",
    });
    expect(await call(tg, "editForumTopic", { chat_id: FORUM, message_thread_id: thread, name: "takopi @dev" })).toMatchObject({ result: true });
    expect(tg.chat(FORUM)?.topics.get(thread)?.name).toBe("takopi @dev");

    expect(await call(tg, "createForumTopic", { chat_id: GROUP, name: "x" })).toMatchObject({ status: 400, description: "Bad Request: the chat is not a forum" });
  });

  it("reports chat info and member rights, and needs can_manage_topics", async () => {
    const tg = await start();
    expect((await call(tg, "getChat", { chat_id: FORUM })).result).toMatchObject({ id: FORUM, type: "supergroup", is_forum: true, title: "Projects" });
    const admin = await call(tg, "getChatMember", { chat_id: FORUM, user_id: tg.botInfo.id });
    expect(admin.result).toMatchObject({ status: "administrator", can_manage_topics: true });
    expect((await call(tg, "getChatMember", { chat_id: FORUM, user_id: USER })).result).toMatchObject({ status: "creator" });
    expect((await call(tg, "getChatMember", { chat_id: FORUM, user_id: OTHER_USER })).result).toMatchObject({ status: "left" });

    tg.setMember(FORUM, tg.botInfo.id, { status: "administrator", can_manage_topics: false });
    expect((await call(tg, "getChatMember", { chat_id: FORUM, user_id: tg.botInfo.id })).result).toMatchObject({ can_manage_topics: false });
    expect(await call(tg, "createForumTopic", { chat_id: FORUM, name: "x" })).toMatchObject({
      status: 400,
      description: "Bad Request: not enough rights to create a topic",
    });
  });
});

describe("fault injection", () => {
  it("answers injected 429 and 5xx, and records a retry that ignored retry_after", async () => {
    const tg = await start();
    tg.failNext("sendMessage", { code: 429, retry_after: 3 });
    const limited = await send(tg, USER, "a");
    expect(limited).toMatchObject({ status: 429, ok: false, error_code: 429, parameters: { retry_after: 3 } });
    expect(limited.description).toBe("Too Many Requests: retry after 3");
    expect(await send(tg, USER, "a")).toMatchObject({ status: 200 });
    expect(tg.earlyRetries).toMatchObject([{ method: "sendMessage", chatId: USER, source: "injected" }]);
    expect(tg.earlyRetries[0]?.earlyByMs).toBeGreaterThan(2000);

    const handle = tg.failNext("getUpdates", { code: 502 }, 2);
    expect(await call(tg, "getUpdates")).toMatchObject({ status: 502, description: "Bad Gateway" });
    expect(handle.remaining).toBe(1);
    handle.cancel();
    expect(await call(tg, "getUpdates")).toMatchObject({ status: 200 });

    // Predicate form: only calls for one chat fail.
    tg.failNext((c) => c.chatId === OTHER_USER, { code: 500 }, Infinity);
    expect(await send(tg, USER, "fine")).toMatchObject({ status: 200 });
    expect(await send(tg, OTHER_USER, "broken")).toMatchObject({ status: 500, description: "Internal Server Error" });
    tg.clearFaults();
    expect(await send(tg, OTHER_USER, "fixed")).toMatchObject({ status: 200 });
    expect(tg.errors).toEqual([]);
  });

  it("drops connections before or after the call takes effect", async () => {
    const tg = await start();
    tg.failNext("sendMessage", { drop: true });
    await expect(send(tg, USER, "lost")).rejects.toThrow();
    expect(tg.calls("sendMessage").at(-1)?.status).toBe("dropped");
    expect(tg.messages(USER)).toEqual([]);

    tg.failNext("sendMessage", { drop: true, afterHandling: true });
    await expect(send(tg, USER, "sent, answer lost")).rejects.toThrow();
    expect(tg.messages(USER).map((m) => m.text)).toEqual(["sent, answer lost"]);

    tg.failNext("downloadFile", { drop: true });
    const file = tg.registerFile({ content: "x" });
    await expect(fetch(tg.fileUrl(file.file_path))).rejects.toThrow();
    expect(await (await fetch(tg.fileUrl(file.file_path))).text()).toBe("x");
  });
});

describe("outages", () => {
  it("fails every call until the outage ends, cutting the long poll held open, and keeps updates for later", async () => {
    const tg = await start();
    const held = call<TgUpdate[]>(tg, "getUpdates", { timeout: 30 });
    await tg.waitForCall((c) => c.method === "getUpdates" && c.status === "pending", 2000);
    const outage = tg.outage();
    expect(await held).toMatchObject({ status: 502, description: "Bad Gateway" });
    const prompt = tg.injectMessage({ chat: USER, from: USER, text: "sent while down" });
    expect(await send(tg, USER, "lost")).toMatchObject({ status: 502 });
    expect(await call(tg, "getUpdates")).toMatchObject({ status: 502 });
    expect(outage.failed).toBe(3);
    expect(tg.messages(USER)).toEqual([]);

    outage.end();
    const updates = await call<TgUpdate[]>(tg, "getUpdates");
    expect(updates.result.map((u) => u.update_id)).toEqual([prompt.updateId]);
    expect(await send(tg, USER, "back")).toMatchObject({ status: 200 });
    expect(outage.failed).toBe(3);
    expect(tg.errors).toEqual([]);
  });

  it("can cut connections instead, and spare some methods", async () => {
    const tg = await start();
    const held = call(tg, "getUpdates", { timeout: 30 });
    await tg.waitForCall((c) => c.method === "getUpdates" && c.status === "pending", 2000);
    const outage = tg.outage({ fault: { drop: true }, match: (c) => c.method !== "getMe" });
    await expect(held).rejects.toThrow();
    await expect(send(tg, USER, "lost")).rejects.toThrow();
    expect(await call(tg, "getMe")).toMatchObject({ status: 200 });
    expect(tg.calls("getUpdates").map((c) => c.status)).toEqual(["dropped"]);
    expect(outage.failed).toBe(2);
    outage.end();
    expect(await send(tg, USER, "back")).toMatchObject({ status: 200 });
  });
});

describe("rate limits", () => {
  it("limits sends and edits per chat, not globally, and flags early retries", async () => {
    const tg = await start({ ...BASE, rateLimits: { perChatPerSecond: 1, privateBurst: 2, perGroupPerMinute: 3 } });
    const first = await send(tg, USER, "1");
    expect(first.status).toBe(200);
    expect((await call(tg, "editMessageText", { chat_id: USER, message_id: first.result.message_id, text: "1b" })).status).toBe(200);
    const third = await send(tg, USER, "3");
    expect(third).toMatchObject({ status: 429, error_code: 429 });
    expect(third.parameters?.retry_after).toBeGreaterThanOrEqual(1);
    expect(tg.rateLimitHits).toMatchObject([{ chatId: USER, method: "sendMessage" }]);

    // Another private chat has its own budget.
    expect((await send(tg, OTHER_USER, "a")).status).toBe(200);
    expect((await send(tg, OTHER_USER, "b")).status).toBe(200);

    // Coming straight back to the limited chat is answered 429 again and recorded.
    const early = await call(tg, "editMessageText", { chat_id: USER, message_id: first.result.message_id, text: "1c" });
    expect(early.status).toBe(429);
    expect(tg.calls("editMessageText").at(-1)?.fault).toBe("flood-wait");
    expect(tg.earlyRetries).toMatchObject([{ chatId: USER, method: "editMessageText", source: "rate-limit" }]);

    // Groups get a per-minute budget.
    for (const text of ["g1", "g2", "g3"]) expect((await send(tg, GROUP, text)).status).toBe(200);
    const groupLimited = await send(tg, GROUP, "g4");
    expect(groupLimited.status).toBe(429);
    expect(groupLimited.parameters?.retry_after).toBe(20);
    // Deletes and chat actions do not spend the budget.
    expect((await call(tg, "sendChatAction", { chat_id: OTHER_USER, action: "typing" })).status).toBe(200);
  });
});
