/**
 * `takopi run` (also plain `takopi` and `takopi <engine>`): start the bridge
 * Everything that can be checked before the transport starts is
 * checked here, so a mistake is one clear line and a non-zero exit rather than
 * a bridge that starts and then fails on the first message.
 */
import { ConfigError } from "../config/errors.js";
import { resolveConfigPath, type LoadedConfig } from "../config/load.js";
import { checkEngine } from "../engines/availability.js";
import { PluginLoadError } from "../plugins/registry.js";
import type { ConfigSource } from "../plugins/types.js";
import { acquireInstanceLock, LockError, lockPathFor, type InstanceLock } from "./lock.js";
import { configSecrets } from "../secrets/config.js";
import { envSecrets } from "../secrets/names.js";
import { Redactor } from "../secrets/redactor.js";
import { tuneHeapForBridge } from "../engines/heap.js";
import { openDebugLogFile, type LogFileResult } from "../logging/file.js";
import { logFile } from "../logging/settings.js";
import { createLogger, type Logger } from "../util/log.js";
import { takopiVersion } from "../util/version.js";
import { UsageError } from "./errors.js";
import { loadSetup } from "./setup.js";

export interface RunCommandOptions {
  config?: string;
  engine?: string;
  transport?: string;
  finalNotify?: boolean;
  debug?: boolean;
}

export async function runCommand(options: RunCommandOptions): Promise<number> {
  tuneHeapForBridge();
  // Every log line is redacted: the environment's secrets now, the config's once it is read.
  const secrets = Redactor.of(envSecrets(process.env));
  // --debug: debug level, and a JSON log file even when TAKOPI_LOG_FILE names none (upstream's debug.log).
  const debugFile = options.debug === true && logFile() === null ? openDebugLogFile(resolveConfigPath(options.config)) : undefined;
  const log = createLogger({ ...(options.debug === true ? { level: "debug" } : {}), redactor: secrets, ...(debugFile === undefined ? {} : { file: debugFile }) });
  if (debugFile !== undefined) logDebugFile(log, debugFile);
  let setup;
  try {
    setup = await loadSetup(options);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, 1);
    throw error;
  }
  const { config, plugins, configPath } = setup;
  secrets.addAll(configSecrets(config.raw));
  for (const warning of config.warnings) log.warn({ event: "config.warning" }, warning);
  for (const problem of plugins.problems()) {
    log.warn({ event: "plugins.problem", kind: problem.kind, id: problem.id, package: problem.packageName }, problem.message);
  }

  const transportId = options.transport ?? config.settings.transport;
  let transport;
  try {
    transport = await plugins.load("transport", transportId);
  } catch (error) {
    if (error instanceof PluginLoadError) throw new UsageError(error.message, 1);
    throw error;
  }

  // The default engine must be usable; other engines may be missing (they are
  // reported when someone asks for them).
  const engineIds = plugins.ids("engine");
  const defaultEngine = options.engine ?? config.settings.default_engine;
  if (!engineIds.includes(defaultEngine)) {
    throw new UsageError(`unknown default engine '${defaultEngine}'; available: ${engineIds.join(", ") || "none"}`, 1);
  }
  const engine = await checkEngine(plugins, config, defaultEngine);
  if (engine.status !== "ok") throw new UsageError(`default engine ${defaultEngine}: ${engine.detail}\n${engine.fix}`, 1);

  let lock: InstanceLock;
  try {
    lock = await acquireInstanceLock(lockPathFor(configPath), transport.lockToken(config));
  } catch (error) {
    if (error instanceof LockError) throw new UsageError(error.message, 1);
    throw error;
  }

  const stop = new AbortController();
  let exitOnSignal = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) {
      // A second Ctrl-C means "now": the exit hook still kills engine process groups.
      log.warn({ event: "shutdown.forced", signal }, "second signal, exiting now");
      process.exit(130);
    }
    log.info({ event: "shutdown.requested", signal }, "shutting down");
    exitOnSignal = signal === "SIGINT" ? 130 : 0;
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const source = await configSource(config, engineIds, log);
  source.source.onChange((next) => secrets.addAll(configSecrets(next.raw)));
  // The process lives as long as the transport runs, even if the transport is
  // momentarily waiting on nothing Node counts as pending (only a signal).
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    const projects = Object.keys(config.settings.projects).length;
    log.info(
      { event: "takopi.starting", version: takopiVersion(), config: configPath, transport: transport.id, engine: defaultEngine, engines: engineIds.join(","), projects },
      `takopi ${takopiVersion()} starting: ${transport.id}, default engine ${defaultEngine}, ${projects} project${projects === 1 ? "" : "s"}`,
    );
    const code = await transport.run({
      config: source.source,
      plugins,
      defaultEngineOverride: options.engine ?? null,
      finalNotify: options.finalNotify ?? true,
      log,
      signal: stop.signal,
    });
    return stop.signal.aborted ? exitOnSignal : code;
  } finally {
    clearInterval(keepAlive);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await source.close();
    await lock.release();
  }
}

/** Says where `--debug`'s file went (or why there is none): a start-up line. */
function logDebugFile(log: Logger, result: LogFileResult): void {
  if (result.file === null) {
    log.warn({ event: "log.file_failed" }, `${result.problem}; debug lines go to the console only`);
    return;
  }
  const instead = result.fallbackFrom === null ? "" : ` (not ${result.fallbackFrom.path}: ${result.fallbackFrom.reason})`;
  log.info({ event: "log.file", path: result.file.path }, `writing debug logs as JSON lines to ${result.file.path}${instead}`);
}

/** The live config: fixed, or hot-reloaded when `watch_config = true`. */
async function configSource(initial: LoadedConfig, engineIds: readonly string[], log: Logger): Promise<{ source: ConfigSource; close(): Promise<void> }> {
  const listeners = new Set<(next: LoadedConfig) => void>();
  let current = initial;
  const source: ConfigSource = {
    current: () => current,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  if (!initial.settings.watch_config) return { source, close: async () => {} };

  const { watchConfig } = await import("../config/watch.js");
  const watcher = await watchConfig({
    path: initial.path,
    initial,
    engineIds,
    log,
    onReload(next) {
      current = next;
      for (const listener of listeners) {
        try {
          listener(next);
        } catch (error) {
          log.error({ event: "config.reload.listener_failed", err: error }, "a config reload listener failed");
        }
      }
    },
  });
  return { source, close: () => watcher.close() };
}
