/**
 * What the three Telegram state files have in common: their names and
 * version, the shapes of the values they share (sessions, overrides,
 * contexts) and how values read back are normalized — the way upstream does
 * it (trimmed, empty means unset), because the files are meant to be
 * hand-editable.
 */
import { dirname, resolve } from "node:path";
import * as z from "zod";
import type { Logger } from "../../util/log.js";

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

/** Per-engine model and reasoning overrides. */
export interface EngineOverrides {
  model: string | null;
  reasoning: string | null;
}

export type OverrideField = keyof EngineOverrides;

/** Whether a chat or topic answers every message or only those that address the bot. */
export type TriggerMode = "all" | "mentions";

/**
 * A chat stores only `mentions`; `all` is the default and stored as null, as
 * upstream stores it. A topic also stores `all`, so it can override a
 * mentions-only chat (upstream cannot: see normalizeTopicTriggerMode).
 */
export type StoredTriggerMode = TriggerMode;

// Loose objects: keys a newer takopi (or upstream) adds survive our rewrites.
// Fields are optional as well as nullable: upstream accepts both forms.
export const OptionalText = z.string().nullable().optional();
export const SessionsSchema = z.record(z.string(), z.looseObject({ resume: z.string() })).default({});
export const OverridesSchema = z.record(z.string(), z.looseObject({ model: OptionalText, reasoning: OptionalText })).default({});

export type Sessions = z.infer<typeof SessionsSchema>;
export type OverridesMap = z.infer<typeof OverridesSchema>;

/** `delete record[key]` for the string-keyed maps of the state files. */
export function removeKey(record: Record<string, unknown>, key: string): void {
  Reflect.deleteProperty(record, key);
}

export function normalizeText(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

export type TriggerNormalizer = (value: string | null | undefined) => StoredTriggerMode | null;

/** A chat's stored mode: `mentions`, anything else is the default (null). */
export function normalizeTriggerMode(value: string | null | undefined): StoredTriggerMode | null {
  return value?.trim().toLowerCase() === "mentions" ? "mentions" : null;
}

/**
 * A topic's stored mode: `mentions` or `all`, anything else is unset (null).
 * Upstream stores `all` as null, so its topics cannot say `all` in a
 * mentions-only chat; upstream reading our file still sees `all` as unset.
 */
export function normalizeTopicTriggerMode(value: string | null | undefined): StoredTriggerMode | null {
  const mode = value?.trim().toLowerCase();
  return mode === "mentions" || mode === "all" ? mode : null;
}

export function normalizeContext(context: { project?: string | null; branch?: string | null } | null | undefined): BoundContext | null {
  const project = normalizeText(context?.project);
  const branch = normalizeText(context?.branch);
  return project === null && branch === null ? null : { project, branch };
}

export function normalizeOverrides(raw: { model?: string | null; reasoning?: string | null } | undefined): EngineOverrides | null {
  const model = normalizeText(raw?.model);
  const reasoning = normalizeText(raw?.reasoning);
  return model === null && reasoning === null ? null : { model, reasoning };
}

/** Engine → resume value, skipping entries without one. */
export function sessionValues(sessions: Sessions | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [engine, entry] of Object.entries(sessions ?? {})) {
    if (entry.resume) values[engine] = entry.resume;
  }
  return values;
}
