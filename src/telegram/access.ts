/**
 * Who may drive the bot. A bot's username is public, so
 * anyone can message it; only the configured chats and users get an answer.
 * Everyone else gets nothing at all — no reply, no engine — because a reply
 * would confirm to a stranger that the bot is alive and whose it is.
 *
 * The rule:
 * - A message or button press is accepted from the main chat (`chat_id`),
 *   from a project's chat (`projects.<alias>.chat_id`), or from a private
 *   chat with a user listed in `allowed_user_ids`.
 * - When `allowed_user_ids` is not empty, the sender must be listed in every
 *   chat, so one trusted group can hold untrusted members.
 *
 * Refusals are logged once per chat (and once per unlisted sender in an
 * accepted chat), so a stranger who keeps writing cannot flood the log.
 */
import type { ProjectSettings, TelegramSettings } from "../config/schema.js";
import { silentLogger, type Logger } from "../util/log.js";
import type { IncomingUpdate } from "./incoming.js";

export interface AccessPolicy {
  /** The main chat and every project chat. */
  chatIds: ReadonlySet<number>;
  /** Empty: anyone in an accepted chat; otherwise only these users, everywhere. */
  allowedUserIds: ReadonlySet<number>;
}

/** The policy a config describes; recompute it after a reload, since project chats come and go. */
export function accessPolicy(
  telegram: Pick<TelegramSettings, "chat_id" | "allowed_user_ids">,
  projects: Readonly<Record<string, Pick<ProjectSettings, "chat_id">>> = {},
): AccessPolicy {
  const chatIds = new Set<number>([telegram.chat_id]);
  for (const project of Object.values(projects)) {
    if (project.chat_id !== null) chatIds.add(project.chat_id);
  }
  return { chatIds, allowedUserIds: new Set(telegram.allowed_user_ids) };
}

/** Why an update was refused: an unknown chat, or a sender missing from `allowed_user_ids`. */
export type AccessDecision = { allowed: true } | { allowed: false; reason: "chat" | "sender" };

/** The rule above, without logging. */
export function checkAccess(policy: AccessPolicy, update: Pick<IncomingUpdate, "chatId" | "isPrivate" | "senderId">): AccessDecision {
  const { senderId } = update;
  const senderListed = senderId !== null && policy.allowedUserIds.has(senderId);
  if (policy.allowedUserIds.size > 0 && !senderListed) {
    return { allowed: false, reason: policy.chatIds.has(update.chatId) ? "sender" : "chat" };
  }
  if (policy.chatIds.has(update.chatId)) return { allowed: true };
  // A private chat's id is its user's id: an allowed user may always talk to the bot directly.
  if (update.isPrivate && senderListed && update.chatId === senderId) return { allowed: true };
  return { allowed: false, reason: "chat" };
}

export interface AccessGateOptions {
  /** Read on every check, so a reloaded config applies to the next update. */
  policy: () => AccessPolicy;
  log?: Logger;
  /** How many refused chats (and senders) to remember for log-once; default 1024. */
  memory?: number;
  /** Called on every refusal (not only the logged ones), e.g. to answer a stranger's button press. */
  onRefused?: (update: IncomingUpdate, reason: "chat" | "sender") => void;
}

/** checkAccess plus the log-once bookkeeping; the poller's `admit`. */
export class AccessGate {
  readonly #policy: () => AccessPolicy;
  readonly #log: Logger;
  readonly #memory: number;
  readonly #onRefused: AccessGateOptions["onRefused"];
  /** Chats (`chat:<id>`) and senders (`sender:<chat>:<user>`) already logged; oldest first. */
  readonly #logged = new Set<string>();

  constructor(options: AccessGateOptions) {
    this.#policy = options.policy;
    this.#log = options.log ?? silentLogger;
    this.#memory = Math.max(1, options.memory ?? 1024);
    this.#onRefused = options.onRefused;
  }

  /** True when the update may be handled; a refusal is logged the first time for its chat (or sender). */
  admit(update: IncomingUpdate): boolean {
    const decision = checkAccess(this.#policy(), update);
    if (decision.allowed) {
      // Allowed now (a reload added it): should it be refused again later, say so again.
      this.#logged.delete(`chat:${update.chatId}`);
      if (update.senderId !== null) this.#logged.delete(`sender:${update.chatId}:${update.senderId}`);
      return true;
    }
    this.#onRefused?.(update, decision.reason);
    const key = decision.reason === "chat" ? `chat:${update.chatId}` : `sender:${update.chatId}:${update.senderId ?? "none"}`;
    if (this.#logged.has(key)) return false;
    this.#remember(key);
    const context = {
      event: "telegram.access_denied",
      reason: decision.reason,
      chat_id: update.chatId,
      chat_type: update.chatType,
      sender_id: update.senderId,
      sender_username: update.senderUsername,
      update: update.kind,
    };
    if (decision.reason === "chat") {
      this.#log.warn(
        context,
        "ignoring a chat that is not the main chat, a project chat or an allowed user's private chat; it gets no reply (logged once per chat)",
      );
    } else {
      this.#log.warn(context, "ignoring a sender not listed in allowed_user_ids; they get no reply (logged once per sender and chat)");
    }
    return false;
  }

  #remember(key: string): void {
    this.#logged.add(key);
    if (this.#logged.size <= this.#memory) return;
    const oldest = this.#logged.values().next();
    if (oldest.done !== true) this.#logged.delete(oldest.value);
  }
}
