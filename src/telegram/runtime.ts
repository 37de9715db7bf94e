/**
 * The BridgeRuntime command plugins get: read-only views of the
 * config, projects, engines and runs, plus the three things a plugin may do
 * to the bridge — cancel a run, send a message to an allowed chat, shut down.
 */
import { transportConfig, type LoadedConfig } from "../config/load.js";
import type { ThreadScheduler } from "../core/scheduler.js";
import type { UsageTotals } from "../core/usage.js";
import type { EngineCatalogue } from "../engines/catalogue.js";
import type { MessageRef, SendOptions } from "../core/chat.js";
import type { BridgeRuntime, ProjectInfo, RunExecutor } from "../plugins/types.js";
import type { Logger } from "../util/log.js";
import { accessPolicy } from "./access.js";
import type { TelegramClient } from "./client.js";

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
  /** Begins the shutdown; resolves once polling stopped and handled updates are confirmed. */
  shutdown(exitCode: number, reason: string): Promise<void>;
  log: Logger;
}

export function bridgeRuntime(options: RuntimeOptions): BridgeRuntime {
  const telegram = () => transportConfig(options.config(), "telegram");
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
      // Plugins speak for the bot only where the bot may speak: never into a chat it refuses.
      const policy = accessPolicy(telegram(), options.config().settings.projects);
      if (!policy.chatIds.has(chatId) && !policy.allowedUserIds.has(chatId)) {
        options.log.warn({ event: "plugin.send_refused", chat_id: chatId }, "a plugin tried to send to a chat that is not allowed");
        return null;
      }
      return options.client.sendMessage(chatId, text, sendOptions);
    },

    async edit(message: MessageRef, text: string): Promise<boolean> {
      return (await options.client.editMessageText(message, text)) !== null;
    },

    // SEAM (issue 16): replaced by the executor (src/telegram/executor.ts) in the executor branch.
    executor: unwiredExecutor,

    shutdown: ({ exitCode, reason }) => options.shutdown(exitCode, reason),
  };
}

const unwiredExecutor: RunExecutor = {
  run: (request) => Promise.resolve({ ok: false, status: "error", answer: "", resume: null, engine: request.engine ?? "", error: "executor not wired", usage: null, message: null }),
  runMany: (requests) => Promise.all(requests.map((request) => unwiredExecutor.run(request))),
};

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
