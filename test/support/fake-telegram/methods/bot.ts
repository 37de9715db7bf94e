// The bot itself: identity, updates, webhook, commands, callback answers, files.
import { badRequest } from "../errors.js";
import type { TgBotCommand, TgFile } from "../types.js";
import { isObject } from "../util.js";
import type { MethodContext, MethodHandler } from "./context.js";

/** Bot API download limit of the cloud server. */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

const COMMAND_NAME = /^[a-z0-9_]{1,32}$/;
const SCOPE_TYPES = new Set([
  "default",
  "all_private_chats",
  "all_group_chats",
  "all_chat_administrators",
  "chat",
  "chat_administrators",
  "chat_member",
]);

const getMe: MethodHandler = (ctx) => ctx.bot.user;

const getUpdates: MethodHandler = (ctx) => {
  const { params } = ctx;
  const rawAllowed = params.json("allowed_updates", "allowed_updates JSON object");
  let allowedUpdates: string[] | undefined;
  if (rawAllowed !== undefined) {
    if (!Array.isArray(rawAllowed) || !(rawAllowed as unknown[]).every((kind) => typeof kind === "string")) {
      throw badRequest("can't parse allowed_updates JSON object");
    }
    allowedUpdates = rawAllowed as string[];
  }
  return ctx.updates.getUpdates({
    offset: params.int("offset") ?? 0,
    limit: params.int("limit") ?? 100,
    timeoutMs: Math.max(0, (params.number("timeout") ?? 0) * 1000),
    allowedUpdates,
    signal: ctx.signal,
  });
};

const deleteWebhook: MethodHandler = (ctx) => {
  if (ctx.params.bool("drop_pending_updates")) ctx.updates.dropPending();
  return true;
};

const getWebhookInfo: MethodHandler = (ctx) => ({
  url: "",
  has_custom_certificate: false,
  pending_update_count: ctx.updates.pending.length,
});

/** The key commands are stored under: bot, scope and language. */
function commandsKey(ctx: MethodContext): string {
  const { params, world } = ctx;
  const scope = params.json("scope", "scope JSON object") ?? { type: "default" };
  if (!isObject(scope) || typeof scope.type !== "string" || !SCOPE_TYPES.has(scope.type)) throw badRequest("can't parse BotCommandScope JSON object");
  if (scope.type.startsWith("chat")) {
    const chatId = scope.chat_id;
    world.resolveChat(typeof chatId === "string" && chatId.startsWith("@") ? chatId : Number(chatId));
    if (scope.type === "chat_member" && typeof scope.user_id !== "number") throw badRequest("invalid user_id specified");
  }
  const language = params.string("language_code") ?? "";
  if (!/^([a-z]{2})?$/.test(language)) throw badRequest("invalid language code specified");
  return world.commandsKey(ctx.bot.user.id, scope, language);
}

function checkCommands(raw: unknown): TgBotCommand[] {
  if (raw === undefined) throw badRequest('parameter "commands" is required');
  if (!Array.isArray(raw)) throw badRequest("can't parse commands JSON object");
  const list = raw as unknown[];
  if (list.length > 100) throw badRequest("BOT_COMMANDS_TOO_MUCH");
  return list.map((entry): TgBotCommand => {
    if (!isObject(entry) || typeof entry.command !== "string" || typeof entry.description !== "string") {
      throw badRequest("can't parse BotCommand JSON object");
    }
    if (!COMMAND_NAME.test(entry.command)) throw badRequest(`BOT_COMMAND_INVALID: ${JSON.stringify(entry.command)}`);
    if (entry.description.trim() === "" || entry.description.length > 256) {
      throw badRequest(`BOT_COMMAND_DESCRIPTION_INVALID: description of /${entry.command} must be 1-256 characters`);
    }
    return { command: entry.command, description: entry.description };
  });
}

const setMyCommands: MethodHandler = (ctx) => {
  const commands = checkCommands(ctx.params.json("commands", "commands JSON object"));
  ctx.world.commands.set(commandsKey(ctx), commands);
  return true;
};

const getMyCommands: MethodHandler = (ctx) => ctx.world.commands.get(commandsKey(ctx)) ?? [];

const deleteMyCommands: MethodHandler = (ctx) => {
  ctx.world.commands.delete(commandsKey(ctx));
  return true;
};

const answerCallbackQuery: MethodHandler = (ctx) => {
  const { params, world, bot } = ctx;
  const id = params.string("callback_query_id");
  const query = id === undefined ? undefined : world.callbacks.get(id);
  if (query === undefined || query.botId !== bot.user.id || query.answer !== undefined) {
    throw badRequest("query is too old and response timeout expired or query ID is invalid");
  }
  const text = params.string("text");
  if (text !== undefined && text.length > 200) throw badRequest("MESSAGE_TOO_LONG");
  const url = params.string("url");
  const cacheTime = params.int("cache_time");
  query.answer = {
    ...(text === undefined ? {} : { text }),
    show_alert: params.bool("show_alert"),
    ...(url === undefined ? {} : { url }),
    ...(cacheTime === undefined ? {} : { cache_time: cacheTime }),
    at: ctx.now,
  };
  world.touch();
  return true;
};

const getFile: MethodHandler = (ctx): TgFile => {
  const id = ctx.params.string("file_id");
  const file = id === undefined ? undefined : ctx.world.files.get(id);
  if (file === undefined) throw badRequest("invalid file_id");
  if (file.data.length > MAX_DOWNLOAD_BYTES) throw badRequest("file is too big");
  return { file_id: file.fileId, file_unique_id: file.uniqueId, file_size: file.data.length, file_path: file.path };
};

export const BOT_METHODS: Record<string, MethodHandler> = {
  getMe,
  getUpdates,
  deleteWebhook,
  getWebhookInfo,
  setMyCommands,
  getMyCommands,
  deleteMyCommands,
  answerCallbackQuery,
  getFile,
};
