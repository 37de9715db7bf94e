// Public entry of the fake Telegram Bot API used by end-to-end tests: one
// HTTP port on 127.0.0.1 serving `{root}/bot<token>/<method>` and
// `{root}/file/bot<token>/<file_path>` for one or more bots, with state a test
// drives (chats, users, injected messages and button presses) and inspects
// (call log, stored messages, acknowledged updates), fault injection and
// optional per-chat rate limits.
export { startFakeTelegram } from "./fake-telegram.js";
export type { FakeTelegram, FakeTelegramOptions, MessageFilter, Outage, RegisteredFile } from "./fake-telegram.js";
export type { CallFault, CallRecord, CallStatus, FileSummary } from "./calls.js";
export type { CallMatcher, Fault, FaultHandle } from "./faults.js";
export type {
  FileSpec,
  InjectCallbackSpec,
  InjectedCallback,
  InjectedMessage,
  InjectMessageSpec,
  PhotoSpec,
  VoiceSpec,
} from "./inject.js";
export { BUDGET_METHODS, type EarlyRetry, type RateLimitHit, type RateLimitOptions } from "./limits.js";
export { DOWNLOAD_METHOD, type ServerError } from "./server.js";
export type { ConflictPolicy } from "./updates.js";
export { DEFAULT_BOT } from "./world.js";
export type { BotAccount, CallbackState, ChatState, MessageVersion, StoredFile, StoredMessage, TopicState, UploadRecord } from "./records.js";
export { GET_UPDATES_CONFLICT, NOT_MODIFIED } from "./errors.js";
export { METHOD_NAMES } from "./methods/index.js";
export { MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH } from "./text.js";
export { TOPIC_ICON_COLORS } from "./methods/chats.js";
export type * from "./types.js";
