/**
 * One small versioned JSON file of bridge state, upstream's format: chat prefs,
 * chat sessions, topics. The file is the truth — the user or another takopi may
 * edit it while we run — so every access checks whether it changed on disk.
 * A file we cannot understand is set aside, never deleted or overwritten: it
 * may come from a newer takopi, and a downgrade must not destroy it. (Upstream
 * starts over with an empty state; see docs/upstream-differences.md.)
 */
import type { BigIntStats } from "node:fs";
import { link, open, rename, stat, unlink } from "node:fs/promises";
import { resolve } from "node:path";
import type * as z from "zod";
import { writeFileAtomic } from "./atomic-write.js";
import { errorCode, isErrorCode, systemErrorMessage } from "./errors.js";
import { silentLogger, type Logger } from "./log.js";

export interface JsonStateOptions<T extends { version: number }> {
  path: string;
  /** The version this takopi reads and writes; a file with another one is set aside. */
  version: number;
  /** Validates the whole file, `version` included. Use loose objects to keep unknown keys. */
  schema: z.ZodType<T>;
  /** A fresh empty state (with `version` set): what a missing or set-aside file reads as. */
  empty: () => T;
  /** The file's text for a state (default `serializeState`); JSON, possibly padded with whitespace. */
  serialize?: (state: T) => string;
  log?: Logger;
}

/** Saving (or setting aside) a state file failed; `message` names the file and the cause. */
export class StateFileError extends Error {
  readonly path: string;

  constructor(message: string, path: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StateFileError";
    this.path = path;
  }
}

/**
 * One chain per file path, shared by every JsonStateFile of this process:
 * two stores opened on the same file (a reload, a plugin) then also take
 * turns, and each sees the other's writes through the stat check.
 */
const queues = new Map<string, Promise<unknown>>();

/** How the file looked when we last read or wrote it; a change means "reload". */
type Signature = string;
const MISSING: Signature = "missing";

export class JsonStateFile<T extends { version: number }> {
  readonly path: string;
  readonly #options: JsonStateOptions<T>;
  readonly #log: Logger;
  /** Null until the first access. */
  #state: T | null = null;
  #signature: Signature | null = null;
  /**
   * Why updates must not write right now: the file exists but cannot be read,
   * or it is corrupt and could not be moved aside. Writing would destroy it.
   */
  #blocked: StateFileError | null = null;
  /** A read queued and not started; reads issued while nothing is queued behind it share its look at the file. */
  #queuedRead: { state: Promise<T>; tail: unknown } | null = null;

  constructor(options: JsonStateOptions<T>) {
    this.path = resolve(options.path);
    this.#options = options;
    this.#log = options.log ?? silentLogger;
  }

