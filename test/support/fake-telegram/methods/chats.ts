// Chats, members and forum topics.
import { badRequest } from "../errors.js";
import type { TgForumTopic } from "../types.js";
import { nowSeconds } from "../util.js";
import type { ChatState } from "../records.js";
import type { MethodContext, MethodHandler } from "./context.js";

/** The six colours Telegram allows for a topic icon; the first is its default. */
export const TOPIC_ICON_COLORS: readonly number[] = [7322096, 16766590, 13338331, 9367192, 16749490, 16478047];

function forum(ctx: MethodContext): ChatState {
  const state = ctx.world.resolveChat(ctx.params.chatRef());
  if (state.chat.type !== "supergroup" || state.chat.is_forum !== true) throw badRequest("the chat is not a forum");
  return state;
}

function topicName(name: string | undefined): string {
  if (name === undefined || name.trim() === "" || name.length > 128) throw badRequest("topic name must be 1-128 characters long");
  return name;
}

const getChat: MethodHandler = (ctx) => ctx.world.chatFullInfo(ctx.world.resolveChat(ctx.params.chatRef()));

const getChatMember: MethodHandler = (ctx) => {
  const state = ctx.world.resolveChat(ctx.params.chatRef());
  const userId = ctx.params.requiredInt("user_id", "invalid user_id specified");
  const user = ctx.world.users.get(userId);
  if (user === undefined) throw badRequest("user not found");
  return ctx.world.memberOf(state, user);
};

const createForumTopic: MethodHandler = (ctx): TgForumTopic => {
  const { params, world, bot } = ctx;
  const state = forum(ctx);
  if (!world.canManageTopics(state, bot.user.id)) throw badRequest("not enough rights to create a topic");
  const name = topicName(params.string("name"));
  const iconColor = params.int("icon_color") ?? TOPIC_ICON_COLORS[0] ?? 7322096;
  if (!TOPIC_ICON_COLORS.includes(iconColor)) throw badRequest("TOPIC_ICON_COLOR_INVALID");
  const emoji = params.string("icon_custom_emoji_id");
  const iconCustomEmojiId = emoji === undefined || emoji === "" ? undefined : emoji;
  const topic = world.createTopic(state, { name, iconColor, iconCustomEmojiId, creator: bot.user, botId: bot.user.id, date: nowSeconds() });
  return {
    message_thread_id: topic.threadId,
    name: topic.name,
    icon_color: topic.iconColor,
    ...(topic.iconCustomEmojiId === undefined ? {} : { icon_custom_emoji_id: topic.iconCustomEmojiId }),
  };
};

const editForumTopic: MethodHandler = (ctx) => {
  const { params, world, bot } = ctx;
  const state = forum(ctx);
  const threadId = params.requiredInt("message_thread_id", "message thread not found");
  const topic = state.topics.get(threadId);
  if (topic === undefined) throw badRequest("message thread not found");
  if (!world.canManageTopics(state, bot.user.id) && topic.creatorId !== bot.user.id) throw badRequest("not enough rights to edit the topic");
  const rawName = params.string("name");
  const name = rawName === undefined || rawName === "" ? undefined : topicName(rawName);
  const emoji = params.has("icon_custom_emoji_id") ? (params.string("icon_custom_emoji_id") ?? "") : undefined;
  const nameChanged = name !== undefined && name !== topic.name;
  const emojiChanged = emoji !== undefined && emoji !== (topic.iconCustomEmojiId ?? "");
  if (!nameChanged && !emojiChanged) throw badRequest("TOPIC_NOT_MODIFIED");
  if (nameChanged) topic.name = name;
  if (emojiChanged) topic.iconCustomEmojiId = emoji === "" ? undefined : emoji;
  world.post(state, {
    from: bot.user,
    botId: bot.user.id,
    date: nowSeconds(),
    threadId,
    service: "forum_topic_edited",
    extra: { forum_topic_edited: { ...(nameChanged ? { name } : {}), ...(emojiChanged ? { icon_custom_emoji_id: emoji } : {}) } },
  });
  return true;
};

export const CHAT_METHODS: Record<string, MethodHandler> = {
  getChat,
  getChatMember,
  createForumTopic,
  editForumTopic,
};
