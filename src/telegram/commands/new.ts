/**
 * `/new`: forget the stored sessions of a forum topic, a chat or a group
 * member, to start afresh. The bound context stays.
 */
import type { IncomingMessage } from "../incoming.js";
import { messageScope } from "../scope.js";
import { sessionOwner, telegramSettings, type BridgeServices } from "../services.js";

/**
 * `/new`: forgets the stored sessions of this topic, or of this chat (or
 * this member of a group). In a stateless chat it says so instead of running
 * `/new` as a prompt (upstream lets it fall through to the engine).
 */
export async function newCommand(services: BridgeServices, message: IncomingMessage): Promise<string> {
  const scope = messageScope(services, message);
  if (scope.kind === "topic") {
    await services.topics.clearSessions(scope.chatId, scope.threadId);
    return "cleared stored sessions for this topic.";
  }
  if (telegramSettings(services).session_mode !== "chat") {
    return 'nothing to clear: this chat is stateless (`session_mode = "stateless"`), so every message starts a new session unless it replies to an answer.';
  }
  const owner = sessionOwner(services, message);
  if (owner === null) return "no stored sessions to clear for this chat.";
  await services.chatSessions.clearSessions(owner.chatId, owner.ownerId);
  return owner.ownerId === null ? "cleared stored sessions for this chat." : "cleared stored sessions for you in this chat.";
}