  /** The current state, reloaded if the file changed. A copy: mutating it changes nothing. */
  read(): Promise<T> {
    let queued = this.#queuedRead;
    if (queued === null || queues.get(this.path) !== queued.tail) {
      const state = this.#exclusive(() => {
        if (this.#queuedRead === entry) this.#queuedRead = null;
        return this.#current();
      });
      const entry = { state, tail: queues.get(this.path) };
      queued = this.#queuedRead = entry;
    }
    // The state #current hands out is never changed in place (a load or save replaces it).
    return queued.state.then((state) => structuredClone(state));
  }

  /**
   * Applies `change` to a copy of the current state and saves the result
   * atomically — unless nothing changed, so reading or clearing an absent
   * entry never creates the file. Updates run one at a time, each on the
   * state the previous one left, so concurrent updates never lose a write.
   * Rejects with a StateFileError when saving fails; the in-memory state then
   * stays what is on disk.
   */
  update<R>(change: (draft: T) => R): Promise<R> {
    return this.#exclusive(async () => {
      const current = await this.#current();
      if (this.#blocked) throw this.#blocked;
      const draft = structuredClone(current);
      const result = change(draft);
      const text = serializeState(draft);
      if (text === serializeState(current)) return result;
      const checked = this.#options.schema.safeParse(draft);
      if (!checked.success) {
        // A bug in the caller: saving this would get the file set aside on the next read.
        throw new StateFileError(`refusing to save ${this.path}: the new state is invalid (${firstIssue(checked.error)})`, this.path);
      }
      try {
        const serialize = this.#options.serialize ?? serializeState;
        this.#signature = signatureOf(await writeFileAtomic(this.path, serialize(checked.data)));
      } catch (error) {
        const failure = new StateFileError(`cannot save ${this.path}: ${systemErrorMessage(error)}`, this.path, { cause: error });
        this.#log.error({ path: this.path, err: error }, "state file not saved");
        throw failure;
      }
      this.#state = checked.data;
      return result;
    });
  }

  /** Runs reads and updates of this file one at a time, in call order. */
  #exclusive<R>(task: () => Promise<R>): Promise<R> {
    const run = (queues.get(this.path) ?? Promise.resolve()).then(task, task);
    const tail = run.catch(() => undefined);
    queues.set(this.path, tail);
    // Forget an idle chain so the map does not grow with every path ever opened.
    void tail.then(() => {
      if (queues.get(this.path) === tail) queues.delete(this.path);
    });
    return run;
  }

  async #current(): Promise<T> {
    const signature = await this.#statSignature();
    if (this.#state !== null && signature === this.#signature) return this.#state;
    return this.#load();
  }

  async #statSignature(): Promise<Signature> {
    try {
      return signatureOf(await stat(this.path, { bigint: true }));
    } catch (error) {
      return isErrorCode(error, "ENOENT") ? MISSING : `error:${errorCode(error)}`;
    }
  }

  async #load(): Promise<T> {
    this.#blocked = null;
    this.#state = this.#options.empty();
    let text: string;
    try {
      // Read through one descriptor so the signature and the bytes belong to the same file.
      const handle = await open(this.path, "r");
      try {
        this.#signature = signatureOf(await handle.stat({ bigint: true }));
        text = await handle.readFile("utf8");
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (isErrorCode(error, "ENOENT")) {
        this.#signature = MISSING;
      } else {
        // The same signature #current computes, so this warning is not repeated until the path changes.
        this.#signature = await this.#statSignature();
        this.#blocked = new StateFileError(`cannot read ${this.path}: ${systemErrorMessage(error)}; fix or remove it`, this.path, { cause: error });
        this.#log.warn({ path: this.path, err: error }, "state file unreadable; using empty state and not saving until it is readable");
      }
      return this.#state;
    }
    const parsed = this.#parse(text);
    if (parsed.ok) {
      this.#state = parsed.state;
      return this.#state;
    }
    try {
      const movedTo = await setAside(this.path);
      this.#signature = MISSING;
      this.#log.warn({ path: this.path, moved_to: movedTo, reason: parsed.reason }, `state file ${parsed.reason}; moved it to ${movedTo} and starting empty`);
    } catch (error) {
      this.#blocked = new StateFileError(`${this.path} ${parsed.reason} and cannot be moved aside: ${systemErrorMessage(error)}`, this.path, { cause: error });
      this.#log.warn({ path: this.path, reason: parsed.reason, err: error }, "state file unusable and could not be moved aside; using empty state and not saving");
    }
    return this.#state;
  }

  #parse(text: string): { ok: true; state: T } | { ok: false; reason: string } {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return { ok: false, reason: `is not valid JSON (${systemErrorMessage(error)})` };
    }
    const version = typeof raw === "object" && raw !== null ? (raw as { version?: unknown }).version : undefined;
    if (typeof version === "number" && version !== this.#options.version) {
      return { ok: false, reason: `has version ${version}, this takopi reads version ${this.#options.version}` };
    }
    const checked = this.#options.schema.safeParse(raw);
    if (!checked.success) return { ok: false, reason: `does not have the expected shape (${firstIssue(checked.error)})` };
    return { ok: true, state: checked.data };
  }
}

/**
 * JSON as upstream takopi writes its state (Python `json.dumps(indent=2,
 * sort_keys=True)` plus a newline). Hand-rolled because JSON.stringify keeps
 * insertion order, and a rebuilt object would still put integer-like keys
 * (chat ids) first.
 */
export function serializeState(value: unknown): string {
  return `${encode(value, "")}\n`;
}

function encode(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const inner = `${indent}  `;
    return `[\n${value.map((item: unknown) => inner + encode(item ?? null, inner)).join(",\n")}\n${indent}]`;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return "{}";
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const inner = `${indent}  `;
    return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${encode(item, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/**
 * Moves `path` to `<path>.corrupt-<UTC timestamp>` without ever replacing an
 * existing file: hard-link to a free name (fails if taken), then unlink the
 * original. Filesystems without hard links fall back to check-then-rename.
 */
async function setAside(path: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, "");
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const target = `${path}.corrupt-${stamp}${attempt === 0 ? "" : `-${attempt}`}`;
    try {
      await link(path, target);
      await unlink(path);
      return target;
    } catch (error) {
      if (isErrorCode(error, "EEXIST")) continue;
      if (!isErrorCode(error, "EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV")) throw error;
    }
    if (await exists(target)) continue;
    await rename(path, target);
    return target;
  }
  throw new Error(`no free name for ${path}.corrupt-${stamp}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isErrorCode(error, "ENOENT")) return false;
    throw error;
  }
}

/** Device and inode catch a rename over the file; size and mtime catch an edit in place. */
function signatureOf(stats: BigIntStats): Signature {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  return issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message;
}

