/**
 * The BridgeRuntime command plugins get: read-only views of the
 * config, projects, engines and runs, plus what a plugin may do to the
 * bridge — cancel a run, send (with buttons) to an allowed chat, edit, start
 * engine runs (executor.ts), shut down. Each plugin gets a view of its own
 * (`RuntimeViews.forPlugin`), so its buttons carry its id and a press comes
 * back to it (plugin-buttons.ts).
 */
import { transportConfig, type LoadedConfig } from "../config/load.js";
import type { ThreadScheduler } from "../core/scheduler.js";
import type { UsageTotals } from "../core/usage.js";
import type { EngineCatalogue } from "../engines/catalogue.js";
import type { MessageRef, SendOptions } from "../core/chat.js";
import type { BridgeRuntime, ProjectInfo, RunExecutor } from "../plugins/types.js";
import type { Logger } from "../util/log.js";
import type { TelegramClient } from "./client.js";
import { isAllowedChat, telegramExecutor, type ExecutorPlace } from "./executor.js";
import { pluginKeyboard } from "./plugin-buttons.js";
import { CLEAR_MARKUP } from "./render.js";
import type { BridgeServices } from "./services.js";

export interface RuntimeOptions {
  version: string;
  startedAt: number;
  config(): LoadedConfig;
  configLoadedAt(): number;
  defaultEngine(): string;
  engines: EngineCatalogue;
  scheduler: ThreadScheduler;
  /** Fed by the scheduler as runs complete. */
  usage: UsageTotals;
  client: TelegramClient;
  /** The bridge's services, for the executor (built after the runtime, which they carry). */
  services(): BridgeServices;
  /** Begins the shutdown; resolves once polling stopped and handled updates are confirmed. */
  shutdown(exitCode: number, reason: string): Promise<void>;
  /** Aborted when the bridge begins to stop (plugin runs are cancelled then). */
  stopping: AbortSignal;
  log: Logger;
}

/** A plugin's runtime, plus its executor bound to a place (a command's or button's chat and topic). */
export interface PluginRuntime extends BridgeRuntime {
  executorAt(place: ExecutorPlace): RunExecutor;
}

/** The bridge's own runtime view and one per plugin (made on first use). */
export interface RuntimeViews {
  /** No plugin's: it cannot put buttons under messages. */
  base: PluginRuntime;
  forPlugin(pluginId: string): PluginRuntime;
}

export function runtimeViews(options: RuntimeOptions): RuntimeViews {
  const views = new Map<string, PluginRuntime>();
  return {
    base: bridgeRuntime(options, null),
    forPlugin(pluginId) {
      let view = views.get(pluginId);
      if (view === undefined) {
        view = bridgeRuntime(options, pluginId);
        views.set(pluginId, view);
      }
      return view;
    },
  };
}

export function bridgeRuntime(options: RuntimeOptions, pluginId: string | null = null): PluginRuntime {
  const telegram = () => transportConfig(options.config(), "telegram");
  const log = pluginId === null ? options.log : options.log.child({ plugin: pluginId });
  const keyboard = (buttons: SendOptions["buttons"]) => {
    if (buttons === undefined) return undefined;
    if (pluginId === null) throw new Error("buttons need a plugin's own runtime (the one in its CommandContext)");
    return pluginKeyboard(pluginId, buttons);
  };
  const refused = (chatId: number): boolean => {
    // Plugins speak for the bot only where the bot may speak: never into a chat it refuses.
    if (isAllowedChat({ config: () => options.config() }, chatId)) return false;
    log.warn({ event: "plugin.send_refused", chat_id: chatId }, "a plugin tried to send to a chat that is not allowed");
    return true;
  };
  const executorAt = (place: ExecutorPlace | null): RunExecutor => telegramExecutor({ services: () => options.services(), pluginId, place, stopping: options.stopping });
  return {
    get configPath() {
      return options.config().path;
    },
    version: options.version,
    startedAt: options.startedAt,
    configLoadedAt: () => options.configLoadedAt(),
    mainChatId: () => telegram().chat_id,
    config: () => options.config(),
    projects: () => projectInfos(options.config()),
    engines: () => options.engines.infos(),
    defaultEngine: () => options.defaultEngine(),
    runs: () => options.scheduler.runs(),
    cancelRun: (id) => options.scheduler.cancel(id) !== "none",
    usage: (chatId) => options.usage.get(chatId),

    async send(chatId: number, text: string, sendOptions: SendOptions = {}): Promise<MessageRef | null> {
      const { buttons, ...rest } = sendOptions;
      const replyMarkup = keyboard(buttons); // a plugin's bad button throws, even towards a refused chat
      if (refused(chatId)) return null;
      return options.client.sendMessage(chatId, text, { ...rest, ...(replyMarkup === undefined ? {} : { replyMarkup }) });
    },

    async edit(message: MessageRef, text: string, editOptions: Pick<SendOptions, "buttons"> = {}): Promise<boolean> {
      // Telegram drops the buttons an edit leaves out; say so explicitly, so "none unless given" holds.
      const replyMarkup = keyboard(editOptions.buttons) ?? CLEAR_MARKUP;
      if (refused(message.chatId)) return false;
      return (await options.client.editMessageText(message, text, { replyMarkup, keep: true })) !== null;
    },

    executor: executorAt(null),
    executorAt,

    shutdown: ({ exitCode, reason }) => options.shutdown(exitCode, reason),
  };
}

function projectInfos(config: LoadedConfig): ProjectInfo[] {
  return Object.entries(config.settings.projects)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([alias, project]) => ({
      alias,
      path: project.path,
      worktreesDir: project.worktrees_dir,
      defaultEngine: project.default_engine,
      worktreeBase: project.worktree_base,
      chatId: project.chat_id,
    }));
}
