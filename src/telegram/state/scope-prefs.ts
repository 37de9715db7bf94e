/**
 * The preferences a chat (outside topics) and a forum topic both carry —
 * default engine, trigger mode and per-engine overrides — written once for
 * both stores. Each store keeps its own file and key
 * format and hands this module a table of its entries.
 */
import type { JsonStateFile } from "../../util/json-state.js";
import {
  normalizeOverrides,
  normalizeText,
  normalizeTriggerMode,
  removeKey,
  type TriggerNormalizer,
  type EngineOverrides,
  type OverrideField,
  type OverridesMap,
  type StoredTriggerMode,
} from "./shared.js";

/** The fields of an entry that ScopePrefs reads and writes. */
export interface PrefsFields {
  default_engine?: string | null | undefined;
  trigger_mode?: string | null | undefined;
  engine_overrides: OverridesMap;
}

export interface EntryTableOptions<Data extends { version: number }, Entry> {
  file: JsonStateFile<Data>;
  /** The map of entries inside the file's data (`chats`, `threads`). */
  entries: (data: Data) => Record<string, Entry>;
  /** A fresh entry for a key written for the first time. */
  blank: () => Entry;
  /** Whether an entry holds nothing worth keeping; such entries are removed. */
  isEmpty: (entry: Entry) => boolean;
}

/** Keyed read and edit access to the entries of a state file. */
export interface Entries<Entry> {
  get(key: string): Promise<Entry | undefined>;
  change(key: string, edit: (entry: Entry) => void): Promise<void>;
}

/**
 * One keyed map of entries inside a state file. Entries are created on their
 * first write and removed once they hold nothing, so the file only lists
 * chats and topics that have something set.
 */
export class EntryTable<Data extends { version: number }, Entry> implements Entries<Entry> {
  readonly #options: EntryTableOptions<Data, Entry>;

  constructor(options: EntryTableOptions<Data, Entry>) {
    this.#options = options;
  }

  async get(key: string): Promise<Entry | undefined> {
    return this.#options.entries(await this.#options.file.read())[key];
  }

  /** Edits the entry for `key`, creating it as needed and removing it once it holds nothing. */
  async change(key: string, edit: (entry: Entry) => void): Promise<void> {
    const { file, entries, blank, isEmpty } = this.#options;
    await file.update((state) => {
      const map = entries(state);
      const entry = map[key] ?? blank();
      edit(entry);
      if (isEmpty(entry)) removeKey(map, key);
      else map[key] = entry;
    });
  }
}

/** Default engine, trigger mode and overrides of a table of entries. */
export class ScopePrefs<Entry extends PrefsFields> {
  readonly #table: Entries<Entry>;
  readonly #trigger: TriggerNormalizer;

  /** `trigger` says which modes the table stores (a chat: only `mentions`; a topic: `all` too). */
  constructor(table: Entries<Entry>, trigger: TriggerNormalizer = normalizeTriggerMode) {
    this.#table = table;
    this.#trigger = trigger;
  }

  async defaultEngine(key: string): Promise<string | null> {
    return normalizeText((await this.#table.get(key))?.default_engine);
  }

  /** null clears it. */
  setDefaultEngine(key: string, engine: string | null): Promise<void> {
    return this.#table.change(key, (entry) => {
      entry.default_engine = normalizeText(engine);
    });
  }

  async triggerMode(key: string): Promise<StoredTriggerMode | null> {
    return this.#trigger((await this.#table.get(key))?.trigger_mode);
  }

  /** A mode the table stores is stored; null or anything else clears it. */
  setTriggerMode(key: string, mode: string | null): Promise<void> {
    return this.#table.change(key, (entry) => {
      entry.trigger_mode = this.#trigger(mode);
    });
  }

  async engineOverrides(key: string, engine: string): Promise<EngineOverrides | null> {
    return normalizeOverrides((await this.#table.get(key))?.engine_overrides[engine]);
  }

  /** Sets (or with null clears) one field; the other field is kept. */
  setOverride(key: string, engine: string, field: OverrideField, value: string | null): Promise<void> {
    return this.#table.change(key, (entry) => {
      setOverrideField(entry.engine_overrides, engine, field, value);
    });
  }
}

/** Every engine's overrides in an entry, normalized; engines with neither field set are left out. */
export function allOverrides(entry: PrefsFields): Record<string, EngineOverrides> {
  const result: Record<string, EngineOverrides> = {};
  for (const [engine, raw] of Object.entries(entry.engine_overrides)) {
    const overrides = normalizeOverrides(raw);
    if (overrides) result[engine] = overrides;
  }
  return result;
}

/** Whether none of the preference fields is set (the entry may still hold other things). */
export function hasNoPrefs(entry: PrefsFields, trigger: TriggerNormalizer = normalizeTriggerMode): boolean {
  return (
    normalizeText(entry.default_engine) === null &&
    trigger(entry.trigger_mode) === null &&
    Object.values(entry.engine_overrides).every((raw) => normalizeOverrides(raw) === null)
  );
}

/** Sets one override field; an engine left with neither field is removed. */
function setOverrideField(overrides: OverridesMap, engine: string, field: OverrideField, value: string | null): void {
  const current = normalizeOverrides(overrides[engine]) ?? { model: null, reasoning: null };
  const next = normalizeOverrides({ ...current, [field]: value });
  if (next) overrides[engine] = { ...overrides[engine], ...next };
  else removeKey(overrides, engine);
}
