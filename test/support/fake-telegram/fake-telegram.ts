// startFakeTelegram: a fake Bot API on 127.0.0.1 that real `takopi` processes
// (grammY with `client.apiRoot` pointing here) talk to, plus the handle a test
// uses to set up chats, play the user, inject faults and inspect what the
// bots did.
import type { AddressInfo } from "node:net";
import { CallLog, describeCall, type CallRecord } from "./calls.js";
import { FaultPlan, type CallMatcher, type Fault, type FaultHandle } from "./faults.js";
import {
  injectCallbackQuery,
  injectMessage,
  injectUpdate,
  type FileSpec,
  type InjectCallbackSpec,
  type InjectedCallback,
  type InjectedMessage,
  type InjectMessageSpec,
  type InjectTarget,
} from "./inject.js";
import { ConnectionDropped, injectedError } from "./errors.js";
import { FloodControl, type EarlyRetry, type RateLimitHit, type RateLimitOptions } from "./limits.js";
import { createBotApiServer, type ServerError } from "./server.js";
import type {
  BotSpec,
  ChatSpec,
  JsonObject,
  MemberSpec,
  TgBotCommand,
  TgBotUser,
  TgChat,
  TgFile,
  TgUpdate,
  TgUser,
  UserSpec,
} from "./types.js";
import { UpdateQueue, type ConflictPolicy } from "./updates.js";
import { nowSeconds, preview, toBuffer } from "./util.js";
import { Waiters } from "./wait.js";
import type { BotAccount, CallbackState, ChatState, StoredFile, StoredMessage } from "./records.js";
import { World } from "./world.js";

export interface FakeTelegramOptions {
  /** Default: one bot, DEFAULT_BOT. */
  bots?: BotSpec[];
  users?: UserSpec[];
  chats?: ChatSpec[];
  /** Enforce per-chat budgets (429 with retry_after when exceeded); off when absent. */
  rateLimits?: RateLimitOptions;
  /** Who gets the 409 when two getUpdates overlap (default `terminate-old`, as Telegram does). */
  getUpdatesConflict?: ConflictPolicy;
  /** How early a retry may come before its retry_after runs out without being recorded (default 25 ms). */
  retryAfterToleranceMs?: number;
  /** Largest request body (default 50 MiB, Telegram's upload limit); larger is a 413. */
  maxUploadBytes?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
}

export interface MessageFilter {
  /** Only this topic / reply thread. */
  threadId?: number;
  /** Default `bot`: what the bots sent. */
  sender?: "bot" | "user" | "any";
  /** Only what this bot sent. */
  bot?: string;
  /** Default true: deleted messages stay in the list with `deleted: true`. */
  includeDeleted?: boolean;
  /** Default false: forum-topic service messages are left out. */
  includeService?: boolean;
}

export type RegisteredFile = Required<TgFile>;

export interface Outage {
  /** Calls failed by this outage so far (a cut long poll included). */
  readonly failed: number;
  /** Telegram is back: calls are served again. */
  end(): void;
}

export interface FakeTelegram {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** What grammY's `client.apiRoot` takes (same as `url`). */
  readonly apiRoot: string;
  /** The first bot's token. */
  readonly token: string;
  /** The first bot's getMe answer (grammY's `botInfo`). */
  readonly botInfo: TgBotUser;
  /** The getMe answer of the bot with this token (default: the first). */
  bot(token?: string): TgBotUser;
  /** `${url}/bot<token>/<method>`. */
  methodUrl(method: string, token?: string): string;
  /** `${url}/file/bot<token>/<filePath>`. */
  fileUrl(filePath: string, token?: string): string;

  addUser(spec: UserSpec): TgUser;
  addChat(spec: ChatSpec): TgChat;
  setMember(chatId: number, userId: number, member: MemberSpec): void;
  /** A topic created by a user (default: the chat's creator, else Telegram's service account); returns its thread id. */
  addForumTopic(chatId: number, name: string, options?: { from?: number; iconColor?: number }): number;
  /** Someone deleted the topic in their client: it and its messages are gone, and calls naming it fail. */
  deleteForumTopic(chatId: number, threadId: number): void;
  /** The topic's current name, or undefined when there is no such topic. */
  topicName(chatId: number, threadId: number): string | undefined;
  /** Makes a file downloadable (getFile + /file/…), as if a user had sent it. */
  registerFile(spec: FileSpec): RegisteredFile;
  file(fileId: string): StoredFile | undefined;
  chat(chatId: number): ChatState | undefined;

