// What users do, as a test scripts it: messages (text, captions, replies,
// topics, forwards, documents, photos, voice) and button presses, each stored
// in the world and queued as an update for the receiving bot(s).
import { checkEntities, detectEntities } from "./text.js";
import type {
  FileContent,
  JsonObject,
  TgCallbackQuery,
  TgMessage,
  TgMessageEntity,
  TgPhotoSize,
  TgUpdate,
  TgUser,
  UserSpec,
} from "./types.js";
import type { UpdateQueue } from "./updates.js";
import { toBuffer } from "./util.js";
import type { BotAccount, StoredMessage } from "./records.js";
import type { World } from "./world.js";

export interface FileSpec {
  content: FileContent;
  file_name?: string;
  mime_type?: string;
  /** Where getFile says the file lives (default `<folder>/file_<n><ext>`). */
  file_path?: string;
}

export interface PhotoSpec {
  content: FileContent;
  width: number;
  height: number;
}

export interface VoiceSpec {
  content: FileContent;
  duration?: number;
  mime_type?: string;
}

export interface InjectMessageSpec {
  chat: number;
  /** A user id (a plain user is created for an unknown one) or a full spec. */
  from: number | UserSpec;
  text?: string;
  caption?: string;
  /** Default: the bot commands, mentions and URLs Telegram would detect in the text. */
  entities?: TgMessageEntity[];
  caption_entities?: TgMessageEntity[];
  reply_to_message_id?: number;
  message_thread_id?: number;
  /** Unix seconds (default now). */
  date?: number;
  forward_origin?: JsonObject;
  document?: FileSpec;
  /** One photo, or the sizes of one photo as Telegram sends them. */
  photo?: PhotoSpec | PhotoSpec[];
  voice?: VoiceSpec;
  media_group_id?: string;
  /** More wire fields, merged into the message as given. */
  extra?: JsonObject;
  /** Token(s) of the bot(s) that receive the update (default: the first bot). */
  bot?: string | readonly string[];
}

export interface InjectedMessage {
  /** The message as the bot receives it. */
  message: TgMessage;
  stored: StoredMessage;
  /** The update id of the first receiving bot. */
  updateId: number;
  updateIds: number[];
}

export interface InjectCallbackSpec {
  chat: number;
  /** A message a bot sent, carrying the pressed button. */
  message_id: number;
  from: number | UserSpec;
  data?: string;
  /** Token of the receiving bot (default: the bot that sent the message). */
  bot?: string;
}

export interface InjectedCallback {
  id: string;
  query: TgCallbackQuery;
  updateId: number;
}

export interface InjectTarget {
  world: World;
  queueFor(bot: BotAccount): UpdateQueue;
  nextUpdateId(): number;
}

let callbackCount = 0;

function fail(what: string): never {
  throw new Error(`fake-telegram: ${what}`);
}

function entitiesFor(text: string | undefined, given: TgMessageEntity[] | undefined): TgMessageEntity[] | undefined {
  if (text === undefined) return undefined;
  if (given !== undefined) return checkEntities(text, given);
  const found = detectEntities(text);
  return found.length > 0 ? found : undefined;
}

function mediaFields(target: InjectTarget, spec: InjectMessageSpec): JsonObject {
  const { world } = target;
  const extra: JsonObject = {};
  if (spec.photo !== undefined) {
    const sizes = Array.isArray(spec.photo) ? spec.photo : [spec.photo];
    extra.photo = sizes.map((size): TgPhotoSize => {
      const file = world.registerFile(toBuffer(size.content), { folder: "photos", fileName: "photo.jpg", mimeType: "image/jpeg" });
      return { file_id: file.fileId, file_unique_id: file.uniqueId, width: size.width, height: size.height, file_size: file.data.length };
    });
  }
  if (spec.voice !== undefined) {
    const mimeType = spec.voice.mime_type ?? "audio/ogg";
    const file = world.registerFile(toBuffer(spec.voice.content), { folder: "voice", fileName: "voice.oga", mimeType });
    extra.voice = {
      file_id: file.fileId,
      file_unique_id: file.uniqueId,
      duration: spec.voice.duration ?? 1,
      mime_type: mimeType,
      file_size: file.data.length,
    };
  }
  if (spec.forward_origin !== undefined) extra.forward_origin = spec.forward_origin;
  if (spec.media_group_id !== undefined) extra.media_group_id = spec.media_group_id;
  return { ...extra, ...spec.extra };
}

