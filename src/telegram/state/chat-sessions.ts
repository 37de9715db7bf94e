/**
 * Stored resume tokens for `session_mode = "chat"`, in
 * `telegram_chat_sessions_state.json`.
 */
import { realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import * as z from "zod";
import type { ResumeToken } from "../../core/events.js";
import { JsonStateFile } from "../../util/json-state.js";
import { silentLogger, type Logger } from "../../util/log.js";
import { CHAT_SESSIONS_FILE, OptionalText, removeKey, sessionValues, SessionsSchema, STATE_VERSION, type StateStoreOptions } from "./shared.js";

const ChatSessionsSchema = z.looseObject({
  version: z.literal(STATE_VERSION),
  cwd: OptionalText,
  chats: z.record(z.string(), z.looseObject({ sessions: SessionsSchema })).default({}),
});
type ChatSessionsData = z.infer<typeof ChatSessionsSchema>;

/**
 * Stored resume tokens keyed by chat and sender: `ownerId` is the sender in
 * groups (each member has their own session) and null in private chats.
 *
 * The file records the directory takopi ran from. Some engines file their
 * sessions under the directory they ran in (claude keeps them per project
 * directory), so a token stored while takopi ran elsewhere fails to resume
 * and the run errors out. Upstream therefore drops sessions when the cwd
 * changes; here sessions recorded under another cwd are ignored, and dropped
 * at startup (syncCwd) or on the next save.
 */
export class ChatSessionsStore {
  readonly #file: JsonStateFile<ChatSessionsData>;
  readonly #cwd: string;
  readonly #log: Logger;

  constructor(options: StateStoreOptions & { cwd?: string }) {
    this.#log = options.log ?? silentLogger;
    this.#cwd = canonicalDir(options.cwd ?? process.cwd());
    this.#file = new JsonStateFile({
      path: join(options.dir, CHAT_SESSIONS_FILE),
      version: STATE_VERSION,
      schema: ChatSessionsSchema,
      empty: () => ({ version: STATE_VERSION, cwd: null, chats: {} }),
      log: this.#log,
    });
  }

  get path(): string {
    return this.#file.path;
  }

  /** At startup: drops every stored session if they were recorded under another cwd, and records ours. True when sessions were dropped. */
  syncCwd(): Promise<boolean> {
    return this.#file.update((state) => {
      const dropped = !this.#ownCwd(state) && Object.keys(state.chats).length > 0;
      if (!this.#ownCwd(state)) {
        if (dropped) this.#log.info({ previous_cwd: state.cwd, cwd: this.#cwd }, "working directory changed; dropped stored chat sessions");
        state.chats = {};
      }
      state.cwd = this.#cwd;
      return dropped;
    });
  }

  async getResume(chatId: number, ownerId: number | null, engine: string): Promise<ResumeToken | null> {
    const sessions = await this.getSessions(chatId, ownerId);
    const value = sessions[engine];
    return value === undefined ? null : { engine, value };
  }

  /** Engine → resume value for this chat/sender. */
  async getSessions(chatId: number, ownerId: number | null): Promise<Record<string, string>> {
    const state = await this.#file.read();
    if (!this.#ownCwd(state)) return {};
    return sessionValues(state.chats[chatKey(chatId, ownerId)]?.sessions);
  }

  /** Stores `token` for its engine; other engines' sessions are untouched. */
  async setResume(chatId: number, ownerId: number | null, token: ResumeToken): Promise<void> {
    await this.#file.update((state) => {
      if (!this.#ownCwd(state)) state.chats = {};
      state.cwd = this.#cwd;
      const key = chatKey(chatId, ownerId);
      const entry = (state.chats[key] ??= { sessions: {} });
      entry.sessions[token.engine] = { resume: token.value };
    });
  }

  async clearResume(chatId: number, ownerId: number | null, engine: string): Promise<void> {
    await this.#file.update((state) => {
      const key = chatKey(chatId, ownerId);
      const entry = state.chats[key];
      if (!entry) return;
      removeKey(entry.sessions, engine);
      if (Object.keys(entry.sessions).length === 0) removeKey(state.chats, key);
    });
  }

  /** `/new`: forgets every engine's session for this chat/sender. True when there was something to forget. */
  clearSessions(chatId: number, ownerId: number | null): Promise<boolean> {
    return this.#file.update((state) => {
      const key = chatKey(chatId, ownerId);
      const had = state.chats[key] !== undefined && this.#ownCwd(state) && Object.keys(sessionValues(state.chats[key].sessions)).length > 0;
      removeKey(state.chats, key);
      return had;
    });
  }

  /** A file without a cwd predates the guard (or was written by hand): trust it. */
  #ownCwd(state: ChatSessionsData): boolean {
    return state.cwd == null || state.cwd === this.#cwd;
  }
}

/** Upstream's key: `<chat_id>:<sender_id>` in groups, `<chat_id>:chat` for a private chat. */
function chatKey(chatId: number, ownerId: number | null): string {
  return `${chatId}:${ownerId === null ? "chat" : String(ownerId)}`;
}

/** The same directory as upstream compares it: symlinks resolved, so `~/p` and its target agree. */
function canonicalDir(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return resolve(path);
  }
}
