// Raw updates as Telegram sends them → IncomingMessage / IncomingCallback:
// text and captions, topics and the implicit topic-root reply, replies to the
// bot, forwards by forward_origin alone and by legacy fields, attachments and
// their priority, voice, and the updates that are ignored (edits, channel
// posts, service messages, malformed payloads).
import { describe, expect, it } from "vitest";
import { parseUpdate, type IncomingCallback, type IncomingMessage, type ParsedUpdate } from "../../../src/telegram/incoming.js";

const DATE = 1_760_000_000;

function update(message: Record<string, unknown>, updateId = 1): unknown {
  return {
    update_id: updateId,
    message: { message_id: 10, date: DATE, chat: { id: 123, type: "private" }, from: { id: 123, is_bot: false, first_name: "Ada" }, ...message },
  };
}

function message(parsed: ParsedUpdate): IncomingMessage {
  if (parsed.kind !== "message") throw new Error(`expected a message, got ${JSON.stringify(parsed)}`);
  return parsed;
}

function callback(parsed: ParsedUpdate): IncomingCallback {
  if (parsed.kind !== "callback") throw new Error(`expected a callback, got ${JSON.stringify(parsed)}`);
  return parsed;
}

describe("messages", () => {
  it("maps the fields the router uses", () => {
    const raw = update(
      {
        message_id: 10,
        text: "/codex hello",
        entities: [{ type: "bot_command", offset: 0, length: 6 }],
        chat: { id: -100123, type: "supergroup", is_forum: true, title: "Team" },
        from: { id: 99, is_bot: false, first_name: "Ada", username: "ada" },
        reply_to_message: { message_id: 5, date: DATE, chat: { id: -100123, type: "supergroup" }, text: "prev", from: { id: 7, is_bot: true, username: "takopi_bot" } },
        some_future_field: { anything: true },
      },
      42,
    );
    const m = message(parseUpdate(raw));
    expect(m).toMatchObject({
      kind: "message",
      updateId: 42,
      chatId: -100123,
      chatType: "supergroup",
      isPrivate: false,
      isForum: true,
      messageId: 10,
      threadId: null,
      isTopicMessage: false,
      senderId: 99,
      senderUsername: "ada",
      senderIsBot: false,
      date: DATE,
      text: "/codex hello",
      entities: [{ type: "bot_command", offset: 0, length: 6 }],
      replyTo: { messageId: 5, text: "prev", senderId: 7, senderUsername: "takopi_bot", fromBot: true },
      isForward: false,
      mediaGroupId: null,
      hasAttachment: false,
      document: null,
      voice: null,
      forwardFollows: false,
    });
    expect(m.raw).toHaveProperty("some_future_field");
  });

  it("uses the caption and its entities when there is no text", () => {
    const m = message(
      parseUpdate(
        update({
          caption: "look @takopi_bot",
          caption_entities: [{ type: "mention", offset: 5, length: 11 }],
          document: { file_id: "doc-1", file_unique_id: "u1", file_name: "a.txt", mime_type: "text/plain", file_size: 12 },
        }),
      ),
    );
    expect(m.text).toBe("look @takopi_bot");
    expect(m.entities).toEqual([{ type: "mention", offset: 5, length: 11 }]);
    expect(m.hasAttachment).toBe(true);
    expect(m.document).toEqual({ source: "document", fileId: "doc-1", fileUniqueId: "u1", fileName: "a.txt", mimeType: "text/plain", fileSize: 12 });
  });

  it("keeps the topic of a forum message and drops the implicit reply to the topic root", () => {
    const m = message(
      parseUpdate(
        update({
          text: "hello",
          message_thread_id: 77,
          is_topic_message: true,
          chat: { id: -100, type: "supergroup", is_forum: true },
          reply_to_message: { message_id: 77, date: DATE, chat: { id: -100 }, forum_topic_created: { name: "t", icon_color: 1 } },
        }),
      ),
    );
    expect(m.threadId).toBe(77);
    expect(m.isTopicMessage).toBe(true);
    expect(m.isForum).toBe(true);
    expect(m.replyTo).toBeNull();
  });

  it("keeps a real reply inside a topic, reading only the replied-to text, not its caption", () => {
    const m = message(
      parseUpdate(
        update({
          text: "and this",
          message_thread_id: 77,
          chat: { id: -100, type: "supergroup", is_forum: true },
          reply_to_message: { message_id: 80, date: DATE, chat: { id: -100 }, caption: "a caption", from: { id: 5, is_bot: false } },
        }),
      ),
    );
    expect(m.replyTo).toEqual({ messageId: 80, text: null, senderId: 5, senderUsername: null, fromBot: false });
  });

  it("detects a forward that only carries forward_origin (Bot API 7.0+)", () => {
    const m = message(parseUpdate(update({ text: "forwarded text", forward_origin: { type: "user", date: DATE - 60, sender_user: { id: 5, is_bot: false, first_name: "Bo" } } })));
    expect(m.isForward).toBe(true);
  });

  it("detects forwards by the legacy fields too", () => {
    for (const fields of [
      { forward_from: { id: 5, is_bot: false, first_name: "Bo" } },
      { forward_from_chat: { id: -1001, type: "channel" }, forward_from_message_id: 4 },
      { forward_sender_name: "Hidden" },
      { forward_date: DATE - 5 },
      { is_automatic_forward: true },
    ]) {
      expect(message(parseUpdate(update({ text: "x", ...fields }))).isForward).toBe(true);
    }
    expect(message(parseUpdate(update({ text: "x", is_automatic_forward: false }))).isForward).toBe(false);
  });

  it("treats a chat without a type as private when its id is positive", () => {
    expect(message(parseUpdate(update({ text: "x", chat: { id: 5 } }))).isPrivate).toBe(true);
    expect(message(parseUpdate(update({ text: "x", chat: { id: -5 } }))).isPrivate).toBe(false);
  });

  it("has no sender for a message sent on behalf of a chat", () => {
    const raw = { update_id: 3, message: { message_id: 1, date: DATE, chat: { id: -100, type: "supergroup" }, sender_chat: { id: -100, type: "supergroup" }, text: "hi" } };
    const m = message(parseUpdate(raw));
    expect(m.senderId).toBeNull();
    expect(m.senderIsBot).toBe(false);
  });
});