function recipients(world: World, bot: string | readonly string[] | undefined): BotAccount[] {
  if (bot === undefined) return [world.defaultBot];
  return (typeof bot === "string" ? [bot] : [...bot]).map((token) => world.bot(token));
}

function deliver(target: InjectTarget, bots: readonly BotAccount[], payload: Omit<TgUpdate, "update_id">): number[] {
  return bots.map((bot) => {
    const update: TgUpdate = { update_id: target.nextUpdateId(), ...payload };
    target.queueFor(bot).push(update);
    return update.update_id;
  });
}

export function injectMessage(target: InjectTarget, spec: InjectMessageSpec): InjectedMessage {
  const { world } = target;
  const state = world.chatForTest(spec.chat);
  const from: TgUser = world.userFor(spec.from);
  if (state.chat.type === "private" && from.id !== state.chat.id) {
    fail(`injectMessage: user ${from.id} cannot write in the private chat of user ${state.chat.id}`);
  }
  const forum = state.chat.is_forum === true;
  if (forum && spec.message_thread_id !== undefined && !state.topics.has(spec.message_thread_id)) {
    fail(`injectMessage: chat ${state.chat.id} has no topic ${spec.message_thread_id}`);
  }
  let replyTo: StoredMessage | undefined;
  if (spec.reply_to_message_id !== undefined) {
    replyTo = state.messages.get(spec.reply_to_message_id);
    if (replyTo === undefined) fail(`injectMessage: chat ${state.chat.id} has no message ${spec.reply_to_message_id} to reply to`);
  }
  const bots = recipients(world, spec.bot);
  const document =
    spec.document === undefined
      ? undefined
      : world.documentOf(
          world.registerFile(toBuffer(spec.document.content), {
            folder: "documents",
            ...(spec.document.file_path === undefined ? {} : { filePath: spec.document.file_path }),
            ...(spec.document.file_name === undefined ? {} : { fileName: spec.document.file_name }),
            ...(spec.document.mime_type === undefined ? {} : { mimeType: spec.document.mime_type }),
          }),
        );
  const stored = world.post(state, {
    from,
    botId: undefined,
    date: spec.date ?? Math.floor(Date.now() / 1000),
    threadId: spec.message_thread_id ?? (forum ? replyTo?.threadId : undefined),
    replyToMessageId: replyTo?.messageId,
    text: spec.text,
    entities: entitiesFor(spec.text, spec.entities),
    caption: spec.caption,
    captionEntities: entitiesFor(spec.caption, spec.caption_entities),
    document,
    extra: mediaFields(target, spec),
  });
  const message = world.toWire(stored);
  const updateIds = deliver(target, bots, { message });
  return { message, stored, updateId: updateIds[0] ?? fail("injectMessage: no receiving bot"), updateIds };
}

export function injectCallbackQuery(target: InjectTarget, spec: InjectCallbackSpec): InjectedCallback {
  const { world } = target;
  const state = world.chatForTest(spec.chat);
  const message = state.messages.get(spec.message_id);
  if (message?.botId === undefined) fail(`injectCallbackQuery: chat ${spec.chat} has no bot message ${spec.message_id}`);
  const bot = spec.bot === undefined ? world.botById(message.botId) : world.bot(spec.bot);
  if (bot === undefined) fail(`injectCallbackQuery: no bot ${message.botId}`);
  const from = world.userFor(spec.from);
  callbackCount++;
  const id = `${Date.now()}${String(callbackCount).padStart(6, "0")}`;
  const query: TgCallbackQuery = {
    id,
    from,
    message: world.toWire(message),
    chat_instance: String(Math.abs(state.chat.id) * 31 + 7),
    ...(spec.data === undefined ? {} : { data: spec.data }),
  };
  world.callbacks.set(id, {
    id,
    botId: bot.user.id,
    chatId: state.chat.id,
    messageId: message.messageId,
    from,
    data: spec.data,
    answer: undefined,
  });
  const [updateId] = deliver(target, [bot], { callback_query: query });
  return { id, query, updateId: updateId ?? fail("injectCallbackQuery: no update") };
}

/** Any other update (edited_message, my_chat_member, …) exactly as given; returns its update_id. */
export function injectUpdate(target: InjectTarget, payload: JsonObject, token?: string): number {
  const [updateId] = deliver(target, [target.world.bot(token)], payload);
  return updateId ?? fail("injectUpdate: no update");
}
