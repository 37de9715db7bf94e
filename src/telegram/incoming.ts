/**
 * Raw Telegram updates → the neutral shapes the router works on: messages and
 * button presses. Everything the bridge relies on is validated with zod; unknown
 * fields pass untouched, because Telegram adds fields with every Bot API
 * release and an update we half understand must not take the bot down.
 *
 * What is kept, and what is deliberately not:
 * - `message` updates become an IncomingMessage, `callback_query` updates
 *   (with their message) an IncomingCallback.
 * - `edited_message` is ignored: the original already ran, and an edit must
 *   not start a second run. `channel_post` / `edited_channel_post` are
 *   ignored: a channel post has no sender to check against the allow-list.
 *   The poller does not even ask for them (allowed_updates is message and
 *   callback_query); this covers a bot whose allowed_updates were
 *   widened by another program.
 * - A message with no text or caption and nothing attached is ignored
 *   (service messages: joins, pins, topic creation).
 * - Forwards are recognised by `forward_origin` (Bot API 7.0+) as well as by
 *   the legacy `forward_*` fields (upstream reads only the legacy ones, so it
 *   misses forwards from current clients).
 */
import * as z from "zod";

/** A formatting entity of the text (or caption), UTF-16 offsets as Telegram sends them. */
const EntitySchema = z.looseObject({
  type: z.string(),
  offset: z.number().int(),
  length: z.number().int(),
});
export type Entity = z.infer<typeof EntitySchema>;

const UserSchema = z.looseObject({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  username: z.string().optional(),
});

const ChatSchema = z.looseObject({
  id: z.number().int(),
  type: z.string().optional(),
  is_forum: z.boolean().optional(),
});

const FileFields = {
  file_id: z.string(),
  file_unique_id: z.string().optional(),
  file_size: z.number().optional(),
};
const NamedFileSchema = z.looseObject({ ...FileFields, file_name: z.string().optional(), mime_type: z.string().optional() });
const PhotoSizeSchema = z.looseObject({ ...FileFields, width: z.number(), height: z.number() });
const VoiceSchema = z.looseObject({ ...FileFields, duration: z.number(), mime_type: z.string().optional() });

/**
 * Fields the router can live without are caught: a malformed one reads as
 * absent instead of costing the whole message. Attachments are detected by
 * key (see ATTACHMENT_KEYS), never by this validation, so a malformed file
 * still keeps its caption from being run as a prompt.
 */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

const ReplySchema = z.looseObject({
  message_id: z.number().int(),
  text: lenient(z.string()),
  from: lenient(UserSchema),
});

const MessageSchema = z.looseObject({
  message_id: z.number().int(),
  date: z.number().int(),
  chat: ChatSchema,
  from: lenient(UserSchema),
  message_thread_id: lenient(z.number().int()),
  is_topic_message: lenient(z.boolean()),
  text: lenient(z.string()),
  entities: lenient(z.array(EntitySchema)),
  caption: lenient(z.string()),
  caption_entities: lenient(z.array(EntitySchema)),
  reply_to_message: lenient(ReplySchema),
  media_group_id: lenient(z.string()),
  document: lenient(NamedFileSchema),
  video: lenient(NamedFileSchema),
  audio: lenient(NamedFileSchema),
  video_note: lenient(z.looseObject(FileFields)),
  photo: lenient(z.array(PhotoSizeSchema)),
  sticker: lenient(z.looseObject(FileFields)),
  voice: lenient(VoiceSchema),
});
type RawMessage = z.infer<typeof MessageSchema>;

const CallbackQuerySchema = z.looseObject({
  id: z.string(),
  from: UserSchema,
  data: lenient(z.string()),
  // An InaccessibleMessage (date 0) still names its chat and message id.
  message: z
    .looseObject({
      message_id: z.number().int(),
      chat: ChatSchema,
      message_thread_id: lenient(z.number().int()),
    })
    .optional(),
});

const UpdateSchema = z.looseObject({ update_id: z.number().int() });

/** Every forward marker Telegram has used; `forward_origin` is the only one since Bot API 7.0. */
export const FORWARD_KEYS = [
  "forward_origin",
  "forward_from",
  "forward_from_chat",
  "forward_from_message_id",
  "forward_sender_name",
  "forward_signature",
  "forward_date",
  "is_automatic_forward",
] as const;

/** Message fields that carry a file. A message with any of them is never a plain prompt, as upstream. */
export const ATTACHMENT_KEYS = ["document", "video", "audio", "video_note", "animation", "photo", "sticker", "voice"] as const;

export interface ReplyInfo {
  messageId: number;
  /** The replied-to message's text; its caption is not read, as upstream. */
  text: string | null;
  senderId: number | null;
  senderUsername: string | null;
  /** Sent by a bot (ours or another): a reply to the bot counts as addressing it in a mentions-only chat. */
  fromBot: boolean;
}

