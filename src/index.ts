/**
 * takopi's public plugin API: the types a plugin package implements or is
 * handed, and the API version it was written against. Nothing else lives here —
 * a plugin imports types only, so it never pulls takopi's internals into its
 * own module graph.
 *
 * ```ts
 * import type { CommandBackend, CommandContext } from "takopi";
 *
 * const hello: CommandBackend = {
 *   id: "hello",
 *   description: "say hello",
 *   async handle(ctx: CommandContext) {
 *     return { text: `hello, ${ctx.args[0] ?? "world"}` };
 *   },
 * };
 * export default hello;
 * ```
 * and in the plugin's package.json:
 * `"takopi": { "apiVersion": 1, "commands": { "hello": "./dist/hello.js" } }`.
 */
import { PLUGIN_API_VERSION } from "./plugins/manifest.js";

/** The plugin API version; a manifest's `apiVersion` must not be higher. */
export const apiVersion: number = PLUGIN_API_VERSION;

export type {
  BridgeRuntime,
  CallbackContext,
  CommandBackend,
  CommandContext,
  CommandResult,
  ConfigSource,
  DoctorCheck,
  EngineInfo,
  ExecutorMode,
  ExecutorOptions,
  ExecutorRequest,
  ExecutorResult,
  InlineButton,
  MessageRef,
  ProjectInfo,
  RunExecutor,
  RunInfo,
  SendOptions,
  StartupContext,
  TransportBackend,
  TransportContext,
} from "./plugins/types.js";
export type { RunUsage, UsageTotal } from "./core/usage.js";
export type { ApprovalDecision, Decider, InteractionAnswer, InteractionHandler, InteractionRequest, Question, QuestionOption } from "./core/interaction.js";
export type { PluginRegistry } from "./plugins/registry.js";
export type { PluginEntry } from "./plugins/discover.js";
export type { PluginKind } from "./plugins/manifest.js";
export type {
  EngineBackend,
  EngineCapabilities,
  EngineTranslator,
  Invocation,
  PreparedRun,
  ProcessExit,
  ResumeCodec,
  RunOptions,
  RunRequest,
  TranslatorContext,
} from "./engines/backend.js";
export type {
  Action,
  ActionEvent,
  ActionKind,
  ActionPhase,
  CompletedEvent,
  EngineId,
  EventFactory,
  ResumeToken,
  StartedEvent,
  TakopiEvent,
} from "./core/events.js";
export type { LoadedConfig } from "./config/load.js";
export type { ProjectSettings, Settings, TelegramSettings } from "./config/schema.js";
export type { Logger } from "./util/log.js";
