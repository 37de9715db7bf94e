/**
 * The Telegram bridge: connects to the Bot API, builds the
 * pieces — engines, state, scheduler, router, command menu — and polls until
 * told to stop, then shuts down without losing anything: held prompts run,
 * running engines are cancelled (their messages show `cancelled` with the
 * resume line), queued messages are sent, and handled updates are confirmed
 * to Telegram so none is delivered again.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { UserFromGetMe } from "grammy/types";
import { transportConfig, type LoadedConfig } from "../config/load.js";
import { plainPromptTarget } from "../core/plain-prompt.js";
import { recoverInterruptedRuns } from "../core/recovery.js";
import { RUN_JOURNAL_FILE, RunJournal } from "../core/run-journal.js";
import { ThreadScheduler } from "../core/scheduler.js";
import { UsageTotals } from "../core/usage.js";
import { EngineCatalogue } from "../engines/catalogue.js";
import { logFormat } from "../logging/settings.js";
import { pluginConfig } from "../config/load.js";
import type { TransportContext } from "../plugins/types.js";
import type { Logger } from "../util/log.js";
import { systemClock } from "../util/clock.js";
import { takopiVersion } from "../util/version.js";
import { AccessGate, accessPolicy } from "./access.js";
import { BotApiError } from "./bot-api.js";
import { TelegramClient } from "./client.js";
import { buildCommandMenu } from "./command-menu.js";
import { describeError } from "./errors.js";
import { UpdatePoller, type BacklogSummary } from "./polling.js";
import { knownSecrets } from "../secrets/config.js";
import { redactingLogger } from "../secrets/log.js";
import { Redactor } from "../secrets/redactor.js";
import { MessageRouter } from "./router.js";
import { runtimeViews } from "./runtime.js";
import type { BridgeServices } from "./services.js";
import { startupMessage } from "./startup-message.js";
import { openTelegramState, stateDirFor } from "./state/index.js";
import { telegramSurface } from "./surface.js";
import { scopeLabel, topicsScope } from "./topics/settings.js";
import { botApiFacts, topicsProblems } from "./topics/validate.js";

/** How long running engines get to show `cancelled` at shutdown before we stop waiting. */
const SHUTDOWN_RUNS_MS = 10_000;
/** How long queued messages get to go out at shutdown (finals first: they were queued first). */
const SHUTDOWN_OUTBOX_MS = 15_000;
/** Health file writes at most this often; the long poll makes one every 25 s anyway. */
const HEALTH_INTERVAL_MS = 5_000;

