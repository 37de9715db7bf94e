/**
 * Hot reload of takopi.toml (`watch_config = true`).
 *
 * The config's directory is watched, not the file: editors save by writing a
 * temp file and renaming it over the original, which a watch on the old inode
 * would miss. A reload that fails validation is logged and changes nothing;
 * transport settings are never swapped under a running bot, only reported as
 * needing a restart.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { watch, type FSWatcher } from "chokidar";
import { errorMessage } from "../util/errors.js";
import type { Logger } from "../util/log.js";
import { ConfigError } from "./errors.js";
import { loadConfigText, type LoadedConfig } from "./load.js";
import { isTable, type TomlTable } from "./toml-keys.js";

export interface ConfigChange {
  /** Dotted keys under `transport`/`transports` that changed and were NOT applied: they need a restart. */
  restartRequired: string[];
}

export interface WatchConfigOptions {
  path: string;
  /** The config takopi started with; it stays in force until a valid edit replaces it. */
  initial: LoadedConfig;
  engineIds?: readonly string[];
  log: Logger;
  /** Called after each applied reload, one at a time; a throw is logged, not fatal. */
  onReload(next: LoadedConfig, change: ConfigChange): void | Promise<void>;
  /** Source of `TAKOPI__*` overrides, as for the first load; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface ConfigWatcher {
  /** The config in force: the last valid one, with the transport settings takopi started with. */
  current(): LoadedConfig;
  close(): Promise<void>;
}

/** Editors write in bursts (truncate, write, rename, chmod); one reload per burst. */
const DEBOUNCE_MS = 150;

/**
 * The transport settings as dotted key → value text. Compared after defaults
 * are filled in, so writing out a default explicitly is not a change.
 */
function transportKeys(config: LoadedConfig): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (value: unknown, path: string) => {
    if (isTable(value)) {
      for (const [key, item] of Object.entries(value)) walk(item, path === "" ? key : `${path}.${key}`);
      return;
    }
    out.set(path, JSON.stringify(value));
  };
  walk({ transport: config.settings.transport, transports: config.settings.transports }, "");
  return out;
}

function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((key) => before.get(key) !== after.get(key)).sort();
}

/** `next` with the transport settings of `running` put back: those are not swapped under a live bot. */
function keepTransport(next: LoadedConfig, running: LoadedConfig): LoadedConfig {
  const raw: TomlTable = { ...next.raw };
  for (const key of ["transport", "transports"]) {
    if (Object.hasOwn(running.raw, key)) raw[key] = running.raw[key];
    else Reflect.deleteProperty(raw, key);
  }
  return {
    ...next,
    raw,
    settings: { ...next.settings, transport: running.settings.transport, transports: running.settings.transports },
  };
}

type Status = { kind: "ok" } | { kind: "missing" } | { kind: "unreadable" | "invalid"; message: string };

/** Starts watching; resolves once the watcher is ready, so an edit made right after is seen. */
export async function watchConfig(options: WatchConfigOptions): Promise<ConfigWatcher> {
  const file = resolve(options.path);
  const dir = dirname(file);
  const { log } = options;
  const env = options.env ?? process.env;

  let running = options.initial;
  // The last successfully loaded table as the file said it, before the transport was pinned.
  let lastRaw = options.initial.raw;
  let lastSignature: string | null = null;
  let status: Status = { kind: "ok" };
  let timer: NodeJS.Timeout | null = null;
  let queue: Promise<void> = Promise.resolve();
  let closed = false;

  const setStatus = (next: Status, report: () => void) => {
    if (isDeepStrictEqual(next, status)) return;
    status = next;
    report();
  };

  const reload = async (): Promise<void> => {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") {
        setStatus({ kind: "missing" }, () => {
          log.warn({ event: "config.missing", path: file }, `config file ${file} is gone; keeping the last good config`);
        });
      } else {
        const message = errorMessage(error);
        setStatus({ kind: "unreadable", message }, () => {
          log.warn({ event: "config.unreadable", path: file }, `cannot read ${file} (${message}); keeping the last good config`);
        });
      }
      lastSignature = null;
      return;
    }

    const signature = createHash("sha256").update(bytes).digest("hex");
    if (signature === lastSignature) {
      log.debug({ event: "config.unchanged", path: file }, "config file rewritten with the same content");
      return;
    }
    lastSignature = signature;

    let next: LoadedConfig;
    try {
      next = loadConfigText(bytes.toString("utf8"), file, { env, ...(options.engineIds === undefined ? {} : { engineIds: options.engineIds }) });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      setStatus({ kind: "invalid", message: error.message }, () => {
        log.warn({ event: "config.invalid", path: file }, `config edit rejected, keeping the last good config: ${error.message}`);
      });
      return;
    }
    const recovered = status.kind !== "ok";
    status = { kind: "ok" };

    if (isDeepStrictEqual(next.raw, lastRaw)) {
      // Comments or formatting only, or back to the content in force.
      if (recovered) log.info({ event: "config.restored", path: file }, "config file is valid again; nothing changed");
      else log.debug({ event: "config.unchanged", path: file }, "config edit changes no setting");
      return;
    }
    lastRaw = next.raw;

    for (const warning of next.warnings) log.warn({ event: "config.warning", path: file }, warning);
    const restartRequired = changedKeys(transportKeys(running), transportKeys(next));
    const applied = restartRequired.length > 0 ? keepTransport(next, running) : next;
    if (restartRequired.length > 0) {
      log.warn(
        { event: "config.restart_required", path: file, keys: restartRequired },
        `transport settings changed (${restartRequired.join(", ")}); restart takopi to apply them`,
      );
    }
    running = applied;
    log.info({ event: "config.reloaded", path: file }, "config reloaded");
    try {
      await options.onReload(applied, { restartRequired });
    } catch (error) {
      log.error({ event: "config.reload_failed", path: file, err: error }, "applying the reloaded config failed");
    }
  };

  const schedule = () => {
    if (closed) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      queue = queue.then(reload).catch((error: unknown) => {
        log.error({ event: "config.reload_failed", path: file, err: error }, "config reload failed");
      });
    }, DEBOUNCE_MS);
  };

  // CHOKIDAR_USEPOLLING is read by chokidar itself (for network and container filesystems).
  const watcher: FSWatcher = watch(dir, {
    depth: 0,
    ignoreInitial: true,
    ignored: (path: string) => {
      const absolute = resolve(path);
      return absolute !== dir && absolute !== file;
    },
  });
  watcher.on("all", (event, path) => {
    if ((event === "add" || event === "change" || event === "unlink") && resolve(path) === file) schedule();
  });
  watcher.on("error", (error) => {
    log.warn({ event: "config.watch_error", path: file, err: error }, "config watcher error");
  });
  await new Promise<void>((resolveReady) => {
    watcher.once("ready", () => {
      resolveReady();
    });
  });
  // The file may have changed between the first load and the watcher starting.
  schedule();

  return {
    current: () => running,
    async close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await watcher.close();
      await queue;
    },
  };
}
