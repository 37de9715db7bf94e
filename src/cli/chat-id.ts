/**
 * `takopi chat-id`: onboarding for a bot that has a token but no chat yet.
 * It answers every private message — and in a group `/chatid`, a mention of
 * the bot or a reply to it — with that chat's id and the line to put into
 * .env, prints each id on stdout, and runs nothing else, until SIGINT or
 * SIGTERM (exit 0). The container entrypoint runs it instead of the bridge
 * while TELEGRAM_CHAT_ID is unset.
 *
 * Upstream's `chat-id` prints the first id it sees and exits; this one keeps
 * answering, because in a container nobody reads stdout: the answer must
 * reach the chat. Updates go through the bridge's poller, so they are
 * confirmed to Telegram (and recorded beside the config) and a restart never
 * answers a message twice.
 */
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { UserFromGetMe } from "grammy/types";
import { describeFoundString } from "../config/errors.js";
import { parseConfigText, resolveConfigPath } from "../config/load.js";
import { DEFAULT_API_ROOT, TelegramSchema } from "../config/schema.js";
import { getKey, isTable, type TomlTable } from "../config/toml-keys.js";
import { BotApiError, type BotApi } from "../telegram/bot-api.js";
import { TelegramClient } from "../telegram/client.js";
import { describeError } from "../telegram/errors.js";
import type { IncomingMessage } from "../telegram/incoming.js";
import { UpdatePoller } from "../telegram/polling.js";
import { shortenHome } from "../util/home.js";
import { createLogger, logLevel } from "../util/log.js";
import { printedLine } from "../logging/print.js";
import { UsageError } from "./errors.js";
import { projectChat, type ProjectChat } from "./project-chat.js";

export interface ChatIdCommandOptions {
  token?: string;
  apiRoot?: string;
  config?: string;
  /** Write the first chat's id as this project's chat (`projects.<alias>.chat_id`) and stop. */
  project?: string;
}

/**
 * Messages sent before this started are answered when younger than this: the
 * first message to a new bot usually predates the container, and an answer
 * is only information, so a late one does no harm.
 */
const BACKLOG_MAX_AGE_S = 24 * 60 * 60;

/** A setting and where it came from, for error messages that say what to fix. */
interface Sourced {
  value: string;
  source: string;
}

function firstSet(...candidates: [unknown, string][]): Sourced | null {
  for (const [value, source] of candidates) {
    if (typeof value === "string" && value.trim() !== "") return { value: value.trim(), source };
  }
  return null;
}

/** `[transports.telegram]` of the config, if there is a readable one; it is only a fallback here. */
async function configTelegram(configPath: string): Promise<TomlTable> {
  try {
    const telegram = getKey(parseConfigText(await readFile(configPath, "utf8"), configPath), ["transports", "telegram"]);
    return isTable(telegram) ? telegram : {};
  } catch {
    return {};
  }
}

/** The bot, or a one-line UsageError (exit 1) when the token is refused or Telegram cannot be reached. */
async function identify(api: BotApi, token: Sourced, apiRoot: string): Promise<UserFromGetMe> {
  try {
    return await api.getMe();
  } catch (error) {
    // describeError strips anything token-shaped an error may quote.
    const detail = describeError(error);
    if (error instanceof BotApiError && (error.error_code === 401 || error.error_code === 404)) {
      throw new UsageError(`Telegram rejected the bot token (${error.error_code} ${detail.description}); check ${token.source}`, 1);
    }
    throw new UsageError(`cannot reach the Bot API at ${apiRoot}: ${detail.cause ?? detail.description}`, 1);
  }
}

/**
 * Whether a group message is meant for this bot. With privacy mode on (the
 * default) Telegram delivers little else to a bot in a group anyway.
 */
function addressesBot(message: IncomingMessage, username: string): boolean {
  const handle = `@${username.toLowerCase()}`;
  for (const entity of message.entities) {
    const text = message.text.slice(entity.offset, entity.offset + entity.length).toLowerCase();
    if (entity.type === "mention" && text === handle) return true;
    if (entity.type === "bot_command" && entity.offset === 0 && (text === "/chatid" || text === `/chatid${handle}`)) return true;
  }
  return message.replyTo?.fromBot === true && message.replyTo.senderUsername?.toLowerCase() === username.toLowerCase();
}

/** What the bot answers in a chat. */
export function chatIdAnswer(chatId: number, isPrivate: boolean): string {
  return `This ${isPrivate ? "chat" : "group"}'s id is ${chatId}. Put TELEGRAM_CHAT_ID=${chatId} into .env and restart takopi.`;
}

