// Sending, editing and deleting messages, documents and chat actions.
import { badRequest, NOT_MODIFIED } from "../errors.js";
import { checkReplyMarkup } from "../markup.js";
import { checkCaption, checkEntities, checkMessageText, checkParseMode, sameEntities, stableJson } from "../text.js";
import type { JsonObject } from "../types.js";
import { guessMime, nowSeconds } from "../util.js";
import type { ChatState, StoredFile, StoredMessage, UploadRecord } from "../records.js";
import { replyTarget, threadFor, type MethodContext, type MethodHandler } from "./context.js";

const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);

function markupParam(ctx: MethodContext): JsonObject | undefined {
  return checkReplyMarkup(ctx.params.json("reply_markup", "reply keyboard markup JSON object"));
}

/** Thread and reply of a new message; a reply in a forum lands in its target's topic. */
function placement(ctx: MethodContext, state: ChatState): { threadId: number | undefined; replyToMessageId: number | undefined } {
  const thread = threadFor(ctx, state);
  const target = replyTarget(ctx, state);
  const inherited = state.chat.is_forum === true ? target?.threadId : undefined;
  return { threadId: thread ?? inherited, replyToMessageId: target?.messageId };
}

/** A message this bot may edit: 400s as Telegram words them otherwise. */
function editable(ctx: MethodContext): StoredMessage {
  const { params, world, bot } = ctx;
  if (params.has("inline_message_id")) throw badRequest("inline messages are not supported by fake-telegram");
  const state = world.resolveChat(params.chatRef());
  const id = params.requiredInt("message_id", "message identifier is not specified");
  const message = state.messages.get(id);
  if (message === undefined || message.deleted) throw badRequest("message to edit not found");
  if (message.botId !== bot.user.id || message.service !== undefined) throw badRequest("message can't be edited");
  return message;
}

/** Keeps the current version in the edit history before an edit replaces it. */
function archive(message: StoredMessage, now: number): void {
  message.edits.push({
    text: message.text,
    entities: message.entities,
    caption: message.caption,
    captionEntities: message.captionEntities,
    parseMode: message.parseMode,
    replyMarkup: message.replyMarkup,
    replacedAt: now,
  });
}

const sendMessage: MethodHandler = (ctx) => {
  const { params, world, bot } = ctx;
  const state = world.resolveChat(params.chatRef());
  world.checkBotCanPost(state, bot);
  const text = checkMessageText(params.string("text"));
  const parseMode = checkParseMode(params.string("parse_mode"));
  const entities = checkEntities(text, params.json("entities", "entities JSON object"));
  const replyMarkup = markupParam(ctx);
  const message = world.post(state, {
    from: bot.user,
    botId: bot.user.id,
    date: nowSeconds(),
    ...placement(ctx, state),
    text,
    entities,
    parseMode,
    replyMarkup,
    disableNotification: params.bool("disable_notification"),
  });
  return world.toWire(message);
};

const editMessageText: MethodHandler = (ctx) => {
  const { params, world } = ctx;
  const message = editable(ctx);
  const text = checkMessageText(params.string("text"));
  const parseMode = checkParseMode(params.string("parse_mode"));
  const entities = checkEntities(text, params.json("entities", "entities JSON object"));
  // Leaving reply_markup out of an edit removes the keyboard, as on Telegram.
  const replyMarkup = markupParam(ctx);
  if (message.text === undefined) throw badRequest("there is no text in the message to edit");
  if (
    message.text === text &&
    sameEntities(message.entities, entities) &&
    (message.parseMode ?? "") === (parseMode ?? "") &&
    stableJson(message.replyMarkup ?? null) === stableJson(replyMarkup ?? null)
  ) {
    throw badRequest(NOT_MODIFIED);
  }
  archive(message, ctx.now);
  message.text = text;
  message.entities = entities;
  message.parseMode = parseMode;
  message.replyMarkup = replyMarkup;
  message.editDate = nowSeconds();
  world.touch();
  return world.toWire(message);
};

const editMessageReplyMarkup: MethodHandler = (ctx) => {
  const message = editable(ctx);
  const replyMarkup = markupParam(ctx);
  if (stableJson(message.replyMarkup ?? null) === stableJson(replyMarkup ?? null)) throw badRequest(NOT_MODIFIED);
  archive(message, ctx.now);
  message.replyMarkup = replyMarkup;
  message.editDate = nowSeconds();
  ctx.world.touch();
  return ctx.world.toWire(message);
};

const deleteMessage: MethodHandler = (ctx) => {
  const { params, world, bot } = ctx;
  const state = world.resolveChat(params.chatRef());
  const id = params.requiredInt("message_id", "message identifier is not specified");
  const message = state.messages.get(id);
  if (message === undefined || message.deleted) throw badRequest("message to delete not found");
  if (message.botId !== bot.user.id && state.chat.type !== "private") {
    const member = world.memberOf(state, bot.user);
    const allowed = member.status === "creator" || (member.status === "administrator" && member.can_delete_messages === true);
    if (!allowed) throw badRequest("message can't be deleted");
  }
  message.deleted = true;
  message.deletedAt = ctx.now;
  world.touch();
  return true;
};

/** The document of a sendDocument: a fresh upload, or a file_id the fake knows. */
function documentInput(ctx: MethodContext): { file: StoredFile; upload: UploadRecord | undefined } {
  const input = ctx.params.file("document");
  if (input === undefined || input === "") throw badRequest("there is no document in the request");
  if (typeof input === "string") {
    // URLs would make the fake fetch from the network; tests upload or reuse file_ids.
    const known = ctx.world.files.get(input);
    if (known === undefined) throw badRequest("wrong file identifier/HTTP URL specified");
    return { file: known, upload: undefined };
  }
  if (input.data.length === 0) throw badRequest("file must be non-empty");
  const fileName = input.filename === "" ? "document" : input.filename;
  const data = Buffer.from(input.data);
  const file = ctx.world.registerFile(data, { folder: "documents", fileName, mimeType: guessMime(fileName, input.contentType) });
  return { file, upload: { filename: fileName, contentType: input.contentType, data } };
}

const sendDocument: MethodHandler = (ctx) => {
  const { params, world, bot } = ctx;
  const state = world.resolveChat(params.chatRef());
  world.checkBotCanPost(state, bot);
  const caption = checkCaption(params.string("caption"));
  const parseMode = checkParseMode(params.string("parse_mode"));
  const captionEntities = checkEntities(caption ?? "", params.json("caption_entities", "caption entities JSON object"));
  const replyMarkup = markupParam(ctx);
  const where = placement(ctx, state);
  const { file, upload } = documentInput(ctx);
  const message = world.post(state, {
    from: bot.user,
    botId: bot.user.id,
    date: nowSeconds(),
    ...where,
    caption,
    captionEntities,
    parseMode,
    replyMarkup,
    document: world.documentOf(file),
    upload,
    disableNotification: params.bool("disable_notification"),
  });
  return world.toWire(message);
};

const sendChatAction: MethodHandler = (ctx) => {
  const { params, world, bot } = ctx;
  const state = world.resolveChat(params.chatRef());
  world.checkBotCanPost(state, bot);
  const action = params.string("action");
  if (action === undefined || !CHAT_ACTIONS.has(action)) throw badRequest("wrong parameter action in request");
  threadFor(ctx, state);
  return true;
};

export const MESSAGE_METHODS: Record<string, MethodHandler> = {
  sendMessage,
  editMessageText,
  editMessageReplyMarkup,
  deleteMessage,
  sendDocument,
  sendChatAction,
};
