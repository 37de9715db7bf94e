// The fake's world: bots, users, chats with members and forum topics, every
// message (the bots' and the ones a test injected), files, commands and
// callback queries. Methods and injections mutate it; tests read it.
import { badRequest, forbidden } from "./errors.js";
import { stableJson } from "./text.js";
import type {
  AdminRights,
  BotSpec,
  ChatSpec,
  JsonObject,
  MemberSpec,
  MemberStatus,
  TgBotCommand,
  TgBotUser,
  TgChat,
  TgChatMember,
  TgDocument,
  TgMessage,
  TgUser,
  UserSpec,
} from "./types.js";
import { guessMime, opaqueId } from "./util.js";
import type { BotAccount, CallbackState, ChatState, PostInit, StoredFile, StoredMessage, TopicState } from "./records.js";

export interface TopicInit {
  name: string;
  iconColor: number;
  iconCustomEmojiId?: string | undefined;
  creator: TgUser;
  /** The creating bot, when a bot created it. */
  botId?: number;
  date: number;
}

const ADMIN_RIGHTS: AdminRights = {
  can_manage_chat: true,
  can_delete_messages: true,
  can_manage_video_chats: true,
  can_restrict_members: true,
  can_promote_members: true,
  can_change_info: true,
  can_invite_users: true,
  can_post_stories: true,
  can_edit_stories: true,
  can_delete_stories: true,
  can_pin_messages: true,
  can_manage_topics: true,
};

export const DEFAULT_BOT: Required<BotSpec> = {
  token: "7000000001:AAFakeTelegramTokenForTests-00000001",
  id: 7000000001,
  username: "takopi_test_bot",
  first_name: "Takopi Test",
};

function botUser(spec: BotSpec, index: number): TgBotUser {
  const fromToken = /^(\d+):/.exec(spec.token)?.[1];
  const id = spec.id ?? (fromToken === undefined ? 7000000001 + index : Number(fromToken));
  return {
    id,
    is_bot: true,
    first_name: spec.first_name ?? (index === 0 ? DEFAULT_BOT.first_name : `Fake Bot ${index + 1}`),
    username: spec.username ?? (index === 0 ? DEFAULT_BOT.username : `fake_bot_${index + 1}_bot`),
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  };
}

function memberStatus(spec: MemberSpec): MemberStatus {
  return typeof spec === "string" ? spec : spec.status;
}

export class World {
  readonly bots: readonly BotAccount[];
  readonly users = new Map<number, TgUser>();
  readonly chats = new Map<number, ChatState>();
  readonly files = new Map<string, StoredFile>();
  readonly commands = new Map<string, TgBotCommand[]>();
  readonly callbacks = new Map<string, CallbackState>();
  private readonly byToken = new Map<string, BotAccount>();
  private readonly filesByPath = new Map<string, StoredFile>();
  private fileCount = 0;
  private readonly changed: () => void;

  /** `changed` runs after every message change, so waiters can re-check. */
  constructor(bots: readonly BotSpec[], changed: () => void) {
    this.changed = changed;
    const specs = bots.length === 0 ? [DEFAULT_BOT] : bots;
    this.bots = specs.map((spec, i) => ({ token: spec.token, user: botUser(spec, i) }));
    for (const bot of this.bots) {
      if (this.byToken.has(bot.token)) throw new Error("fake-telegram: two bots share a token");
      this.byToken.set(bot.token, bot);
      this.users.set(bot.user.id, bot.user);
    }
  }

  /** The first configured bot. */
  get defaultBot(): BotAccount {
    const bot = this.bots[0];
    if (bot === undefined) throw new Error("fake-telegram: no bots configured");
    return bot;
  }

  botByToken(token: string): BotAccount | undefined {
    return this.byToken.get(token);
  }

  botById(id: number): BotAccount | undefined {
    return this.bots.find((bot) => bot.user.id === id);
  }

  /** The bot for a token a test passes (the first bot when omitted); throws on an unknown one. */
  bot(token?: string): BotAccount {
    if (token === undefined) return this.defaultBot;
    const bot = this.byToken.get(token);
    if (bot === undefined) throw new Error("fake-telegram: no bot with that token is configured");
    return bot;
  }

  touch(): void {
    this.changed();
  }

  addUser(spec: UserSpec): TgUser {
    const user: TgUser = {
      id: spec.id,
      is_bot: spec.is_bot ?? false,
      first_name: spec.first_name ?? `User${spec.id}`,
      ...(spec.last_name === undefined ? {} : { last_name: spec.last_name }),
      ...(spec.username === undefined ? {} : { username: spec.username }),
      ...(spec.language_code === undefined ? {} : { language_code: spec.language_code }),
    };
    this.users.set(user.id, user);
    return user;
  }

  /** A known user, or a new plain one for a bare id. */
  userFor(ref: number | UserSpec): TgUser {
    if (typeof ref !== "number") return this.addUser(ref);
    return this.users.get(ref) ?? this.addUser({ id: ref });
  }

