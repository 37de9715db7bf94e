/**
 * What the file-transfer tests do as the person on the phone: send a file
 * (with a caption, in an album, in a topic), and read back the reply or the
 * document the bot sent.
 */
import type { BridgeHarness } from "./bridge-harness.js";
import type { FileContent, InjectedMessage, JsonObject, StoredMessage } from "./fake-telegram/index.js";
import { USER } from "./fake-telegram/standard-world.js";
import { waitFor } from "./scripts.js";

export const MiB = 1024 * 1024;
/** Every byte value, twice, in an order no text codec keeps. */
export const ALL_BYTES = Buffer.from([...Array.from({ length: 256 }, (_, i) => i), ...Array.from({ length: 256 }, (_, i) => 255 - i)]);

export interface SendFileOptions {
  name?: string;
  caption?: string;
  chat?: number;
  from?: number;
  thread?: number;
  mediaGroup?: string;
  extra?: JsonObject;
}

/** The person sends `content` as a document. */
export function sendFile(harness: BridgeHarness, content: FileContent, options: SendFileOptions = {}): InjectedMessage {
  return harness.telegram.injectMessage({
    chat: options.chat ?? USER,
    from: options.from ?? senderIn(options.chat),
    document: { content, file_name: options.name ?? "file.bin" },
    ...(options.caption === undefined ? {} : { caption: options.caption }),
    ...(options.thread === undefined ? {} : { message_thread_id: options.thread }),
    ...(options.mediaGroup === undefined ? {} : { media_group_id: options.mediaGroup }),
    ...(options.extra === undefined ? {} : { extra: options.extra }),
  });
}

/** The person writes `text` (in a topic when `thread` is given). */
export function sendText(harness: BridgeHarness, text: string, options: { chat?: number; from?: number; thread?: number } = {}): InjectedMessage {
  return harness.telegram.injectMessage({
    chat: options.chat ?? USER,
    from: options.from ?? senderIn(options.chat),
    text,
    ...(options.thread === undefined ? {} : { message_thread_id: options.thread }),
  });
}

/** The text the bot answered `sent` with. */
export async function replyText(harness: BridgeHarness, sent: InjectedMessage, chat = USER): Promise<string> {
  return (await harness.replyTo(sent.stored.messageId, (text) => text !== "", { chat })).text ?? "";
}

/** The document the bot answered `sent` with. */
export async function replyDocument(harness: BridgeHarness, sent: InjectedMessage, chat = USER): Promise<StoredMessage & { upload: NonNullable<StoredMessage["upload"]> }> {
  let found: StoredMessage | undefined;
  await waitFor(
    () => {
      found = harness.botMessages(chat).find((message) => message.replyToMessageId === sent.stored.messageId && message.upload !== undefined);
      return found !== undefined;
    },
    20_000,
    () => `a document answering ${sent.stored.messageId}\n${harness.dump(chat)}\n${harness.stderr.slice(-3000)}`,
  );
  return found as StoredMessage & { upload: NonNullable<StoredMessage["upload"]> };
}

/** Every bot message that replies to `sent`. */
export function repliesTo(harness: BridgeHarness, sent: InjectedMessage, chat = USER): StoredMessage[] {
  return harness.botMessages(chat).filter((message) => message.replyToMessageId === sent.stored.messageId);
}

/** The sender by default: the person whose private chat it is, else USER. */
function senderIn(chat: number | undefined): number {
  return chat !== undefined && chat > 0 ? chat : USER;
}