describe("attachments", () => {
  it("picks the largest photo by file size, else by pixels", () => {
    const bySize = message(
      parseUpdate(
        update({
          caption: "pic",
          photo: [
            { file_id: "s", file_unique_id: "s", width: 90, height: 90, file_size: 100 },
            { file_id: "l", file_unique_id: "l", width: 800, height: 800, file_size: 5000 },
            { file_id: "m", file_unique_id: "m", width: 320, height: 320, file_size: 900 },
          ],
        }),
      ),
    );
    expect(bySize.document?.fileId).toBe("l");
    expect(bySize.document?.source).toBe("photo");
    const byPixels = message(
      parseUpdate(
        update({
          photo: [
            { file_id: "a", width: 90, height: 90 },
            { file_id: "b", width: 900, height: 900 },
          ],
        }),
      ),
    );
    expect(byPixels.document?.fileId).toBe("b");
    expect(byPixels.text).toBe("");
  });

  it("prefers document over video over photo", () => {
    const both = message(
      parseUpdate(
        update({
          document: { file_id: "d" },
          video: { file_id: "v", width: 1, height: 1, duration: 1 },
          photo: [{ file_id: "p", width: 1, height: 1 }],
        }),
      ),
    );
    expect(both.document?.fileId).toBe("d");
    const video = message(parseUpdate(update({ video: { file_id: "v", file_name: "clip.mp4", mime_type: "video/mp4" }, photo: [{ file_id: "p", width: 1, height: 1 }] })));
    expect(video.document).toMatchObject({ source: "video", fileId: "v", fileName: "clip.mp4" });
  });

  it("takes a sticker only for a /file command", () => {
    const sticker = { file_id: "st", file_unique_id: "st", width: 512, height: 512, is_animated: false, is_video: false, type: "regular" };
    // A bare sticker is no file to save, but it is kept: the router answers it with what takopi can do.
    expect(message(parseUpdate(update({ sticker }))).document).toBeNull();
    expect(message(parseUpdate(update({ sticker }))).hasAttachment).toBe(true);
    expect(message(parseUpdate(update({ sticker, text: "/file put stickers/" }))).document?.source).toBe("sticker");
    expect(message(parseUpdate(update({ sticker, text: "hello" }))).document).toBeNull();
  });

  it("reads a voice note", () => {
    const m = message(parseUpdate(update({ voice: { file_id: "voice-id", file_unique_id: "uniq", duration: 3, mime_type: "audio/ogg", file_size: 1234 } })));
    expect(m.text).toBe("");
    expect(m.voice).toEqual({ fileId: "voice-id", fileUniqueId: "uniq", mimeType: "audio/ogg", fileSize: 1234, duration: 3 });
    expect(m.hasAttachment).toBe(true);
    expect(m.document).toBeNull();
  });

  it("marks a captioned message with an unreadable file as carrying one, so its caption is not run as a prompt", () => {
    const m = message(parseUpdate(update({ caption: "rm -rf", document: { unexpected: "shape" } })));
    expect(m.hasAttachment).toBe(true);
    expect(m.document).toBeNull();
    expect(m.text).toBe("rm -rf");
  });

  it("keeps album membership", () => {
    const m = message(parseUpdate(update({ media_group_id: "album-1", photo: [{ file_id: "p", width: 1, height: 1 }] })));
    expect(m.mediaGroupId).toBe("album-1");
  });
});