/** A line on stdout: as it is, or (TAKOPI_LOG_FORMAT=json) one JSON line with `fields`, like everything else the container prints. */
function print(text: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(printedLine({ level: "info", text, fields }));
}

export async function chatIdCommand(options: ChatIdCommandOptions): Promise<number> {
  const env = process.env;
  const configPath = resolveConfigPath(options.config);
  const fromConfig = await configTelegram(configPath);
  const inConfig = (key: string) => `transports.telegram.${key} in ${shortenHome(configPath)}`;
  const token = firstSet(
    [options.token, "--token"],
    [env.TELEGRAM_BOT_TOKEN, "TELEGRAM_BOT_TOKEN"],
    [fromConfig.bot_token, inConfig("bot_token")],
  );
  if (token === null) throw new UsageError(`no bot token: pass --token, set TELEGRAM_BOT_TOKEN, or set transports.telegram.bot_token in ${shortenHome(configPath)}`);
  const root = firstSet([options.apiRoot, "--api-root"], [env.TELEGRAM_API_ROOT, "TELEGRAM_API_ROOT"], [fromConfig.api_root, inConfig("api_root")]);
  const apiRoot = TelegramSchema.shape.api_root.safeParse(root?.value ?? DEFAULT_API_ROOT);
  if (!apiRoot.success) throw new UsageError(`${root?.source ?? "the API root"} must be an http(s) URL, found ${describeFoundString(root?.value ?? "")}`);

  // Checked before Telegram is asked anything: a typo should not wait for a message.
  const target = options.project === undefined ? null : await projectChat(configPath, options.project);

  // Warnings and errors only: stdout carries the ids, and the client and poller redact the token.
  const log = createLogger({ level: logLevel("warn") });
  const client = new TelegramClient({ token: token.value, apiRoot: apiRoot.data, log });
  const me = await identify(client.api, token, apiRoot.data);

  const stop = new AbortController();
  const answer = async (message: IncomingMessage): Promise<void> => {
    if (target !== null) {
      await claimForProject(message, target);
      return;
    }
    const sender = message.senderUsername === null ? "" : `, from @${message.senderUsername}`;
    const text = `chat ${message.chatId} (${message.chatType ?? "unknown type"}${sender}): TELEGRAM_CHAT_ID=${message.chatId}`;
    print(text, { event: "chat_id.seen", chat_id: message.chatId, chat_type: message.chatType });
    // Only a forum topic is a thread to post in; a reply thread elsewhere is not.
    const threadId = message.isTopicMessage ? message.threadId : null;
    await client.sendMessage(message.chatId, chatIdAnswer(message.chatId, message.isPrivate), { replyTo: message, threadId });
  };

  const stateDir = dirname(configPath);
  // The poller records the last update it handled here; without the directory it only logs that it cannot.
  await mkdir(stateDir, { recursive: true }).catch(() => undefined);
  const poller = new UpdatePoller({
    api: client.api,
    stateDir,
    backlogMaxAgeS: BACKLOG_MAX_AGE_S,
    log,
    handle: (update) => {
      if (update.kind !== "message" || update.senderIsBot) return;
      if (update.isPrivate || addressesBot(update, me.username)) return answer(update);
    },
  });

  /** The first chat that is not the main one becomes the project's; then it stops, as upstream. */
  let claimed = false;
  const claimForProject = async (message: IncomingMessage, project: ProjectChat): Promise<void> => {
    if (claimed) return;
    const threadId = message.isTopicMessage ? message.threadId : null;
    const where = message.isPrivate ? "chat" : "group";
    if (message.chatId === project.mainChatId) {
      const text = `This is takopi's main chat; project ${project.alias} needs a chat of its own. Add the bot to that project's group and send /chatid there.`;
      await client.sendMessage(message.chatId, text, { replyTo: message, threadId });
      return;
    }
    claimed = true;
    print(await project.save(message.chatId), { event: "chat_id.saved", chat_id: message.chatId, project: project.alias });
    await client.sendMessage(message.chatId, `This ${where}'s id is ${message.chatId}: it is now project ${project.alias}'s chat. Restart takopi to use it.`, { replyTo: message, threadId });
    stop.abort();
  };

  const onSignal = (): void => {
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  print(
    target === null
      ? `Waiting for messages to @${me.username}: send it any message in a private chat, or /chatid in a group, ` + "and it answers with that chat's id. Stop with Ctrl-C."
      : `Waiting for a message to @${me.username} in project ${target.alias}'s chat: send /chatid in that group (or any message in a private chat); ` +
          `its id becomes projects.${target.alias}.chat_id. Stop with Ctrl-C.`,
  );
  try {
    await poller.run(stop.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    // Answers still queued go out first.
    await client.close();
  }
  return 0;
}
