/**
 * Turns discovered plugin entries into backends, importing a module only when
 * its plugin is first used (routed to, invoked, or `takopi plugins --load`).
 * A plugin that fails to import or has the wrong shape is reported and
 * skipped; it never takes the bridge or the CLI down with it.
 */
import { pathToFileURL } from "node:url";
import type { EngineBackend } from "../engines/backend.js";
import type { PluginCatalog, PluginEntry, PluginProblem } from "./discover.js";
import type { PluginKind } from "./manifest.js";
import type { CommandBackend, TransportBackend } from "./types.js";

export interface BackendOf {
  engine: EngineBackend;
  transport: TransportBackend;
  command: CommandBackend;
}

/** A plugin could not be used; `message` is one line for the user. */
export class PluginLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PluginLoadError";
  }
}

export type LoadOutcome<K extends PluginKind> = { ok: true; backend: BackendOf[K] } | { ok: false; error: string };

/** Members each kind must have, with the `typeof` they must be. */
const REQUIRED_MEMBERS: Record<PluginKind, readonly (readonly [string, "string" | "function" | "object"])[]> = {
  engine: [
    ["cliCommand", "string"],
    ["installHint", "string"],
    ["configSchema", "object"],
    ["prepareRun", "function"],
    ["createTranslator", "function"],
    ["formatResume", "function"],
    ["extractResume", "function"],
    ["isResumeLine", "function"],
  ],
  transport: [
    ["description", "string"],
    ["lockToken", "function"],
    ["run", "function"],
  ],
  command: [
    ["description", "string"],
    ["handle", "function"],
  ],
};

export interface RegistryOptions {
  /** How a module is imported (tests count imports through this). */
  importModule?: (url: string) => Promise<unknown>;
}

export class PluginRegistry {
  readonly catalog: PluginCatalog;
  readonly #importModule: (url: string) => Promise<unknown>;
  readonly #loads = new Map<PluginEntry, Promise<LoadOutcome<PluginKind>>>();
  readonly #loadProblems = new Map<PluginEntry, PluginProblem>();

  constructor(catalog: PluginCatalog, options: RegistryOptions = {}) {
    this.catalog = catalog;
    this.#importModule = options.importModule ?? ((url) => import(url));
  }

  /** Entries of one kind; disabled ones only when asked for. */
  entries(kind: PluginKind, options: { includeDisabled?: boolean } = {}): PluginEntry[] {
    return this.catalog.entries.filter((entry) => entry.kind === kind && (entry.enabled || options.includeDisabled === true));
  }

  /** Ids of the enabled plugins of one kind, sorted. */
  ids(kind: PluginKind): string[] {
    return this.entries(kind).map((entry) => entry.id);
  }

  find(kind: PluginKind, id: string): PluginEntry | undefined {
    return this.catalog.entries.find((entry) => entry.kind === kind && entry.id === id);
  }

  /** Discovery problems plus every load that failed so far. */
  problems(): PluginProblem[] {
    return [...this.catalog.problems, ...this.#loadProblems.values()];
  }

  /** The backend, or a PluginLoadError saying why it cannot be used. */
  async load<K extends PluginKind>(kind: K, id: string): Promise<BackendOf[K]> {
    const outcome = await this.tryLoad(kind, id);
    if (!outcome.ok) throw new PluginLoadError(outcome.error);
    return outcome.backend;
  }

  async tryLoad<K extends PluginKind>(kind: K, id: string): Promise<LoadOutcome<K>> {
    const entry = this.find(kind, id);
    if (!entry) {
      const available = this.ids(kind);
      return { ok: false, error: `unknown ${kind} '${id}'; available: ${available.length > 0 ? available.join(", ") : "none"}` };
    }
    if (!entry.enabled) {
      return { ok: false, error: `${kind} '${id}' comes from ${entry.packageName}, which is not in [plugins] enabled` };
    }
    let pending = this.#loads.get(entry);
    if (!pending) {
      pending = this.#loadEntry(entry);
      this.#loads.set(entry, pending);
    }
    return (await pending) as LoadOutcome<K>;
  }

  /** Loads every enabled plugin (for `takopi plugins --load`); failures end up in `problems()`. */
  async loadAll(): Promise<void> {
    for (const entry of this.catalog.entries) {
      if (entry.enabled) await this.tryLoad(entry.kind, entry.id);
    }
  }

  async #loadEntry(entry: PluginEntry): Promise<LoadOutcome<PluginKind>> {
    const fail = (message: string): LoadOutcome<PluginKind> => {
      this.#loadProblems.set(entry, { kind: entry.kind, id: entry.id, packageName: entry.packageName, message });
      return { ok: false, error: `${entry.kind} '${entry.id}' from ${entry.packageName}: ${message}` };
    };
    let module: unknown;
    try {
      module = await this.#importModule(pathToFileURL(entry.modulePath).href);
    } catch (error) {
      return fail(`failed to load: ${describeError(error)}`);
    }
    const backend = defaultExport(module);
    if (backend === undefined) return fail("the module has no default export");
    const problem = shapeProblem(entry, backend);
    if (problem !== null) return fail(problem);
    return { ok: true, backend: backend as BackendOf[PluginKind] };
  }
}

function defaultExport(module: unknown): unknown {
  if (typeof module !== "object" || module === null || !("default" in module)) return undefined;
  return (module).default;
}

/** Why `backend` cannot be the `entry.kind` backend named `entry.id`, or null. */
function shapeProblem(entry: PluginEntry, backend: unknown): string | null {
  if (typeof backend !== "object" || backend === null) {
    return `the default export must be a ${entry.kind} backend object, found ${backend === null ? "null" : typeof backend}`;
  }
  const record = backend as Record<string, unknown>;
  if (record.id !== entry.id) {
    return `${entry.kind} id ${JSON.stringify(record.id)} does not match its manifest key '${entry.id}'`;
  }
  const missing = REQUIRED_MEMBERS[entry.kind]
    .filter(([name, type]) => typeof record[name] !== type || record[name] === null)
    .map(([name, type]) => `${name} (${type})`);
  if (missing.length > 0) return `the ${entry.kind} backend is missing ${missing.join(", ")}`;
  return null;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const firstLine = error.message.split("\n")[0] ?? "";
    return `${error.name}: ${firstLine}`;
  }
  return String(error);
}
