/**
 * The shapes plugins implement and the context they are handed.
 * Engines implement `EngineBackend` (src/engines/backend.ts); transports and
 * chat commands are described here. Everything a plugin may rely on is
 * re-exported as types from `takopi` (src/index.ts).
 */
import type { LoadedConfig } from "../config/load.js";
import type { InlineButton, MessageRef, SendOptions } from "../core/chat.js";
import type { UsageTotal } from "../core/usage.js";
import type { Logger } from "../util/log.js";
import type { PluginRegistry } from "./registry.js";

/** The message vocabulary plugins share with the bridge, from the chat client up. */
export type { InlineButton, MessageRef, SendOptions };

/** A project from `[projects.<alias>]`, with paths resolved. */
export interface ProjectInfo {
  alias: string;
  path: string;
  worktreesDir: string;
  defaultEngine: string | null;
  worktreeBase: string | null;
  chatId: number | null;
}

/** An engine takopi knows about and whether it can run right now. */
export interface EngineInfo {
  id: string;
  available: boolean;
  /** Why it is unavailable: not installed, misconfigured, failed to load. */
  issue: string | null;
  /** The CLI found on PATH, when available. */
  executable: string | null;
}

/** A run the bridge is executing or has queued. */
export interface RunInfo {
  id: string;
  state: "running" | "queued";
  chatId: number;
  threadId: number | null;
  engine: string;
  project: string | null;
  branch: string | null;
  /** Epoch milliseconds when the engine started; null while queued. */
  startedAt: number | null;
  /** The resume line once the engine announced its session. */
  resumeLine: string | null;
}

/**
 * One engine run a plugin asks for. The prompt may carry directives
 * (`/app @main fix the tests`) exactly as a typed message; the fields
 * override them. Routing is a typed prompt's: the project's default engine,
 * the chat's or topic's overrides, the branch's worktree.
 */
export interface ExecutorRequest {
  prompt: string;
  engine?: string;
  /** A project alias. */
  project?: string;
  /** A branch: the run goes to its worktree. */
  branch?: string;
  /** Continue this session: a resume line (`` `codex resume <id>` ``) as a final message shows it. */
  resume?: string;
  /** The chat an `emit` run is shown in (default: the command's chat, else the main chat). Must be an allowed chat. */
  chatId?: number;
  /** The forum topic of `chatId` (default: the command's topic when `chatId` is the command's chat). */
  threadId?: number | null;
  /**
   * The message an `emit` run replies to. Default: the executor first posts
   * `label` and the prompt, silently, and the run replies to that.
   */
  replyTo?: MessageRef;
  /** The line the executor's own prompt message starts with (default `▶ run from /<plugin>`). */
  label?: string;
}

/**
 * - `emit`: shown in the chat exactly as a typed prompt's run (progress,
 *   cancel button, final answer with the resume line); queues behind a busy session.
 * - `capture`: no chat messages at all; the answer comes back in the result.
 *   It starts a session of its own unless `resume` names one, and never
 *   becomes the chat's stored session (`session_mode = "chat"`).
 */
export type ExecutorMode = "emit" | "capture";

export interface ExecutorOptions {
  /** Default `emit`. */
  mode?: ExecutorMode;
  /** Aborting cancels the run (queued or running). */
  signal?: AbortSignal;
}

/** How a run requested by a plugin ended. Never thrown: a bad request is `ok: false` with an `error`. */
export interface ExecutorResult {
  ok: boolean;
  status: "ok" | "error" | "cancelled";
  /** The final answer (empty when the run failed before answering). */
  answer: string;
  /** The resume line to continue the session, or null when none was announced. */
  resume: string | null;
  /** The engine that ran (or would have). */
  engine: string;
  /** What went wrong (a bad directive, an unknown project, the engine's error); null when ok. */
  error: string | null;
  usage: UsageTotal | null;
  /** Where an `emit` run's outcome is shown; null in `capture` mode or when nothing could be posted. */
  message: MessageRef | null;
}

/** Runs engines for plugins, under the same scheduler, routing and access rules as typed prompts. */
export interface RunExecutor {
  run(request: ExecutorRequest, options?: ExecutorOptions): Promise<ExecutorResult>;
  /** Runs several; `parallel` (default 1: one after another) caps how many run at once. Results in request order. */
  runMany(requests: ExecutorRequest[], options?: ExecutorOptions & { parallel?: number }): Promise<ExecutorResult[]>;
}

/** What a running bridge offers to command plugins. */
export interface BridgeRuntime {
  readonly configPath: string;
  /** takopi's version. */
  readonly version: string;
  /** Epoch milliseconds when the bridge started. */
  readonly startedAt: number;
  /** Epoch milliseconds when the config in force was loaded (start-up or the last hot reload). */
  configLoadedAt(): number;
  /** The main chat (`transports.telegram.chat_id` for the Telegram transport). */
  mainChatId(): number;
  /** The config in force (it changes under hot reload). */
  config(): LoadedConfig;
  projects(): ProjectInfo[];
  engines(): EngineInfo[];
  defaultEngine(): string;
  runs(): RunInfo[];
  /** Cancels a running or queued run; false when no such run exists. */
  cancelRun(id: string): boolean;
  /**
   * The tokens and cost a chat's runs reported since the bridge started
   * (summed; a field is absent when no run reported it), or null when none
   * of them reported any (engines that report nothing leave it null).
   */
  usage(chatId: number): UsageTotal | null;
  /**
   * Sends a plain-text message to any allowed chat (a reply only to a message
   * in that chat); `options.buttons` put the plugin's buttons under it (a
   * press calls the plugin's `callback`). Null when the chat is not allowed
   * or the send failed; throws only for buttons that cannot be sent (data
   * over Telegram's limit, see `InlineButton`).
   */
  send(chatId: number, text: string, options?: SendOptions): Promise<MessageRef | null>;
  /** Replaces the text (and buttons: none unless given) of a message this bot sent; false when it failed. */
  edit(message: MessageRef, text: string, options?: Pick<SendOptions, "buttons">): Promise<boolean>;
  /** Starts engine runs for the plugin (see `RunExecutor`); `emit` runs go to the main chat unless a request names one. */
  readonly executor: RunExecutor;
  /**
   * Stops the bridge: polling stops, handled updates are acknowledged to the
   * chat service so they are not delivered again, and the process exits with
   * `exitCode` once the transport has shut down.
   */
  shutdown(options: { exitCode: number; reason: string }): Promise<void>;
}