  injectMessage(spec: InjectMessageSpec): InjectedMessage;
  injectCallbackQuery(spec: InjectCallbackSpec): InjectedCallback;
  /** Any other update, as given (an update_id is added); returns its update_id. */
  injectUpdate(payload: JsonObject, token?: string): number;
  /** Updates the bot has not confirmed yet, oldest first. */
  pendingUpdates(token?: string): readonly TgUpdate[];
  /** The highest getUpdates offset the bot sent: every update below it is acknowledged. */
  confirmedOffset(token?: string): number;
  /** True while the bot holds a long poll open. */
  isPolling(token?: string): boolean;
  /** Resolves once the bot confirmed `updateId` (sent an offset above it). */
  waitForConfirmed(updateId: number, timeoutMs?: number, token?: string): Promise<void>;

  /** Every call so far (or those of one method), in arrival order. */
  calls(method?: string): CallRecord[];
  /** Messages in one chat, or in all chats, oldest first. */
  messages(chatId?: number, filter?: MessageFilter): StoredMessage[];
  message(chatId: number, messageId: number): StoredMessage | undefined;
  /** Commands stored by setMyCommands for a scope and language (default scope, no language). */
  commands(options?: { scope?: JsonObject; languageCode?: string; token?: string }): TgBotCommand[] | undefined;
  /** How a callback query was answered, or undefined while unanswered. */
  callbackAnswer(callbackQueryId: string): CallbackState["answer"];
  /** 429s the budget enforcement answered. */
  readonly rateLimitHits: readonly RateLimitHit[];
  /** Requests that came back before their retry_after ran out. */
  readonly earlyRetries: readonly EarlyRetry[];
  /** Requests the fake failed to handle (bugs in the fake, not Bot API errors). */
  readonly errors: readonly ServerError[];
  /** The first call (past or future) the predicate accepts; rejects after `timeoutMs` listing the calls seen. */
  waitForCall(predicate: (call: CallRecord) => boolean, timeoutMs?: number): Promise<CallRecord>;
  /** The first bot message (past or future, re-checked on edits and deletes) the predicate accepts. */
  waitForMessage(predicate: (message: StoredMessage) => boolean, timeoutMs?: number): Promise<StoredMessage>;

  /** Fails the next `times` calls of a method (or matching a predicate) with `fault`. */
  failNext(match: string | CallMatcher, fault: Fault, times?: number): FaultHandle;
  /**
   * Telegram goes down: every call (or those `match` accepts) fails with
   * `fault` (default 502 Bad Gateway; `{ drop: true }` cuts connections)
   * until `end()`. A long poll held open when it starts is cut the same way,
   * as a gateway in front of Telegram would.
   */
  outage(options?: { fault?: Fault; match?: string | CallMatcher }): Outage;
  clearFaults(): void;

  /** Ends pending long polls, drops every connection, stops listening. */
  close(): Promise<void>;
}

const DEFAULT_WAIT_MS = 5_000;
/** Telegram's service account, which owns things no test user created. */
const SERVICE_USER_ID = 777000;

function describeMessage(m: StoredMessage): string {
  const flags = [m.edits.length > 0 ? `edited ${m.edits.length}x` : "", m.deleted ? "deleted" : ""].filter(Boolean).join(", ");
  const body = m.text ?? (m.document !== undefined ? `[document ${m.document.file_name ?? "?"}] ${m.caption ?? ""}` : m.caption);
  const thread = m.threadId === undefined ? "" : ` thread ${m.threadId}`;
  return `chat ${m.chatId}${thread} #${m.messageId} ${preview(body)}${flags === "" ? "" : ` (${flags})`}`;
}

