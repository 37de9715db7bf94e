/**
 * Running a `/command` that a plugin provides: load it on first
 * use, hand it its config, the runtime and the message, and turn every failure
 * into an `error:` reply — a plugin's bug never reaches the bridge. A press on
 * one of a plugin's buttons goes to its `callback` the same way
 * (`dispatchCallback`); the transport answers the press whatever happens.
 */
import { ConfigError } from "../config/errors.js";
import { pluginConfig, type LoadedConfig } from "../config/load.js";
import { splitArgs } from "../core/slash.js";
import { errorMessage } from "../util/errors.js";
import type { Logger } from "../util/log.js";
import type { PluginRegistry } from "./registry.js";
import type { BridgeRuntime, CallbackContext, CommandContext, MessageRef, RunExecutor, SendOptions } from "./types.js";

export interface CommandMessage {
  /** Command id, lower-cased, without `/` or `@bot`. */
  command: string;
  text: string;
  argsText: string;
  message: MessageRef;
  /** Who sent it; null for anonymous group admins. */
  senderId: number | null;
  replyTo: MessageRef | null;
  replyText: string | null;
}

export interface DispatchOptions {
  plugins: PluginRegistry;
  config: LoadedConfig;
  runtime: BridgeRuntime;
  /** Sends in the command's chat and thread, replying to the command message unless told otherwise. */
  reply: (text: string, options?: SendOptions) => Promise<MessageRef | null>;
  /** The executor with the command's chat and topic as the default place (default `runtime.executor`). */
  executor?: RunExecutor;
  log: Logger;
}

/** `not_found` when no enabled plugin has this id: the caller decides (upstream runs it as a prompt). */
export type DispatchOutcome = "handled" | "not_found";

export async function dispatchCommand(input: CommandMessage, options: DispatchOptions): Promise<DispatchOutcome> {
  const { plugins, config, runtime, reply, log } = options;
  const entry = plugins.find("command", input.command);
  if (!entry?.enabled) return "not_found";

  const fail = async (message: string): Promise<DispatchOutcome> => {
    await reply(`error:\n${message}`);
    return "handled";
  };

  const loaded = await plugins.tryLoad("command", input.command);
  if (!loaded.ok) {
    log.warn({ event: "command.load_failed", command: input.command }, loaded.error);
    return fail(loaded.error);
  }
  let table: Record<string, unknown>;
  try {
    table = pluginConfig(config, input.command);
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.message);
    throw error;
  }

  const context: CommandContext = {
    command: input.command,
    text: input.text,
    argsText: input.argsText,
    args: splitArgs(input.argsText),
    message: input.message,
    senderId: input.senderId,
    replyTo: input.replyTo,
    replyText: input.replyText,
    configPath: config.path,
    pluginConfig: table,
    runtime,
    reply,
    executor: options.executor ?? runtime.executor,
    log: log.child({ command: input.command }),
  };
  let result;
  try {
    result = await loaded.backend.handle(context);
  } catch (error) {
    log.error({ event: "command.failed", command: input.command, package: entry.packageName, err: error }, "command plugin failed");
    return fail(errorMessage(error));
  }
  if (result) {
    await reply(result.text, { replyTo: result.replyTo ?? input.message, notify: result.notify ?? true });
  }
  return "handled";
}

/** A press on one of a plugin's buttons, its data without the `p:<plugin>:` namespace. */
export interface CallbackPress {
  pluginId: string;
  data: string;
  message: MessageRef;
  senderId: number;
}

export interface CallbackDispatchOptions extends DispatchOptions {
  /** Answers the press (once; later calls do nothing). */
  answer: (text?: string, options?: { alert?: boolean }) => Promise<void>;
}

/**
 * `stale`: no enabled plugin with that id, or it has no `callback`;
 * `failed`: it could not be loaded or its `callback` threw (logged).
 */
export type CallbackOutcome = "handled" | "stale" | "failed";

export async function dispatchCallback(press: CallbackPress, options: CallbackDispatchOptions): Promise<CallbackOutcome> {
  const { plugins, config, runtime, reply, answer, log } = options;
  const entry = plugins.find("command", press.pluginId);
  if (!entry?.enabled) return "stale";
  const loaded = await plugins.tryLoad("command", press.pluginId);
  if (!loaded.ok) {
    log.warn({ event: "command.load_failed", command: press.pluginId }, loaded.error);
    return "failed";
  }
  const backend = loaded.backend;
  if (typeof backend.callback !== "function") return "stale";
  let table: Record<string, unknown>;
  try {
    table = pluginConfig(config, press.pluginId);
  } catch (error) {
    log.warn({ event: "command.config_invalid", command: press.pluginId, err: error }, "plugin config is invalid");
    return "failed";
  }
  const context: CallbackContext = {
    data: press.data,
    message: press.message,
    senderId: press.senderId,
    configPath: config.path,
    pluginConfig: table,
    runtime,
    answer,
    reply,
    edit: (text, editOptions) => runtime.edit(press.message, text, editOptions),
    executor: options.executor ?? runtime.executor,
    log: log.child({ command: press.pluginId }),
  };
  try {
    await backend.callback(context);
  } catch (error) {
    log.error({ event: "command.callback_failed", command: press.pluginId, package: entry.packageName, err: error }, "a plugin's button callback failed");
    return "failed";
  }
  return "handled";
}
