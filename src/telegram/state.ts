/**
 * What the bridge remembers between restarts (spec §16.6): stored sessions per
 * chat or sender, per-chat preferences and forum-topic bindings. Three JSON
 * files beside the config, with upstream takopi's names and shapes, so a user
 * can switch between the two implementations without losing anything.
 *
 * Values read back are normalized the way upstream does (trimmed, empty means
 * unset), because the files are meant to be hand-editable.
 */
import { realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import * as z from "zod";
import type { ResumeToken } from "../core/events.js";
import { JsonStateFile } from "../util/json-state.js";
import { silentLogger, type Logger } from "../util/log.js";

export const STATE_VERSION = 1;
export const CHAT_SESSIONS_FILE = "telegram_chat_sessions_state.json";
export const CHAT_PREFS_FILE = "telegram_chat_prefs_state.json";
export const TOPICS_FILE = "telegram_topics_state.json";

/** State files live in the config file's directory. */
export function stateDirFor(configPath: string): string {
  return dirname(resolve(configPath));
}

export interface StateStoreOptions {
  /** The directory holding the state files (see stateDirFor). */
  dir: string;
  log?: Logger;
}

/** A project/branch pair bound to a chat or topic; at least one side is set. */
export interface BoundContext {
  project: string | null;
  branch: string | null;
}

/** Per-engine model and reasoning overrides (spec §14.3). */
export interface EngineOverrides {
  model: string | null;
  reasoning: string | null;
}

export type OverrideField = keyof EngineOverrides;

/** Only `mentions` is stored; `all` is the default and stored as null (spec §16.6, §31.3). */
export type StoredTriggerMode = "mentions";

// Loose objects: keys a newer takopi (or upstream) adds survive our rewrites.
// Fields are optional as well as nullable: upstream accepts both forms.
const OptionalText = z.string().nullable().optional();
const SessionsSchema = z.record(z.string(), z.looseObject({ resume: z.string() })).default({});
const OverridesSchema = z.record(z.string(), z.looseObject({ model: OptionalText, reasoning: OptionalText })).default({});

const ChatSessionsSchema = z.looseObject({
  version: z.literal(STATE_VERSION),
  cwd: OptionalText,
  chats: z.record(z.string(), z.looseObject({ sessions: SessionsSchema })).default({}),
});
type ChatSessionsData = z.infer<typeof ChatSessionsSchema>;

const ChatPrefsSchema = z.looseObject({
  version: z.literal(STATE_VERSION),
  chats: z
    .record(
      z.string(),
      z.looseObject({
        default_engine: OptionalText,
        trigger_mode: OptionalText,
        context_project: OptionalText,
        context_branch: OptionalText,
        engine_overrides: OverridesSchema,
      }),
    )
    .default({}),
});
type ChatPrefsData = z.infer<typeof ChatPrefsSchema>;
type ChatPrefsEntry = NonNullable<ChatPrefsData["chats"][string]>;

const TopicsSchema = z.looseObject({
  version: z.literal(STATE_VERSION),
  threads: z
    .record(
      z.string(),
      z.looseObject({
        context: z.looseObject({ project: OptionalText, branch: OptionalText }).nullable().optional(),
        sessions: SessionsSchema,
        topic_title: OptionalText,
        default_engine: OptionalText,
        trigger_mode: OptionalText,
        engine_overrides: OverridesSchema,
      }),
    )
    .default({}),
});
type TopicsData = z.infer<typeof TopicsSchema>;
type ThreadEntry = NonNullable<TopicsData["threads"][string]>;

type Sessions = z.infer<typeof SessionsSchema>;
type OverridesMap = z.infer<typeof OverridesSchema>;

/**
 * Stored resume tokens for `session_mode = "chat"` (spec §16.2–16.5), keyed by
 * chat and sender: `ownerId` is the sender in groups (each member has their
 * own session) and null in private chats.
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

  /** Stores `token` for its engine; other engines' sessions are untouched (spec §16.3). */
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

/** Per-chat preferences outside topics (spec §15.5–15.9): default engine, trigger mode, bound context, overrides. */
export class ChatPrefsStore {
  readonly #file: JsonStateFile<ChatPrefsData>;

  constructor(options: StateStoreOptions) {
    this.#file = new JsonStateFile({
      path: join(options.dir, CHAT_PREFS_FILE),
      version: STATE_VERSION,
      schema: ChatPrefsSchema,
      empty: () => ({ version: STATE_VERSION, chats: {} }),
      log: options.log ?? silentLogger,
    });
  }

  get path(): string {
    return this.#file.path;
  }

  async getDefaultEngine(chatId: number): Promise<string | null> {
    return normalizeText((await this.#entry(chatId))?.default_engine);
  }

  /** null clears it. */
  setDefaultEngine(chatId: number, engine: string | null): Promise<void> {
    return this.#change(chatId, (entry) => {
      entry.default_engine = normalizeText(engine);
    });
  }

  async getTriggerMode(chatId: number): Promise<StoredTriggerMode | null> {
    return normalizeTriggerMode((await this.#entry(chatId))?.trigger_mode);
  }

  /** `mentions` is stored; `all`, null or anything else clears it. */
  setTriggerMode(chatId: number, mode: string | null): Promise<void> {
    return this.#change(chatId, (entry) => {
      entry.trigger_mode = normalizeTriggerMode(mode);
    });
  }

  async getContext(chatId: number): Promise<BoundContext | null> {
    const entry = await this.#entry(chatId);
    return normalizeContext({ project: entry?.context_project, branch: entry?.context_branch });
  }

  /** null (or a context with neither side set) clears the binding. */
  setContext(chatId: number, context: BoundContext | null): Promise<void> {
    return this.#change(chatId, (entry) => {
      const normalized = normalizeContext(context);
      entry.context_project = normalized?.project ?? null;
      entry.context_branch = normalized?.branch ?? null;
    });
  }

  async getEngineOverrides(chatId: number, engine: string): Promise<EngineOverrides | null> {
    return normalizeOverrides((await this.#entry(chatId))?.engine_overrides[engine]);
  }

  /** Sets (or with null clears) one field; the other field is kept (spec §15.6). */
  setOverride(chatId: number, engine: string, field: OverrideField, value: string | null): Promise<void> {
    return this.#change(chatId, (entry) => {
      setOverrideField(entry.engine_overrides, engine, field, value);
    });
  }

  async #entry(chatId: number): Promise<ChatPrefsEntry | undefined> {
    return (await this.#file.read()).chats[String(chatId)];
  }

  /** Edits the chat's entry, creating it as needed and removing it once it holds nothing. */
  async #change(chatId: number, edit: (entry: ChatPrefsEntry) => void): Promise<void> {
    await this.#file.update((state) => {
      const key = String(chatId);
      const entry = state.chats[key] ?? { default_engine: null, trigger_mode: null, context_project: null, context_branch: null, engine_overrides: {} };
      edit(entry);
      if (isEmptyChatPrefs(entry)) removeKey(state.chats, key);
      else state.chats[key] = entry;
    });
  }
}