function listing(title: string, lines: string[], max = 30): string {
  const shown = lines.slice(-max);
  const more = lines.length > shown.length ? `\n  … ${lines.length - shown.length} earlier not shown` : "";
  return `${title} (${lines.length}):${more}${shown.map((line) => `\n  ${line}`).join("")}`;
}

export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const host = options.host ?? "127.0.0.1";
  const waiters = new Waiters();
  const notify = (): void => {
    waiters.notify();
  };
  const world = new World(options.bots ?? [], notify);
  for (const user of options.users ?? []) world.addUser(user);
  for (const chat of options.chats ?? []) world.addChat(chat);
  const calls = new CallLog();
  const faults = new FaultPlan();
  const flood = new FloodControl(options.rateLimits, options.retryAfterToleranceMs ?? 25);
  const errors: ServerError[] = [];
  const queues = new Map<number, UpdateQueue>();
  for (const bot of world.bots) queues.set(bot.user.id, new UpdateQueue(options.getUpdatesConflict ?? "terminate-old", notify));
  const queueFor = (bot: BotAccount): UpdateQueue => {
    const queue = queues.get(bot.user.id);
    if (queue === undefined) throw new Error(`fake-telegram: no update queue for bot ${bot.user.id}`);
    return queue;
  };
  let lastUpdateId = 100_000;
  const target: InjectTarget = { world, queueFor, nextUpdateId: () => ++lastUpdateId };

  const server = createBotApiServer({
    world,
    calls,
    faults,
    flood,
    errors,
    queueFor,
    notify,
    maxBodyBytes: options.maxUploadBytes ?? 50 * 1024 * 1024,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${String(port)}`;

  const botMessages = (): StoredMessage[] => [...world.allMessages()].filter((m) => m.botId !== undefined && m.service === undefined);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    apiRoot: url,
    token: world.defaultBot.token,
    botInfo: world.defaultBot.user,
    bot: (token) => world.bot(token).user,
    methodUrl: (method, token) => `${url}/bot${world.bot(token).token}/${method}`,
    fileUrl: (filePath, token) => `${url}/file/bot${world.bot(token).token}/${filePath}`,

    addUser: (spec) => world.addUser(spec),
    addChat: (spec) => world.addChat(spec).chat,
    setMember: (chatId, userId, member) => {
      world.setMember(chatId, userId, member);
    },
    addForumTopic(chatId, name, topicOptions = {}) {
      const state = world.chatForTest(chatId);
      if (state.chat.is_forum !== true) throw new Error(`fake-telegram: chat ${chatId} is not a forum`);
      const creatorId =
        topicOptions.from ?? [...state.members.entries()].find(([, m]) => m === "creator" || (typeof m === "object" && m.status === "creator"))?.[0];
      const creator = world.userFor(creatorId ?? SERVICE_USER_ID);
      return world.createTopic(state, {
        name,
        iconColor: topicOptions.iconColor ?? 7322096,
        creator,
        date: nowSeconds(),
      }).threadId;
    },
    deleteForumTopic(chatId, threadId) {
      const state = world.chatForTest(chatId);
      if (!state.topics.delete(threadId)) throw new Error(`fake-telegram: chat ${chatId} has no topic ${threadId}`);
      for (const message of state.messages.values()) {
        if (message.threadId === threadId && !message.deleted) {
          message.deleted = true;
          message.deletedAt = nowSeconds();
        }
      }
      world.touch();
    },
    topicName: (chatId, threadId) => world.chats.get(chatId)?.topics.get(threadId)?.name,
    registerFile(spec) {
      const file = world.registerFile(toBuffer(spec.content), {
        folder: "documents",
        ...(spec.file_path === undefined ? {} : { filePath: spec.file_path }),
        ...(spec.file_name === undefined ? {} : { fileName: spec.file_name }),
        ...(spec.mime_type === undefined ? {} : { mimeType: spec.mime_type }),
      });
      return { file_id: file.fileId, file_unique_id: file.uniqueId, file_size: file.data.length, file_path: file.path };
    },
    file: (fileId) => world.files.get(fileId),
    chat: (chatId) => world.chats.get(chatId),

    injectMessage: (spec) => injectMessage(target, spec),
    injectCallbackQuery: (spec) => injectCallbackQuery(target, spec),
    injectUpdate: (payload, token) => injectUpdate(target, payload, token),
    pendingUpdates: (token) => [...queueFor(world.bot(token)).pending],
    confirmedOffset: (token) => queueFor(world.bot(token)).confirmedOffset,
    isPolling: (token) => queueFor(world.bot(token)).polling,
    async waitForConfirmed(updateId, timeoutMs = DEFAULT_WAIT_MS, token) {
      const queue = queueFor(world.bot(token));
      await waiters.until(
        () => (queue.confirmedOffset > updateId ? true : undefined),
        timeoutMs,
        () =>
          `fake-telegram: update ${updateId} was not confirmed within ${timeoutMs} ms; confirmed offset ${queue.confirmedOffset}, ` +
          `pending update ids [${queue.pending.map((u) => u.update_id).join(", ")}]; ` +
          listing("getUpdates calls", calls.list("getUpdates").map(describeCall), 10),
      );
    },

    calls: (method) => calls.list(method),
    messages(chatId, filter = {}) {
      const sender = filter.sender ?? "bot";
      const botId = filter.bot === undefined ? undefined : world.bot(filter.bot).user.id;
      const source = chatId === undefined ? [...world.allMessages()] : [...(world.chats.get(chatId)?.messages.values() ?? [])];
      return source.filter(
        (m) =>
          (sender === "any" || (sender === "bot") === (m.botId !== undefined)) &&
          (botId === undefined || m.botId === botId) &&
          (filter.threadId === undefined || m.threadId === filter.threadId) &&
          (filter.includeDeleted !== false || !m.deleted) &&
          (filter.includeService === true || m.service === undefined),
      );
    },
    message: (chatId, messageId) => world.message(chatId, messageId),
    commands(query = {}) {
      const botId = world.bot(query.token).user.id;
      return world.commands.get(world.commandsKey(botId, query.scope, query.languageCode ?? ""));
    },
    callbackAnswer: (id) => world.callbacks.get(id)?.answer,
    rateLimitHits: flood.hits,
    earlyRetries: flood.earlyRetries,
    errors,
    waitForCall(predicate, timeoutMs = DEFAULT_WAIT_MS) {
      return waiters.until(
        () => calls.records.find(predicate),
        timeoutMs,
        () => `fake-telegram: waitForCall timed out after ${timeoutMs} ms; ${listing("calls seen", calls.records.map(describeCall))}`,
      );
    },
    waitForMessage(predicate, timeoutMs = DEFAULT_WAIT_MS) {
      return waiters.until(
        () => botMessages().find(predicate),
        timeoutMs,
        () => `fake-telegram: waitForMessage timed out after ${timeoutMs} ms; ${listing("bot messages seen", botMessages().map(describeMessage))}`,
      );
    },

    failNext: (match, fault, times = 1) => faults.add(match, fault, times),
    outage(spec = {}) {
      const fault = spec.fault ?? { code: 502 };
      const { match } = spec;
      const applies: CallMatcher = match === undefined ? () => true : typeof match === "string" ? (call) => call.method === match : match;
      let failed = 0;
      const rule = faults.add(
        (call) => {
          if (!applies(call)) return false;
          failed++;
          return true;
        },
        fault,
        Infinity,
      );
      const cut = "code" in fault ? injectedError(fault.code, fault.description) : "drop" in fault ? new ConnectionDropped() : undefined;
      for (const bot of world.bots) {
        const poll = calls.records.findLast((call) => call.method === "getUpdates" && call.status === "pending" && call.bot?.id === bot.user.id);
        if (cut !== undefined && poll !== undefined && applies(poll)) {
          if ("code" in fault) poll.fault = "injected";
          if (queueFor(bot).interrupt(cut)) failed++;
        }
      }
      return {
        get failed() {
          return failed;
        },
        end: () => {
          rule.cancel();
        },
      };
    },
    clearFaults: () => {
      faults.clear();
    },

    close() {
      closing ??= new Promise<void>((resolve) => {
        waiters.close("fake-telegram: closed while waiting");
        for (const queue of queues.values()) queue.close();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