export async function runTelegramBridge(context: TransportContext): Promise<number> {
  const startedAt = Date.now();
  // Every component reads the config in force through a getter, so a hot reload reaches it without being told.
  const config = (): LoadedConfig => context.config.current();
  const telegramConfig = () => transportConfig(config(), "telegram");
  let configLoadedAt = startedAt;
  // The connection's settings: a change to them needs a restart (config/watch.ts says so).
  const telegram = telegramConfig();
  // One set of known secrets for the chat, the logs and engine stderr; a reload adds the new config's.
  const redactor = Redactor.of(knownSecrets(process.env, config().raw)).add("bot_token", telegram.bot_token);
  const log = redactingLogger(context.log, redactor);
  const retryMaxMs = retryMaxFromEnv(log);
  const client = new TelegramClient({
    token: telegram.bot_token,
    apiRoot: telegram.api_root,
    log,
    redactor,
    ...(retryMaxMs === undefined ? {} : { outbox: { backoff: { maxMs: retryMaxMs } } }),
  });

  const refuse = async (event: string, problems: readonly string[]): Promise<number> => {
    for (const problem of problems) {
      log.error({ event }, problem);
      // The plain line for a person; with TAKOPI_LOG_FORMAT=json the log line above says it.
      if (logFormat() === "console") process.stderr.write(`takopi: ${problem}\n`);
    }
    await client.close({ drain: false });
    return 1;
  };
  const me = await connect(client, log, context.signal);
  if (me === null) return 0;
  if (typeof me === "string") return refuse("telegram.connect_failed", [me]);
  log.info({ event: "telegram.connected", bot: me.username, api_root: telegram.api_root }, `connected as @${me.username}`);
  // Topics that cannot work are a configuration mistake: say what to fix in Telegram, one line each.
  const topicProblems = await topicsProblems(topicsScope(config()), botApiFacts(client.api, me.id));
  if (topicProblems.length > 0) return refuse("topics.invalid", topicProblems);

  const defaultEngine = (): string => context.defaultEngineOverride ?? config().settings.default_engine;
  const engines = new EngineCatalogue({ plugins: context.plugins, log, redactor });
  await engines.refresh(config());

  const state = openTelegramState(config().path, { log });
  if (telegram.session_mode === "chat") await state.chatSessions.syncCwd();

  // Runs a takopi killed without warning left behind: their engines are stopped and their messages say so.
  const surface = telegramSurface(client);
  const journal = new RunJournal({ path: join(stateDirFor(config().path), RUN_JOURNAL_FILE), log });
  await recoverInterruptedRuns({ journal, surface, log });

  // Per-chat usage since start, for plugins (`BridgeRuntime.usage`, `/status`).
  const usage = new UsageTotals();
  const scheduler = new ThreadScheduler({
    surface,
    finalNotify: context.finalNotify,
    overflow: () => telegramConfig().message_overflow,
    stallNoticeS: () => config().settings.stall_notice_s,
    showUsage: () => telegramConfig().show_usage,
    usage,
    journal,
    log,
  });

  // Stopping: a signal (SIGINT/SIGTERM) or a plugin asking (`/reload`).
  const stop = new AbortController();
  const onSignal = (): void => {
    stop.abort();
  };
  context.signal.addEventListener("abort", onSignal, { once: true });
  if (context.signal.aborted) stop.abort();
  let exitCode = 0;
  let polling: Promise<void> = Promise.resolve();

  const views = runtimeViews({
    version: takopiVersion(),
    startedAt,
    config,
    configLoadedAt: () => configLoadedAt,
    defaultEngine,
    engines,
    scheduler,
    usage,
    client,
    services: () => services,
    stopping: stop.signal,
    log,
    async shutdown(code, reason) {
      if (!stop.signal.aborted) {
        log.info({ event: "telegram.shutdown_requested", exit_code: code, reason }, `shutting down: ${reason}`);
        exitCode = code;
        stop.abort();
      }
      await polling;
    },
  });

  const services: BridgeServices = {
    client,
    scheduler,
    engines,
    chatSessions: state.chatSessions,
    chatPrefs: state.chatPrefs,
    topics: state.topics,
    plugins: context.plugins,
    runtime: views.base,
    runtimeFor: (pluginId) => views.forPlugin(pluginId),
    config,
    defaultEngine,
    botUsername: me.username,
    log,
  };
  const router = new MessageRouter(services);
  const gate = new AccessGate({
    policy: () => accessPolicy(telegramConfig(), config().settings.projects),
    // A button press left unanswered keeps spinning on the presser's phone. In a chat the bot serves (so no
    // secret is given away) an unlisted member is told why nothing happened; a stranger's chat still gets nothing.
    onRefused: (update, reason) => {
      // A press is answered in any chat: the button is the bot's own, so answering gives nothing away.
      if (update.kind === "callback") void client.answerCallbackQuery(update.id, { text: reason === "sender" ? "only allowed users can use this button." : "this button does not work in this chat." });
    },
    log,
  });

  await publishMenu(services);
  const unsubscribe = context.config.onChange((next) => {
    configLoadedAt = Date.now();
    redactor.addAll(knownSecrets(process.env, next.raw));
    void engines.refresh(next).then(
      () => publishMenu(services),
      (error: unknown) => {
        log.error({ event: "telegram.reload_failed", err: error }, "applying the reloaded config failed");
      },
    );
  });

  const poller = new UpdatePoller({
    api: client.api,
    stateDir: stateDirFor(config().path),
    handle: (update, saved) => {
      router.handle(update, saved);
    },
    admit: (update) => gate.admit(update),
    backlogMaxAgeS: () => telegramConfig().backlog_max_age_s,
    onPolled: healthBeat(log),
    ...(retryMaxMs === undefined ? {} : { retryDelayMs: Math.min(2_000, retryMaxMs), maxRetryDelayMs: retryMaxMs }),
    onBacklogDrained: (backlog) => {
      void announce(services, backlog).then(() => runStartupHooks(services));
    },
    log,
  });
  polling = poller.run(stop.signal);
  try {
    await polling;
  } finally {
    unsubscribe();
    context.signal.removeEventListener("abort", onSignal);
    await shutDown(router, scheduler, client, engines, log);
  }
  return exitCode;
}

/** getMe until it answers: a refused token is fatal, a network failure is retried (the server may boot before its network). */
/** The bot, or why it cannot connect (a sentence), or null when stopped while retrying. */
async function connect(client: TelegramClient, log: Logger, signal: AbortSignal): Promise<UserFromGetMe | string | null> {
  let delayMs = 2_000;
  while (!signal.aborted) {
    try {
      return await client.api.getMe();
    } catch (error) {
      if (error instanceof BotApiError && (error.error_code === 401 || error.error_code === 404)) {
        return `Telegram refused the bot token (${error.error_code} ${error.description}); check transports.telegram.bot_token (from @BotFather)`;
      }
      log.warn({ event: "telegram.connect_retry", error: describeError(error), retry_in_ms: delayMs }, "cannot reach the Telegram Bot API yet; retrying");
      await systemClock.sleep(delayMs, signal);
      delayMs = Math.min(delayMs * 2, 30_000);
    }
  }
  return null;
}