/** A file the message carries, as `/file put` and auto-put need it. */
export interface FileDescriptor {
  /** Which message field it came from. */
  source: "document" | "video" | "audio" | "video_note" | "photo" | "sticker";
  fileId: string;
  fileUniqueId: string | null;
  fileName: string | null;
  mimeType: string | null;
  fileSize: number | null;
}

export interface VoiceDescriptor {
  fileId: string;
  fileUniqueId: string | null;
  mimeType: string | null;
  fileSize: number | null;
  /** Seconds. */
  duration: number;
}

export interface IncomingMessage {
  kind: "message";
  updateId: number;
  chatId: number;
  /** `private`, `group`, `supergroup`, …; null when Telegram left it out. */
  chatType: string | null;
  /** A private chat: by type, or by a positive chat id when the type is missing. */
  isPrivate: boolean;
  isForum: boolean;
  messageId: number;
  /** The forum topic (or reply thread) the message is in. */
  threadId: number | null;
  isTopicMessage: boolean;
  /** Null for messages sent on behalf of a chat. */
  senderId: number | null;
  senderUsername: string | null;
  senderIsBot: boolean;
  /** Unix seconds at which Telegram received it. */
  date: number;
  /** The text, else the caption, else "". */
  text: string;
  /** The entities of whichever of text and caption `text` is. */
  entities: readonly Entity[];
  /** Null when not a reply, and for the implicit reply a forum client makes to its topic's root. */
  replyTo: ReplyInfo | null;
  /** Carries `forward_origin` or any legacy forward field. */
  isForward: boolean;
  mediaGroupId: string | null;
  /** Carries a file of any kind, voice included (see ATTACHMENT_KEYS), whether or not `document` could be read. */
  hasAttachment: boolean;
  /**
   * The file to save, by priority document > video > audio > video note >
   * the largest photo > sticker; a sticker only when the text is a `/file`
   * command. Audio and video notes are our addition: upstream
   * would run their caption as a prompt and drop the file.
   */
  document: FileDescriptor | null;
  voice: VoiceDescriptor | null;
  /**
   * Set by the poller: a later message of the same getUpdates batch, from the
   * same sender in the same chat and topic, is a forward. The forward
   * coalescer holds such a prompt for its forwards and runs every other
   * prompt at once (see forwards.ts). False for a message parsed alone.
   */
  forwardFollows: boolean;
  /** The message object as received, for plugins that need more. */
  raw: Readonly<Record<string, unknown>>;
}

export interface IncomingCallback {
  kind: "callback";
  updateId: number;
  /** For answerCallbackQuery. */
  id: string;
  chatId: number;
  chatType: string | null;
  isPrivate: boolean;
  /** The message carrying the pressed button. */
  messageId: number;
  threadId: number | null;
  senderId: number;
  senderUsername: string | null;
  data: string | null;
  /**
   * The message the button's message replies to, as Telegram nests it (one
   * level, without its own reply): the prompt a project question was asked
   * about, so a press still finds it after a restart (project-choice.ts).
   */
  repliedTo: IncomingMessage | null;
}

export type IncomingUpdate = IncomingMessage | IncomingCallback;

/** An update the bridge does not act on, with why (for debug logs). */
export interface IgnoredUpdate {
  kind: "ignored";
  /** Null when the update has no usable update_id at all. */
  updateId: number | null;
  reason: string;
}

export type ParsedUpdate = IncomingUpdate | IgnoredUpdate;

/** Reads one raw update from getUpdates. Never throws. */
/** The id `parseUpdate` would find, without parsing the rest (null when it would ignore the update as not one). */
export function updateIdOf(raw: unknown): number | null {
  return UpdateSchema.safeParse(raw).data?.update_id ?? null;
}

export function parseUpdate(raw: unknown): ParsedUpdate {
  const envelope = UpdateSchema.safeParse(raw);
  if (!envelope.success) return { kind: "ignored", updateId: null, reason: "not an update (no update_id)" };
  const update = envelope.data;
  const updateId = update.update_id;
  if (update.message !== undefined) return parseMessage(updateId, update.message);
  if (update.callback_query !== undefined) return parseCallback(updateId, update.callback_query);
  const kind = Object.keys(update).find((key) => key !== "update_id") ?? "empty";
  return { kind: "ignored", updateId, reason: `${kind} updates are not handled` };
}