/** Everything stored for one forum topic. */
export interface TopicThread {
  chatId: number;
  threadId: number;
  context: BoundContext | null;
  /** Engine → resume value. */
  sessions: Record<string, string>;
  topicTitle: string | null;
  defaultEngine: string | null;
  triggerMode: StoredTriggerMode | null;
  engineOverrides: Record<string, EngineOverrides>;
}

/** Forum-topic state (spec §17): the context a topic is bound to, its sessions, title and per-topic defaults. */
export class TopicsStore {
  readonly #file: JsonStateFile<TopicsData>;

  constructor(options: StateStoreOptions) {
    this.#file = new JsonStateFile({
      path: join(options.dir, TOPICS_FILE),
      version: STATE_VERSION,
      schema: TopicsSchema,
      empty: () => ({ version: STATE_VERSION, threads: {} }),
      log: options.log ?? silentLogger,
    });
  }

  get path(): string {
    return this.#file.path;
  }

  async getThread(chatId: number, threadId: number): Promise<TopicThread | null> {
    const entry = await this.#entry(chatId, threadId);
    if (!entry) return null;
    const engineOverrides: Record<string, EngineOverrides> = {};
    for (const [engine, raw] of Object.entries(entry.engine_overrides)) {
      const overrides = normalizeOverrides(raw);
      if (overrides) engineOverrides[engine] = overrides;
    }
    return {
      chatId,
      threadId,
      context: normalizeContext(entry.context),
      sessions: sessionValues(entry.sessions),
      topicTitle: normalizeText(entry.topic_title),
      defaultEngine: normalizeText(entry.default_engine),
      triggerMode: normalizeTriggerMode(entry.trigger_mode),
      engineOverrides,
    };
  }

  async getContext(chatId: number, threadId: number): Promise<BoundContext | null> {
    return normalizeContext((await this.#entry(chatId, threadId))?.context);
  }

  /** Binds the topic; `topicTitle`, when given, records the title the topic was renamed to (spec §17.5). */
  setContext(chatId: number, threadId: number, context: BoundContext, options: { topicTitle?: string } = {}): Promise<void> {
    return this.#change(chatId, threadId, (entry) => {
      const normalized = normalizeContext(context);
      entry.context = normalized ? { project: normalized.project, branch: normalized.branch } : null;
      if (options.topicTitle !== undefined) entry.topic_title = normalizeText(options.topicTitle);
    });
  }

  clearContext(chatId: number, threadId: number): Promise<void> {
    return this.#change(chatId, threadId, (entry) => {
      entry.context = null;
    });
  }

  async getTopicTitle(chatId: number, threadId: number): Promise<string | null> {
    return normalizeText((await this.#entry(chatId, threadId))?.topic_title);
  }

  setTopicTitle(chatId: number, threadId: number, title: string | null): Promise<void> {
    return this.#change(chatId, threadId, (entry) => {
      entry.topic_title = normalizeText(title);
    });
  }

  async getResume(chatId: number, threadId: number, engine: string): Promise<ResumeToken | null> {
    const value = sessionValues((await this.#entry(chatId, threadId))?.sessions)[engine];
    return value === undefined ? null : { engine, value };
  }

  setResume(chatId: number, threadId: number, token: ResumeToken): Promise<void> {
    return this.#change(chatId, threadId, (entry) => {
      entry.sessions[token.engine] = { resume: token.value };
    });
  }

  clearResume(chatId: number, threadId: number, engine: string): Promise<void> {
    return this.#change(chatId, threadId, (entry) => {
      removeKey(entry.sessions, engine);
    });
  }

  /** `/new` in a topic: forgets every engine's session, keeps the binding (spec §15.10). */
  clearSessions(chatId: number, threadId: number): Promise<void> {
    return this.#change(chatId, threadId, (entry) => {
      entry.sessions = {};
    });
  }

  async getDefaultEngine(chatId: number, threadId: number): Promise<string | null> {
    return normalizeText((await this.#entry(chatId, threadId))?.default_engine);
  }

  setDefaultEngine(chatId: number, threadId: number, engine: string | null): Promise<void> {
    return this.#change(chatId, threadId, (entry) => {
      entry.default_engine = normalizeText(engine);
    });
  }

  async getTriggerMode(chatId: number, threadId: number): Promise<StoredTriggerMode | null> {
    return normalizeTriggerMode((await this.#entry(chatId, threadId))?.trigger_mode);
  }

  setTriggerMode(chatId: number, threadId: number, mode: string | null): Promise<void> {
    return this.#change(chatId, threadId, (entry) => {
      entry.trigger_mode = normalizeTriggerMode(mode);
    });
  }

  async getEngineOverrides(chatId: number, threadId: number, engine: string): Promise<EngineOverrides | null> {
    return normalizeOverrides((await this.#entry(chatId, threadId))?.engine_overrides[engine]);
  }

  setOverride(chatId: number, threadId: number, engine: string, field: OverrideField, value: string | null): Promise<void> {
    return this.#change(chatId, threadId, (entry) => {
      setOverrideField(entry.engine_overrides, engine, field, value);
    });
  }

  /** The topic in `chatId` bound to exactly this context, for `/topic` to reuse (spec §15.11). */
  async findThreadForContext(chatId: number, context: BoundContext): Promise<number | null> {
    const wanted = normalizeContext(context);
    if (!wanted) return null;
    const prefix = `${chatId}:`;
    for (const [key, entry] of Object.entries((await this.#file.read()).threads)) {
      if (!key.startsWith(prefix)) continue;
      const bound = normalizeContext(entry.context);
      if (bound?.project !== wanted.project || bound.branch !== wanted.branch) continue;
      const threadId = Number(key.slice(prefix.length));
      if (Number.isSafeInteger(threadId)) return threadId;
    }
    return null;
  }

  /** Forgets the topic entirely (a stale topic replaced by a new one). */
  async deleteThread(chatId: number, threadId: number): Promise<void> {
    await this.#file.update((state) => {
      removeKey(state.threads, threadKey(chatId, threadId));
    });
  }

  async #entry(chatId: number, threadId: number): Promise<ThreadEntry | undefined> {
    return (await this.#file.read()).threads[threadKey(chatId, threadId)];
  }

  /** Edits the thread's entry, creating it as needed and removing it once it holds nothing. */
  async #change(chatId: number, threadId: number, edit: (entry: ThreadEntry) => void): Promise<void> {
    await this.#file.update((state) => {
      const key = threadKey(chatId, threadId);
      const entry = state.threads[key] ?? { context: null, sessions: {}, topic_title: null, default_engine: null, trigger_mode: null, engine_overrides: {} };
      edit(entry);
      if (isEmptyThread(entry)) removeKey(state.threads, key);
      else state.threads[key] = entry;
    });
  }
}

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