async function shutDown(router: MessageRouter, scheduler: ThreadScheduler, client: TelegramClient, engines: EngineCatalogue, log: Logger): Promise<void> {
  await router.close(SHUTDOWN_RUNS_MS / 2);
  const affected = scheduler.cancelAll();
  if (affected > 0) log.info({ event: "telegram.shutdown_cancelling", runs: affected }, "cancelling runs for shutdown");
  if (!(await scheduler.waitIdle(SHUTDOWN_RUNS_MS))) log.warn({ event: "telegram.shutdown_runs_timeout" }, "some runs did not finish before shutdown");
  // Long-lived engine processes (codex app-server): stdin EOF, then the tree is killed after a grace period.
  await engines.shutdown();
  await client.close({ drain: true, timeoutMs: SHUTDOWN_OUTBOX_MS });
  log.info({ event: "telegram.stopped" }, "Telegram bridge stopped");
}

/** The `/` menu: at start-up and after each reload. Failures are logged by the client. */
async function publishMenu(services: BridgeServices): Promise<void> {
  const config = services.config();
  const { commands, truncated } = buildCommandMenu({
    engines: services.engines.available(),
    projectAliases: Object.keys(config.settings.projects),
    plugins: services.plugins.entries("command").map((entry) => ({ id: entry.id, description: entry.description })),
    topicsEnabled: topicsScope(config).enabled,
    filesEnabled: transportConfig(config, "telegram").files.enabled,
  });
  if (truncated > 0) services.log.warn({ event: "telegram.menu_truncated", dropped: truncated }, "command menu over Telegram's limit of 100; some entries left out");
  await services.client.setMyCommands(commands);
}

/** The startup message to the main chat. */
async function announce(services: BridgeServices, backlog: BacklogSummary): Promise<void> {
  const config = services.config();
  const telegram = transportConfig(config, "telegram");
  const message = startupMessage({
    defaultEngine: services.defaultEngine(),
    available: services.engines.available(),
    unavailable: services.engines.describeUnavailable(),
    projects: Object.keys(config.settings.projects),
    sessionMode: telegram.session_mode,
    showResumeLine: telegram.show_resume_line,
    topics: topicsScope(config).enabled ? `enabled (scope=${scopeLabel(topicsScope(config))})` : "disabled",
    cwd: process.cwd(),
    plainPrompts: plainPromptTarget(config.settings, telegram.chat_id),
    backlog,
    files: telegram.files.enabled ? `on${telegram.files.auto_put ? ` (auto-put: ${telegram.files.auto_put_mode})` : ""}` : "off",
    voiceModel: telegram.voice_transcription ? telegram.voice_transcription_model : null,
  });
  await services.client.sendMessage(telegram.chat_id, message.text, { entities: message.entities, notify: false });
}

/** Commands that asked to hear about start-up (`"startup": true`): imported now, each hook isolated. */
async function runStartupHooks(services: BridgeServices): Promise<void> {
  for (const entry of services.plugins.entries("command").filter((candidate) => candidate.startup)) {
    const loaded = await services.plugins.tryLoad("command", entry.id);
    if (!loaded.ok) {
      services.log.warn({ event: "plugin.startup_load_failed", command: entry.id }, loaded.error);
      continue;
    }
    const log = services.log.child({ command: entry.id });
    try {
      const runtime = services.runtimeFor(entry.id);
      await loaded.backend.started?.({ runtime, executor: runtime.executor, pluginConfig: pluginConfig(services.config(), entry.id), log });
    } catch (error) {
      log.error({ event: "plugin.startup_failed", err: error }, "a command's started hook failed");
    }
  }
}

/**
 * `TAKOPI_HEALTH_FILE`: touched after every answered getUpdates, so a
 * container health check can tell a polling bridge from a stuck one.
 */
function healthBeat(log: Logger): (() => void) | undefined {
  const path = process.env.TAKOPI_HEALTH_FILE;
  if (path === undefined || path === "") return undefined;
  let last = 0;
  let failing = false;
  return () => {
    const now = Date.now();
    if (now - last < HEALTH_INTERVAL_MS) return;
    last = now;
    writeFile(path, `${new Date(now).toISOString()}\n`).then(
      () => {
        failing = false;
      },
      (error: unknown) => {
        if (!failing) log.warn({ event: "telegram.health_file_failed", path, error: describeError(error) }, "cannot write the health file");
        failing = true;
      },
    );
  };
}

/**
 * `TAKOPI_TELEGRAM_RETRY_MAX_MS`: the longest wait between tries while
 * Telegram is unreachable, for the outbox and for polling (default 30 s).
 * Lower, Telegram's return is noticed sooner at the cost of more requests.
 */
function retryMaxFromEnv(log: Logger): number | undefined {
  const text = process.env.TAKOPI_TELEGRAM_RETRY_MAX_MS;
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (Number.isSafeInteger(value) && value >= 100) return value;
  log.warn({ event: "config.bad_env", name: "TAKOPI_TELEGRAM_RETRY_MAX_MS", value: text }, "TAKOPI_TELEGRAM_RETRY_MAX_MS is not a whole number of milliseconds ≥ 100; ignored");
  return undefined;
}
