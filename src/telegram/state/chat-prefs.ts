/**
 * Per-chat preferences outside topics (set by `/agent`, `/model`, …), in
 * `telegram_chat_prefs_state.json`: default engine, trigger mode, bound
 * context and overrides.
 */
import { join } from "node:path";
import * as z from "zod";
import { JsonStateFile } from "../../util/json-state.js";
import { silentLogger } from "../../util/log.js";
import { allOverrides, EntryTable, hasNoPrefs, ScopePrefs } from "./scope-prefs.js";
import {
  CHAT_PREFS_FILE,
  normalizeContext,
  OptionalText,
  OverridesSchema,
  STATE_VERSION,
  type BoundContext,
  type EngineOverrides,
  type OverrideField,
  type StateStoreOptions,
  type StoredTriggerMode,
} from "./shared.js";

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

/** Per-chat preferences outside topics: default engine, trigger mode, bound context, overrides. */
export class ChatPrefsStore {
  readonly #file: JsonStateFile<ChatPrefsData>;
  readonly #chats: EntryTable<ChatPrefsData, ChatPrefsEntry>;
  readonly #prefs: ScopePrefs<ChatPrefsEntry>;

  constructor(options: StateStoreOptions) {
    this.#file = new JsonStateFile({
      path: join(options.dir, CHAT_PREFS_FILE),
      version: STATE_VERSION,
      schema: ChatPrefsSchema,
      empty: () => ({ version: STATE_VERSION, chats: {} }),
      log: options.log ?? silentLogger,
    });
    this.#chats = new EntryTable({
      file: this.#file,
      entries: (state) => state.chats,
      blank: () => ({ default_engine: null, trigger_mode: null, context_project: null, context_branch: null, engine_overrides: {} }),
      isEmpty: (entry) => hasNoPrefs(entry) && boundContext(entry) === null,
    });
    this.#prefs = new ScopePrefs(this.#chats);
  }

  get path(): string {
    return this.#file.path;
  }

  getDefaultEngine(chatId: number): Promise<string | null> {
    return this.#prefs.defaultEngine(String(chatId));
  }

  /** null clears it. */
  setDefaultEngine(chatId: number, engine: string | null): Promise<void> {
    return this.#prefs.setDefaultEngine(String(chatId), engine);
  }

  getTriggerMode(chatId: number): Promise<StoredTriggerMode | null> {
    return this.#prefs.triggerMode(String(chatId));
  }

  /** `mentions` is stored; `all`, null or anything else clears it. */
  setTriggerMode(chatId: number, mode: string | null): Promise<void> {
    return this.#prefs.setTriggerMode(String(chatId), mode);
  }

  async getContext(chatId: number): Promise<BoundContext | null> {
    const entry = await this.#chats.get(String(chatId));
    return entry ? boundContext(entry) : null;
  }

  /** null (or a context with neither side set) clears the binding. */
  setContext(chatId: number, context: BoundContext | null): Promise<void> {
    return this.#chats.change(String(chatId), (entry) => {
      const normalized = normalizeContext(context);
      entry.context_project = normalized?.project ?? null;
      entry.context_branch = normalized?.branch ?? null;
    });
  }

  getEngineOverrides(chatId: number, engine: string): Promise<EngineOverrides | null> {
    return this.#prefs.engineOverrides(String(chatId), engine);
  }

  /** Every engine's overrides (engines with neither field set are left out): one read, before the engine is known. */
  async getAllEngineOverrides(chatId: number): Promise<Record<string, EngineOverrides>> {
    const entry = await this.#chats.get(String(chatId));
    return entry ? allOverrides(entry) : {};
  }

  /** Sets (or with null clears) one field; the other field is kept. */
  setOverride(chatId: number, engine: string, field: OverrideField, value: string | null): Promise<void> {
    return this.#prefs.setOverride(String(chatId), engine, field, value);
  }
}

function boundContext(entry: ChatPrefsEntry): BoundContext | null {
  return normalizeContext({ project: entry.context_project, branch: entry.context_branch });
}