  addChat(spec: ChatSpec): ChatState {
    if (this.chats.has(spec.id)) throw new Error(`fake-telegram: chat ${spec.id} already exists`);
    if (spec.type === "private" && spec.id <= 0) throw new Error(`fake-telegram: private chat ids are positive (got ${spec.id})`);
    if (spec.type !== "private" && spec.id >= 0) throw new Error(`fake-telegram: ${spec.type} chat ids are negative (got ${spec.id})`);
    if (spec.is_forum === true && spec.type !== "supergroup") throw new Error("fake-telegram: only supergroups can be forums");
    let chat: TgChat;
    if (spec.type === "private") {
      const user = this.userFor(spec.id);
      chat = {
        id: spec.id,
        type: "private",
        first_name: user.first_name,
        ...(user.last_name === undefined ? {} : { last_name: user.last_name }),
        ...(user.username === undefined ? {} : { username: user.username }),
      };
    } else {
      chat = {
        id: spec.id,
        type: spec.type,
        title: spec.title ?? `Chat ${spec.id}`,
        ...(spec.username === undefined ? {} : { username: spec.username }),
        ...(spec.is_forum === true ? { is_forum: true as const } : {}),
      };
    }
    const members = new Map<number, MemberSpec>();
    for (const [id, member] of Object.entries(spec.members ?? {})) members.set(Number(id), member);
    const state: ChatState = { chat, members, topics: new Map(), messages: new Map(), nextMessageId: 1 };
    this.chats.set(spec.id, state);
    return state;
  }

  /** A chat a test names by id; a positive id with no chat becomes that user's private chat. */
  chatForTest(id: number): ChatState {
    const state = this.chats.get(id);
    if (state !== undefined) return state;
    if (id > 0) return this.addChat({ id, type: "private" });
    throw new Error(`fake-telegram: no chat ${id}; add it with addChat or the chats option`);
  }

  /** The chat a `chat_id` parameter names, or Telegram's 400. */
  resolveChat(ref: number | string | undefined): ChatState {
    if (ref === undefined) throw badRequest("chat_id is empty");
    if (typeof ref === "number") {
      const state = this.chats.get(ref);
      if (state === undefined) throw badRequest("chat not found");
      return state;
    }
    const username = ref.slice(1).toLowerCase();
    for (const state of this.chats.values()) {
      if (state.chat.type !== "private" && state.chat.username?.toLowerCase() === username) return state;
    }
    throw badRequest("chat not found");
  }

  setMember(chatId: number, userId: number, spec: MemberSpec): void {
    this.chatForTest(chatId).members.set(userId, spec);
  }

  /** The member spec that applies: listed, a bot's default, or `left`. */
  memberSpec(state: ChatState, userId: number): MemberSpec {
    const listed = state.members.get(userId);
    if (listed !== undefined) return listed;
    if (state.chat.type === "private") return userId === state.chat.id || this.botById(userId) !== undefined ? "member" : "left";
    return this.botById(userId) === undefined ? "left" : "administrator";
  }

  /** getChatMember's answer, shaped per status as Telegram shapes it. */
  memberOf(state: ChatState, user: TgUser): TgChatMember {
    const spec = this.memberSpec(state, user.id);
    const status = memberStatus(spec);
    switch (status) {
      case "creator":
        return { status, user, is_anonymous: false };
      case "administrator": {
        const rights = { ...ADMIN_RIGHTS, ...(typeof spec === "string" ? {} : spec) };
        return { ...rights, status, user, can_be_edited: false, is_anonymous: false };
      }
      case "restricted":
        return { status, user, is_member: true, can_send_messages: false, until_date: 0 };
      case "kicked":
        return { status, user, until_date: 0 };
      case "member":
      case "left":
        return { status, user };
    }
  }

  /** Creator, or administrator with can_manage_topics. */
  canManageTopics(state: ChatState, userId: number): boolean {
    const spec = this.memberSpec(state, userId);
    const status = memberStatus(spec);
    if (status === "creator") return true;
    if (status !== "administrator") return false;
    return typeof spec === "string" || spec.can_manage_topics !== false;
  }

  /** 403 when the bot left, was removed from, or was blocked in the chat. */
  checkBotCanPost(state: ChatState, bot: BotAccount): void {
    const status = memberStatus(this.memberSpec(state, bot.user.id));
    const kind = state.chat.type === "private" ? "private" : `${state.chat.type} chat`;
    if (status === "kicked") {
      throw forbidden(state.chat.type === "private" ? "bot was blocked by the user" : `bot was kicked from the ${kind}`);
    }
    if (status === "left") throw forbidden(`bot is not a member of the ${kind}`);
  }

  /** Stores a new message with the chat's next id. */
  post(state: ChatState, init: PostInit): StoredMessage {
    const message: StoredMessage = {
      chatId: state.chat.id,
      messageId: state.nextMessageId++,
      threadId: init.threadId,
      from: init.from,
      botId: init.botId,
      date: init.date,
      text: init.text,
      entities: init.entities,
      caption: init.caption,
      captionEntities: init.captionEntities,
      parseMode: init.parseMode,
      replyMarkup: init.replyMarkup,
      replyToMessageId: init.replyToMessageId,
      disableNotification: init.disableNotification ?? false,
      document: init.document,
      upload: init.upload,
      service: init.service,
      extra: init.extra ?? {},
      edits: [],
      editDate: undefined,
      deleted: false,
      deletedAt: undefined,
    };
    state.messages.set(message.messageId, message);
    this.touch();
    return message;
  }

