// Telegram Bot API shapes as the fake sends and stores them, and the specs a
// test uses to set up its world. Only the fields the fake fills in are typed;
// anything a test adds through `extra` rides along untyped.

export type JsonObject = Record<string, unknown>;

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

/** What `getMe` answers. */
export interface TgBotUser extends TgUser {
  is_bot: true;
  username: string;
  can_join_groups: boolean;
  can_read_all_group_messages: boolean;
  supports_inline_queries: boolean;
  can_connect_to_business: boolean;
  has_main_web_app: boolean;
}

export type ChatType = "private" | "group" | "supergroup" | "channel";

/** The short chat object embedded in messages. */
export interface TgChat {
  id: number;
  type: ChatType;
  title?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
  is_forum?: true;
}

export interface TgMessageEntity {
  type: string;
  /** In UTF-16 code units, like JavaScript string indices. */
  offset: number;
  length: number;
  url?: string;
  user?: TgUser;
  language?: string;
  custom_emoji_id?: string;
}

export interface TgDocument {
  file_id: string;
  file_unique_id: string;
  file_name?: string;
  mime_type?: string;
  file_size?: number;
}

export interface TgPhotoSize {
  file_id: string;
  file_unique_id: string;
  width: number;
  height: number;
  file_size?: number;
}

export interface TgVoice {
  file_id: string;
  file_unique_id: string;
  duration: number;
  mime_type?: string;
  file_size?: number;
}

export interface TgMessage {
  message_id: number;
  date: number;
  chat: TgChat;
  from?: TgUser;
  message_thread_id?: number;
  is_topic_message?: true;
  /** One level deep, as Telegram does: a nested reply never carries its own reply. */
  reply_to_message?: TgMessage;
  edit_date?: number;
  text?: string;
  entities?: TgMessageEntity[];
  caption?: string;
  caption_entities?: TgMessageEntity[];
  document?: TgDocument;
  photo?: TgPhotoSize[];
  voice?: TgVoice;
  media_group_id?: string;
  forward_origin?: JsonObject;
  reply_markup?: JsonObject;
  forum_topic_created?: { name: string; icon_color: number; icon_custom_emoji_id?: string };
  forum_topic_edited?: { name?: string; icon_custom_emoji_id?: string };
}

export interface TgCallbackQuery {
  id: string;
  from: TgUser;
  message?: TgMessage;
  chat_instance: string;
  data?: string;
}

export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  callback_query?: TgCallbackQuery;
  [kind: string]: unknown;
}

export interface TgFile {
  file_id: string;
  file_unique_id: string;
  file_size?: number;
  file_path?: string;
}

export interface TgBotCommand {
  command: string;
  description: string;
}

export interface TgForumTopic {
  message_thread_id: number;
  name: string;
  icon_color: number;
  icon_custom_emoji_id?: string;
}

export type MemberStatus = "creator" | "administrator" | "member" | "restricted" | "left" | "kicked";

/** Administrator rights; a spec that leaves one out gets `true`. */
export interface AdminRights {
  can_manage_chat: boolean;
  can_delete_messages: boolean;
  can_manage_video_chats: boolean;
  can_restrict_members: boolean;
  can_promote_members: boolean;
  can_change_info: boolean;
  can_invite_users: boolean;
  can_post_stories: boolean;
  can_edit_stories: boolean;
  can_delete_stories: boolean;
  can_pin_messages: boolean;
  can_manage_topics: boolean;
}

export type TgChatMember = { status: MemberStatus; user: TgUser } & JsonObject;

// ---- specs a test writes ----

export interface BotSpec {
  /** `<digits>:<secret>`; the digits become the bot's user id unless `id` says otherwise. */
  token: string;
  id?: number;
  username?: string;
  first_name?: string;
}

export interface UserSpec {
  id: number;
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  is_bot?: boolean;
}

/** A bare status, or a status with administrator rights (missing rights are `true`). */
export type MemberSpec = MemberStatus | ({ status: MemberStatus } & Partial<AdminRights>);

export interface ChatSpec {
  /** Positive for private chats (the user's id), negative for groups (`-100…` for supergroups). */
  id: number;
  type: ChatType;
  title?: string;
  username?: string;
  is_forum?: boolean;
  /**
   * Statuses for getChatMember, by user id. Configured bots that are not
   * listed are administrators with every right in groups; anyone else is `left`.
   */
  members?: Record<number, MemberSpec>;
}

/** File contents as a test gives them. */
export type FileContent = Buffer | Uint8Array | string;