function parseMessage(updateId: number, raw: unknown): IncomingMessage | IgnoredUpdate {
  const parsed = MessageSchema.safeParse(raw);
  if (!parsed.success) return { kind: "ignored", updateId, reason: `malformed message (${firstIssue(parsed.error)})` };
  const message = parsed.data;
  // The payload as sent (it passed the schema, so it is an object): presence checks
  // must see fields the lenient schema read as absent.
  const fields = raw as Record<string, unknown>;
  const fromText = message.text !== undefined;
  const text = message.text ?? message.caption ?? "";
  const voice = voiceOf(message);
  const document = documentOf(message, text);
  // A sticker (or other media takopi does not save) still reaches the router, which says what takopi can do with it.
  const hasAttachment = ATTACHMENT_KEYS.some((key) => isPresent(fields[key]));
  if (text === "" && voice === null && document === null && !hasAttachment) {
    return { kind: "ignored", updateId, reason: "no text, caption, voice or file" };
  }
  const threadId = message.message_thread_id ?? null;
  const chatType = message.chat.type ?? null;
  return {
    kind: "message",
    updateId,
    chatId: message.chat.id,
    chatType,
    isPrivate: isPrivateChat(chatType, message.chat.id),
    isForum: message.chat.is_forum === true,
    messageId: message.message_id,
    threadId,
    isTopicMessage: message.is_topic_message === true,
    senderId: message.from?.id ?? null,
    senderUsername: message.from?.username ?? null,
    senderIsBot: message.from?.is_bot === true,
    date: message.date,
    text,
    entities: (fromText ? message.entities : message.caption_entities) ?? [],
    replyTo: replyOf(message, threadId),
    isForward: FORWARD_KEYS.some((key) => isPresent(fields[key])),
    mediaGroupId: message.media_group_id ?? null,
    hasAttachment,
    document,
    voice,
    forwardFollows: false,
    raw: fields,
  };
}

function parseCallback(updateId: number, raw: unknown): IncomingCallback | IgnoredUpdate {
  const parsed = CallbackQuerySchema.safeParse(raw);
  if (!parsed.success) return { kind: "ignored", updateId, reason: `malformed callback query (${firstIssue(parsed.error)})` };
  const query = parsed.data;
  // Buttons on inline-mode messages come without a message: none of ours are.
  if (query.message === undefined) return { kind: "ignored", updateId, reason: "callback query without a message" };
  const chatType = query.message.chat.type ?? null;
  const nested = (raw as { message?: { reply_to_message?: unknown } }).message?.reply_to_message;
  const replied = nested === undefined ? null : parseMessage(updateId, nested);
  return {
    kind: "callback",
    updateId,
    id: query.id,
    chatId: query.message.chat.id,
    chatType,
    isPrivate: isPrivateChat(chatType, query.message.chat.id),
    messageId: query.message.message_id,
    threadId: query.message.message_thread_id ?? null,
    senderId: query.from.id,
    senderUsername: query.from.username ?? null,
    data: query.data ?? null,
    repliedTo: replied?.kind === "message" ? replied : null,
  };
}

function isPrivateChat(type: string | null, chatId: number): boolean {
  return type === null ? chatId > 0 : type === "private";
}

/** Telegram omits absent fields, but a null (or false `is_automatic_forward`, or a photo of no sizes) means absent too. */
function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && !(Array.isArray(value) && value.length === 0);
}

function replyOf(message: RawMessage, threadId: number | null): ReplyInfo | null {
  const reply = message.reply_to_message;
  if (reply === undefined) return null;
  // A forum client "replies" to the topic's root message on every message in the topic.
  if (threadId !== null && reply.message_id === threadId) return null;
  return {
    messageId: reply.message_id,
    text: reply.text ?? null,
    senderId: reply.from?.id ?? null,
    senderUsername: reply.from?.username ?? null,
    fromBot: reply.from?.is_bot === true,
  };
}

function voiceOf(message: RawMessage): VoiceDescriptor | null {
  const voice = message.voice;
  if (voice === undefined) return null;
  return {
    fileId: voice.file_id,
    fileUniqueId: voice.file_unique_id ?? null,
    mimeType: voice.mime_type ?? null,
    fileSize: voice.file_size ?? null,
    duration: voice.duration,
  };
}

type FileFieldsOf = { file_id: string; file_unique_id?: string | undefined; file_size?: number | undefined };

function descriptor(
  source: FileDescriptor["source"],
  file: FileFieldsOf & { file_name?: string | undefined; mime_type?: string | undefined },
): FileDescriptor {
  return {
    source,
    fileId: file.file_id,
    fileUniqueId: file.file_unique_id ?? null,
    fileName: file.file_name ?? null,
    mimeType: file.mime_type ?? null,
    fileSize: file.file_size ?? null,
  };
}

function documentOf(message: RawMessage, text: string): FileDescriptor | null {
  if (message.document) return descriptor("document", message.document);
  if (message.video) return descriptor("video", message.video);
  if (message.audio) return descriptor("audio", message.audio);
  if (message.video_note) return descriptor("video_note", message.video_note);
  const photo = largestPhoto(message.photo ?? []);
  if (photo) return descriptor("photo", photo);
  if (message.sticker && /^\/file(?:@\S+)?(?:\s|$)/.test(text.trimStart())) return descriptor("sticker", message.sticker);
  return null;
}

/** Telegram sends every size of one photo; the largest by bytes, else by pixels. */
function largestPhoto<T extends { file_size?: number | undefined; width: number; height: number }>(sizes: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const size of sizes) {
    if (best === undefined || photoWeight(size) > photoWeight(best)) best = size;
  }
  return best;
}

function photoWeight(size: { file_size?: number | undefined; width: number; height: number }): number {
  return size.file_size ?? size.width * size.height;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  return issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message;
}
