/**
 * Forum-topic state, in `telegram_topics_state.json`: the context
 * a topic is bound to, its sessions, title and per-topic defaults.
 */
import { join } from "node:path";
import * as z from "zod";
import type { ResumeToken } from "../../core/events.js";
import { JsonStateFile } from "../../util/json-state.js";
import { silentLogger } from "../../util/log.js";
import { allOverrides, EntryTable, hasNoPrefs, ScopePrefs } from "./scope-prefs.js";
import {
  normalizeContext,
  normalizeText,
  normalizeTopicTriggerMode,
  OptionalText,
  OverridesSchema,
  removeKey,
  sessionValues,
  SessionsSchema,
  STATE_VERSION,
  TOPICS_FILE,
  type BoundContext,
  type EngineOverrides,
  type OverrideField,
  type StateStoreOptions,
  type StoredTriggerMode,
} from "./shared.js";

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

/** Forum-topic state: the context a topic is bound to, its sessions, title and per-topic defaults. */
export class TopicsStore {
  readonly #file: JsonStateFile<TopicsData>;
  readonly #threads: EntryTable<TopicsData, ThreadEntry>;
  readonly #prefs: ScopePrefs<ThreadEntry>;

  constructor(options: StateStoreOptions) {
    this.#file = new JsonStateFile({
      path: join(options.dir, TOPICS_FILE),
      version: STATE_VERSION,
      schema: TopicsSchema,
      empty: () => ({ version: STATE_VERSION, threads: {} }),
      log: options.log ?? silentLogger,
    });
    this.#threads = new EntryTable({
      file: this.#file,
      entries: (state) => state.threads,
      blank: () => ({ context: null, sessions: {}, topic_title: null, default_engine: null, trigger_mode: null, engine_overrides: {} }),
      isEmpty: (entry) =>
        hasNoPrefs(entry, normalizeTopicTriggerMode) &&
        normalizeContext(entry.context) === null &&
        Object.keys(sessionValues(entry.sessions)).length === 0 &&
        normalizeText(entry.topic_title) === null,
    });
    this.#prefs = new ScopePrefs(this.#threads, normalizeTopicTriggerMode);
  }

  get path(): string {
    return this.#file.path;
  }

  async getThread(chatId: number, threadId: number): Promise<TopicThread | null> {
    const entry = await this.#threads.get(threadKey(chatId, threadId));
    if (!entry) return null;
    return {
      chatId,
      threadId,
      context: normalizeContext(entry.context),
      sessions: sessionValues(entry.sessions),
      topicTitle: normalizeText(entry.topic_title),
      defaultEngine: normalizeText(entry.default_engine),
      triggerMode: normalizeTopicTriggerMode(entry.trigger_mode),
      engineOverrides: allOverrides(entry),
    };
  }

  async getContext(chatId: number, threadId: number): Promise<BoundContext | null> {
    return normalizeContext((await this.#threads.get(threadKey(chatId, threadId)))?.context);
  }

  /** Binds the topic; `topicTitle`, when given, records the title the topic was renamed to. */
  setContext(chatId: number, threadId: number, context: BoundContext, options: { topicTitle?: string } = {}): Promise<void> {
    return this.#threads.change(threadKey(chatId, threadId), (entry) => {
      const normalized = normalizeContext(context);
      entry.context = normalized ? { project: normalized.project, branch: normalized.branch } : null;
      if (options.topicTitle !== undefined) entry.topic_title = normalizeText(options.topicTitle);
    });
  }

  clearContext(chatId: number, threadId: number): Promise<void> {
    return this.#threads.change(threadKey(chatId, threadId), (entry) => {
      entry.context = null;
    });
  }

  async getTopicTitle(chatId: number, threadId: number): Promise<string | null> {
    return normalizeText((await this.#threads.get(threadKey(chatId, threadId)))?.topic_title);
  }

  setTopicTitle(chatId: number, threadId: number, title: string | null): Promise<void> {
    return this.#threads.change(threadKey(chatId, threadId), (entry) => {
      entry.topic_title = normalizeText(title);
    });
  }

  async getResume(chatId: number, threadId: number, engine: string): Promise<ResumeToken | null> {
    const value = sessionValues((await this.#threads.get(threadKey(chatId, threadId)))?.sessions)[engine];
    return value === undefined ? null : { engine, value };
  }

  setResume(chatId: number, threadId: number, token: ResumeToken): Promise<void> {
    return this.#threads.change(threadKey(chatId, threadId), (entry) => {
      entry.sessions[token.engine] = { resume: token.value };
    });
  }

  clearResume(chatId: number, threadId: number, engine: string): Promise<void> {
    return this.#threads.change(threadKey(chatId, threadId), (entry) => {
      removeKey(entry.sessions, engine);
    });
  }

  /** `/new` in a topic: forgets every engine's session, keeps the binding. */
  clearSessions(chatId: number, threadId: number): Promise<void> {
    return this.#threads.change(threadKey(chatId, threadId), (entry) => {
      entry.sessions = {};
    });
  }

  getDefaultEngine(chatId: number, threadId: number): Promise<string | null> {
    return this.#prefs.defaultEngine(threadKey(chatId, threadId));
  }

  setDefaultEngine(chatId: number, threadId: number, engine: string | null): Promise<void> {
    return this.#prefs.setDefaultEngine(threadKey(chatId, threadId), engine);
  }

  getTriggerMode(chatId: number, threadId: number): Promise<StoredTriggerMode | null> {
    return this.#prefs.triggerMode(threadKey(chatId, threadId));
  }

  /** `all` and `mentions` are stored (an explicit `all` beats a mentions-only chat); null clears it. */
  setTriggerMode(chatId: number, threadId: number, mode: string | null): Promise<void> {
    return this.#prefs.setTriggerMode(threadKey(chatId, threadId), mode);
  }

  getEngineOverrides(chatId: number, threadId: number, engine: string): Promise<EngineOverrides | null> {
    return this.#prefs.engineOverrides(threadKey(chatId, threadId), engine);
  }

  setOverride(chatId: number, threadId: number, engine: string, field: OverrideField, value: string | null): Promise<void> {
    return this.#prefs.setOverride(threadKey(chatId, threadId), engine, field, value);
  }

  /** The topic in `chatId` bound to exactly this context, for `/topic` to reuse. */
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
}

function threadKey(chatId: number, threadId: number): string {
  return `${chatId}:${threadId}`;
}
