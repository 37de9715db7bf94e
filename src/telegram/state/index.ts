/**
 * What the bridge remembers between restarts: stored sessions per
 * chat or sender, per-chat preferences and forum-topic bindings. Three JSON
 * files beside the config, with upstream takopi's names and shapes, so a user
 * can switch between the two implementations without losing anything.
 */
import { silentLogger, type Logger } from "../../util/log.js";
import { ChatPrefsStore } from "./chat-prefs.js";
import { ChatSessionsStore } from "./chat-sessions.js";
import { stateDirFor } from "./shared.js";
import { TopicsStore } from "./topics.js";

export { ChatPrefsStore } from "./chat-prefs.js";
export { ChatSessionsStore } from "./chat-sessions.js";
export {
  CHAT_PREFS_FILE,
  CHAT_SESSIONS_FILE,
  STATE_VERSION,
  stateDirFor,
  TOPICS_FILE,
  type BoundContext,
  type EngineOverrides,
  type OverrideField,
  type StateStoreOptions,
  type StoredTriggerMode,
  type TriggerMode,
} from "./shared.js";
export { TopicsStore, type TopicThread } from "./topics.js";

/** The three stores for a config file; chat sessions guard against `cwd` changes (see ChatSessionsStore). */
export function openTelegramState(configPath: string, options: { log?: Logger; cwd?: string } = {}): {
  chatSessions: ChatSessionsStore;
  chatPrefs: ChatPrefsStore;
  topics: TopicsStore;
} {
  const dir = stateDirFor(configPath);
  const log = options.log ?? silentLogger;
  return {
    chatSessions: new ChatSessionsStore({ dir, log, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) }),
    chatPrefs: new ChatPrefsStore({ dir, log }),
    topics: new TopicsStore({ dir, log }),
  };
}