/** `delete record[key]` for the string-keyed maps of the state files. */
function removeKey(record: Record<string, unknown>, key: string): void {
  Reflect.deleteProperty(record, key);
}

/** Upstream's key: `<chat_id>:<sender_id>` in groups, `<chat_id>:chat` for a private chat. */
function chatKey(chatId: number, ownerId: number | null): string {
  return `${chatId}:${ownerId === null ? "chat" : String(ownerId)}`;
}

function threadKey(chatId: number, threadId: number): string {
  return `${chatId}:${threadId}`;
}

/** The same directory as upstream compares it: symlinks resolved, so `~/p` and its target agree. */
function canonicalDir(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return resolve(path);
  }
}

function normalizeText(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

function normalizeTriggerMode(value: string | null | undefined): StoredTriggerMode | null {
  return value?.trim().toLowerCase() === "mentions" ? "mentions" : null;
}

function normalizeContext(context: { project?: string | null; branch?: string | null } | null | undefined): BoundContext | null {
  const project = normalizeText(context?.project);
  const branch = normalizeText(context?.branch);
  return project === null && branch === null ? null : { project, branch };
}

function normalizeOverrides(raw: { model?: string | null; reasoning?: string | null } | undefined): EngineOverrides | null {
  const model = normalizeText(raw?.model);
  const reasoning = normalizeText(raw?.reasoning);
  return model === null && reasoning === null ? null : { model, reasoning };
}

/** Sets one override field; an engine left with neither field is removed. */
function setOverrideField(overrides: OverridesMap, engine: string, field: OverrideField, value: string | null): void {
  const current = normalizeOverrides(overrides[engine]) ?? { model: null, reasoning: null };
  const next = normalizeOverrides({ ...current, [field]: value });
  if (next) overrides[engine] = { ...overrides[engine], ...next };
  else removeKey(overrides, engine);
}

function sessionValues(sessions: Sessions | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [engine, entry] of Object.entries(sessions ?? {})) {
    if (entry.resume) values[engine] = entry.resume;
  }
  return values;
}

function hasOverrides(overrides: OverridesMap): boolean {
  return Object.values(overrides).some((raw) => normalizeOverrides(raw) !== null);
}

function isEmptyChatPrefs(entry: ChatPrefsEntry): boolean {
  return (
    normalizeText(entry.default_engine) === null &&
    normalizeTriggerMode(entry.trigger_mode) === null &&
    normalizeContext({ project: entry.context_project, branch: entry.context_branch }) === null &&
    !hasOverrides(entry.engine_overrides)
  );
}

function isEmptyThread(entry: ThreadEntry): boolean {
  return (
    normalizeContext(entry.context) === null &&
    Object.keys(sessionValues(entry.sessions)).length === 0 &&
    normalizeText(entry.topic_title) === null &&
    normalizeText(entry.default_engine) === null &&
    normalizeTriggerMode(entry.trigger_mode) === null &&
    !hasOverrides(entry.engine_overrides)
  );
}