describe("callback queries", () => {
  it("maps a button press on a bot message", () => {
    const c = callback(
      parseUpdate({
        update_id: 9,
        callback_query: {
          id: "cbq-1",
          data: "takopi:cancel",
          chat_instance: "ci",
          from: { id: 321, is_bot: false, first_name: "Ada", username: "ada" },
          message: { message_id: 55, date: DATE, chat: { id: -100, type: "supergroup" }, message_thread_id: 4, text: "working" },
        },
      }),
    );
    expect(c).toEqual({
      kind: "callback",
      updateId: 9,
      id: "cbq-1",
      chatId: -100,
      chatType: "supergroup",
      isPrivate: false,
      messageId: 55,
      threadId: 4,
      senderId: 321,
      senderUsername: "ada",
      data: "takopi:cancel",
      repliedTo: null,
    });
  });

  it("carries the prompt the button's message replies to, as Telegram nests it", () => {
    const c = callback(
      parseUpdate({
        update_id: 10,
        callback_query: {
          id: "cbq-2",
          data: "takopi:project:web",
          chat_instance: "ci",
          from: { id: 321, is_bot: false, first_name: "Ada" },
          message: {
            message_id: 56,
            date: DATE,
            chat: { id: 321, type: "private" },
            text: "which project should this run in?",
            reply_to_message: { message_id: 50, date: DATE, chat: { id: 321, type: "private" }, from: { id: 321, is_bot: false, first_name: "Ada" }, text: "fix the tests" },
          },
        },
      }),
    );
    expect(c.repliedTo).toMatchObject({ kind: "message", messageId: 50, chatId: 321, senderId: 321, text: "fix the tests", replyTo: null });
  });

  it("accepts an inaccessible message (date 0) and ignores a press without a message", () => {
    const inaccessible = callback(
      parseUpdate({ update_id: 1, callback_query: { id: "c", from: { id: 1, is_bot: false, first_name: "A" }, chat_instance: "x", message: { message_id: 3, date: 0, chat: { id: 1, type: "private" } } } }),
    );
    expect(inaccessible.data).toBeNull();
    expect(inaccessible.messageId).toBe(3);
    expect(parseUpdate({ update_id: 2, callback_query: { id: "c", from: { id: 1, is_bot: false, first_name: "A" }, chat_instance: "x", inline_message_id: "i" } })).toMatchObject({
      kind: "ignored",
      updateId: 2,
    });
  });
});

describe("ignored updates", () => {
  it("ignores edits and channel posts, keeping the update id", () => {
    const body = { message_id: 1, date: DATE, chat: { id: 123, type: "private" }, from: { id: 123, is_bot: false, first_name: "A" }, text: "edited", edit_date: DATE + 5 };
    expect(parseUpdate({ update_id: 5, edited_message: body })).toMatchObject({ kind: "ignored", updateId: 5, reason: "edited_message updates are not handled" });
    expect(parseUpdate({ update_id: 6, channel_post: { message_id: 1, date: DATE, chat: { id: -1001, type: "channel" }, text: "post" } })).toMatchObject({
      kind: "ignored",
      updateId: 6,
    });
  });

  it("ignores service messages with no text, voice or file", () => {
    expect(parseUpdate(update({ new_chat_members: [{ id: 5, is_bot: false, first_name: "B" }] }))).toMatchObject({ kind: "ignored", updateId: 1 });
    expect(parseUpdate(update({ photo: [] }))).toMatchObject({ kind: "ignored" });
  });

  it("ignores malformed payloads without throwing", () => {
    expect(parseUpdate(null)).toMatchObject({ kind: "ignored", updateId: null });
    expect(parseUpdate({ update_id: "7" })).toMatchObject({ kind: "ignored", updateId: null });
    expect(parseUpdate({ update_id: 8, message: { message_id: 1, text: "no chat", date: DATE } })).toMatchObject({ kind: "ignored", updateId: 8 });
  });

  it("reads a message whose optional fields are malformed as if they were absent", () => {
    const m = message(parseUpdate(update({ text: "hi", entities: "bogus", reply_to_message: 5, message_thread_id: "x" })));
    expect(m.entities).toEqual([]);
    expect(m.replyTo).toBeNull();
    expect(m.threadId).toBeNull();
  });
});