/** Everything a chat command plugin gets for one `/command` message. */
export interface CommandContext {
  /** The command id, without `/` or `@bot`. */
  command: string;
  /** The whole message text. */
  text: string;
  /** The text after the command. */
  argsText: string;
  /** `argsText` split like a shell would (quotes group words). */
  args: string[];
  message: MessageRef;
  /** Who sent the command; null for anonymous group admins. */
  senderId: number | null;
  replyTo: MessageRef | null;
  /** Text of the message replied to, if any. */
  replyText: string | null;
  configPath: string;
  /** This plugin's `[plugins.<id>]` table, or `{}`. */
  pluginConfig: Record<string, unknown>;
  runtime: BridgeRuntime;
  /** Replies in the command's chat and thread (to the command message by default). */
  reply(text: string, options?: SendOptions): Promise<MessageRef | null>;
  /** `runtime.executor`, with the command's chat and topic as the default place for `emit` runs. */
  executor: RunExecutor;
  log: Logger;
}

/** A press on one of the plugin's buttons (`SendOptions.buttons`). */
export interface CallbackContext {
  /** The button's `data`, as the plugin set it. */
  data: string;
  /** The message the button is under. */
  message: MessageRef;
  /** Who pressed: always an allowed user (other presses never reach the plugin). */
  senderId: number;
  configPath: string;
  /** This plugin's `[plugins.<id>]` table, or `{}`. */
  pluginConfig: Record<string, unknown>;
  runtime: BridgeRuntime;
  /**
   * Answers the press (the phone shows `text` briefly; `alert` as a dialog).
   * Called for the plugin with no text if it returns without answering.
   */
  answer(text?: string, options?: { alert?: boolean }): Promise<void>;
  /** Replies in the button's chat and thread (to the button's message by default). */
  reply(text: string, options?: SendOptions): Promise<MessageRef | null>;
  /** Replaces the text (and buttons) of the button's message. */
  edit(text: string, options?: Pick<SendOptions, "buttons">): Promise<boolean>;
  /** `runtime.executor`, with the button's chat and topic as the default place for `emit` runs. */
  executor: RunExecutor;
  log: Logger;
}

/** Sent as plain text after `handle` returns. */
export interface CommandResult {
  text: string;
  notify?: boolean;
  replyTo?: MessageRef;
}

export interface CommandBackend {
  readonly id: string;
  /** Shown in the Telegram command menu. */
  readonly description: string;
  handle(context: CommandContext): Promise<CommandResult | null | undefined>;
  /** A press on a button this plugin put under a message. A throw is logged and the press answered. */
  callback?(context: CallbackContext): Promise<void>;
  /**
   * Called once after the bridge started and processed the backlog, for
   * commands whose manifest entry says `"startup": true` (only those are
   * imported at start). A throw is logged, never fatal.
   */
  started?(context: StartupContext): Promise<void>;
}

/** What a command's `started` hook gets. */
export interface StartupContext {
  runtime: BridgeRuntime;
  /** `runtime.executor` (emit runs go to the main chat unless a request names one). */
  executor: RunExecutor;
  /** This plugin's `[plugins.<id>]` table, or `{}`. */
  pluginConfig: Record<string, unknown>;
  log: Logger;
}

/** One line of `takopi doctor`. */
export interface DoctorCheck {
  label: string;
  status: "ok" | "warn" | "fail" | "skip";
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

/** Live view of the config for a running transport. */
export interface ConfigSource {
  current(): LoadedConfig;
  /** Called after a hot reload was applied; returns an unsubscribe function. */
  onChange(listener: (next: LoadedConfig) => void): () => void;
}

export interface TransportContext {
  config: ConfigSource;
  /** Loads engines and command plugins when they are first needed. */
  plugins: PluginRegistry;
  /** `takopi <engine>` / `takopi run --engine`: overrides `default_engine`. */
  defaultEngineOverride: string | null;
  /** Final answers as a new message (notifies) rather than an edit of the progress message. */
  finalNotify: boolean;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM: stop accepting work and return. */
  signal: AbortSignal;
}

export interface TransportBackend {
  readonly id: string;
  readonly description: string;
  /**
   * The secret the transport runs under (a bot token), so two takopi
   * processes never poll with the same one; null when there is none.
   */
  lockToken(config: LoadedConfig): string | null;
  /** Transport-specific `takopi doctor` checks (token works, chat reachable). */
  doctor?(config: LoadedConfig, signal: AbortSignal): Promise<DoctorCheck[]>;
  /** Runs until `context.signal` aborts or the bridge shuts itself down; resolves to the exit code. */
  run(context: TransportContext): Promise<number>;
}
