// What a Bot API method handler gets, and the checks several of them share.
import { badRequest } from "../errors.js";
import type { Params } from "../params.js";
import type { UpdateQueue } from "../updates.js";
import { isObject } from "../util.js";
import type { BotAccount, ChatState, StoredMessage } from "../records.js";
import type { World } from "../world.js";

export interface MethodContext {
  readonly bot: BotAccount;
  readonly params: Params;
  readonly world: World;
  /** The calling bot's update queue. */
  readonly updates: UpdateQueue;
  /** Aborted when the client goes away mid-call. */
  readonly signal: AbortSignal;
  /** Epoch ms when the call arrived. */
  readonly now: number;
}

/** Answers a method's `result`, or throws ApiError. */
export type MethodHandler = (ctx: MethodContext) => unknown;

/**
 * `message_thread_id`: in a forum it must name a topic; elsewhere (reply
 * threads, private-chat topics) it is carried as given.
 */
export function threadFor(ctx: MethodContext, state: ChatState): number | undefined {
  const thread = ctx.params.int("message_thread_id");
  if (thread === undefined) return undefined;
  if (state.chat.is_forum === true && !state.topics.has(thread)) throw badRequest("message thread not found");
  return thread;
}

/**
 * The message a send replies to, from `reply_parameters` or the older
 * `reply_to_message_id`; a missing target is a 400 unless
 * `allow_sending_without_reply` is set.
 */
export function replyTarget(ctx: MethodContext, state: ChatState): StoredMessage | undefined {
  const { params } = ctx;
  const raw = params.json("reply_parameters", "reply parameters JSON object");
  let messageId: number | undefined;
  let allowWithout = params.bool("allow_sending_without_reply");
  if (raw !== undefined) {
    if (!isObject(raw) || typeof raw.message_id !== "number") throw badRequest("can't parse reply parameters JSON object");
    if (raw.chat_id !== undefined && raw.chat_id !== state.chat.id && raw.chat_id !== String(state.chat.id)) {
      throw badRequest("replies to another chat are not supported by fake-telegram");
    }
    messageId = raw.message_id;
    allowWithout = raw.allow_sending_without_reply === true;
  } else {
    messageId = params.int("reply_to_message_id");
  }
  if (messageId === undefined) return undefined;
  const target = state.messages.get(messageId);
  if (target !== undefined && !target.deleted) return target;
  if (allowWithout) return undefined;
  throw badRequest("message to be replied not found");
}
