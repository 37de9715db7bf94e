// The records the fake keeps and a test reads: bots, messages with their edit
// history, topics, chats, files and callback queries.
import type { JsonObject, MemberSpec, TgBotUser, TgChat, TgDocument, TgMessageEntity, TgUser } from "./types.js";

export interface BotAccount {
  readonly token: string;
  readonly user: TgBotUser;
}

/** The bytes a bot uploaded with sendDocument. */
export interface UploadRecord {
  filename: string;
  /** As the client declared it on the part; grammY declares none. */
  contentType: string | undefined;
  data: Buffer;
}

/** A message as it was before an edit. */
export interface MessageVersion {
  text: string | undefined;
  entities: TgMessageEntity[] | undefined;
  caption: string | undefined;
  captionEntities: TgMessageEntity[] | undefined;
  parseMode: string | undefined;
  replyMarkup: JsonObject | undefined;
  /** Epoch ms when this version was replaced. */
  replacedAt: number;
}

export interface StoredMessage {
  readonly chatId: number;
  readonly messageId: number;
  readonly threadId: number | undefined;
  readonly from: TgUser;
  /** The bot that sent it; undefined for messages a test injected as a user. */
  readonly botId: number | undefined;
  /** Unix seconds, as in the wire message. */
  readonly date: number;
  text: string | undefined;
  entities: TgMessageEntity[] | undefined;
  caption: string | undefined;
  captionEntities: TgMessageEntity[] | undefined;
  /** Recorded only: the fake does not parse Markdown or HTML. */
  parseMode: string | undefined;
  replyMarkup: JsonObject | undefined;
  readonly replyToMessageId: number | undefined;
  readonly disableNotification: boolean;
  readonly document: TgDocument | undefined;
  readonly upload: UploadRecord | undefined;
  readonly service: "forum_topic_created" | "forum_topic_edited" | undefined;
  /** Further wire fields (forward_origin, photo, voice, service payloads, a test's extras). */
  readonly extra: JsonObject;
  /** Earlier versions, oldest first. */
  readonly edits: MessageVersion[];
  editDate: number | undefined;
  deleted: boolean;
  deletedAt: number | undefined;
}

export type PostInit = Partial<Omit<StoredMessage, "chatId" | "messageId" | "from" | "edits" | "deleted">> & {
  from: TgUser;
  date: number;
};

export interface TopicState {
  readonly threadId: number;
  name: string;
  readonly iconColor: number;
  iconCustomEmojiId: string | undefined;
  readonly creatorId: number;
}

export interface ChatState {
  readonly chat: TgChat;
  readonly members: Map<number, MemberSpec>;
  readonly topics: Map<number, TopicState>;
  readonly messages: Map<number, StoredMessage>;
  nextMessageId: number;
}

export interface StoredFile {
  readonly fileId: string;
  readonly uniqueId: string;
  readonly path: string;
  readonly data: Buffer;
  readonly fileName: string | undefined;
  readonly mimeType: string | undefined;
}

export interface CallbackState {
  readonly id: string;
  readonly botId: number;
  readonly chatId: number;
  readonly messageId: number;
  readonly from: TgUser;
  readonly data: string | undefined;
  answer: { text?: string; show_alert: boolean; url?: string; cache_time?: number; at: number } | undefined;
}