  message(chatId: number, messageId: number): StoredMessage | undefined {
    return this.chats.get(chatId)?.messages.get(messageId);
  }

  /** Every stored message, chat by chat in creation order. */
  *allMessages(): Generator<StoredMessage> {
    for (const state of this.chats.values()) yield* state.messages.values();
  }

  /** A forum topic with its `forum_topic_created` service message, whose id is the thread id. */
  createTopic(state: ChatState, init: TopicInit): TopicState {
    const created = {
      name: init.name,
      icon_color: init.iconColor,
      ...(init.iconCustomEmojiId === undefined ? {} : { icon_custom_emoji_id: init.iconCustomEmojiId }),
    };
    const threadId = state.nextMessageId;
    this.post(state, {
      from: init.creator,
      botId: init.botId,
      date: init.date,
      threadId,
      service: "forum_topic_created",
      extra: { forum_topic_created: created },
    });
    const topic: TopicState = {
      threadId,
      name: init.name,
      iconColor: init.iconColor,
      iconCustomEmojiId: init.iconCustomEmojiId,
      creatorId: init.creator.id,
    };
    state.topics.set(threadId, topic);
    return topic;
  }

  registerFile(data: Buffer, options: { folder: string; filePath?: string; fileName?: string; mimeType?: string }): StoredFile {
    this.fileCount++;
    const ext = /\.[A-Za-z0-9]+$/.exec(options.fileName ?? "")?.[0] ?? "";
    const path = options.filePath ?? `${options.folder}/file_${this.fileCount}${ext}`;
    if (this.filesByPath.has(path)) throw new Error(`fake-telegram: a file is already registered at ${path}`);
    const file: StoredFile = {
      fileId: opaqueId("BQACAgIAAxkB"),
      uniqueId: opaqueId("AgAD", 6),
      path,
      data,
      fileName: options.fileName,
      mimeType: options.mimeType ?? (options.fileName === undefined ? undefined : guessMime(options.fileName, undefined)),
    };
    this.files.set(file.fileId, file);
    this.filesByPath.set(path, file);
    return file;
  }

  fileByPath(path: string): StoredFile | undefined {
    return this.filesByPath.get(path);
  }

  documentOf(file: StoredFile): TgDocument {
    return {
      file_id: file.fileId,
      file_unique_id: file.uniqueId,
      ...(file.fileName === undefined ? {} : { file_name: file.fileName }),
      ...(file.mimeType === undefined ? {} : { mime_type: file.mimeType }),
      file_size: file.data.length,
    };
  }

  commandsKey(botId: number, scope: unknown, languageCode: string): string {
    return `${botId}|${stableJson(scope ?? { type: "default" })}|${languageCode}`;
  }

  /** The wire form of a stored message; `nested` leaves out reply_to_message, as Telegram does one level down. */
  toWire(message: StoredMessage, nested = false): TgMessage {
    const state = this.chats.get(message.chatId);
    if (state === undefined) throw new Error(`fake-telegram: message in unknown chat ${message.chatId}`);
    const forum = state.chat.is_forum === true;
    const wire: TgMessage = {
      ...message.extra,
      message_id: message.messageId,
      from: message.from,
      chat: { ...state.chat },
      date: message.date,
    };
    if (message.threadId !== undefined) {
      wire.message_thread_id = message.threadId;
      if (forum) wire.is_topic_message = true;
    }
    if (!nested) {
      // In a forum topic, a message that replies to nothing replies to the
      // topic's creation message (the implicit topic reply).
      const implicit =
        forum && message.threadId !== undefined && message.messageId !== message.threadId && state.topics.has(message.threadId)
          ? message.threadId
          : undefined;
      const replyId = message.replyToMessageId ?? implicit;
      const target = replyId === undefined ? undefined : state.messages.get(replyId);
      if (target !== undefined && !target.deleted) wire.reply_to_message = this.toWire(target, true);
    }
    if (message.editDate !== undefined) wire.edit_date = message.editDate;
    if (message.text !== undefined) wire.text = message.text;
    if (message.entities !== undefined && message.entities.length > 0) wire.entities = message.entities;
    if (message.caption !== undefined) wire.caption = message.caption;
    if (message.captionEntities !== undefined && message.captionEntities.length > 0) wire.caption_entities = message.captionEntities;
    if (message.document !== undefined) wire.document = message.document;
    if (message.replyMarkup !== undefined) wire.reply_markup = message.replyMarkup;
    return wire;
  }

  /** getChat's ChatFullInfo. */
  chatFullInfo(state: ChatState): JsonObject {
    return { ...state.chat, accent_color_id: 0, max_reaction_count: 11 };
  }
}
