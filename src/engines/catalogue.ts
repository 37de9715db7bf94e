/**
 * The engines a running bridge can use: every discovered engine checked
 * for use, a runner for each usable one, and every loaded engine's resume
 * codec so a resume line of any engine is recognised. Refreshed after a config
 * reload; a runner whose `[<id>]` table did not change is kept, so its
 * session locks survive the reload.
 */
import type { LoadedConfig } from "../config/load.js";
import type { EngineInfo } from "../plugins/types.js";
import type { PluginRegistry } from "../plugins/registry.js";
import type { Redactor } from "../secrets/redactor.js";
import { silentLogger, type Logger } from "../util/log.js";
import { checkEngine, type EngineStatus } from "./availability.js";
import type { ResumeCodec } from "./backend.js";
import { engineEnvironment, withheldValues } from "./env.js";
import { EngineRunner, type EngineRunnerLike, type EngineRunnerOptions } from "./runner.js";

interface Entry {
  status: EngineStatus;
  runner: EngineRunnerLike | null;
  /** The config the runner was built with (JSON), to keep it across reloads. */
  configKey: string | null;
}

export interface EngineCatalogueOptions {
  plugins: PluginRegistry;
  /** takopi's environment; each engine gets it without takopi's secrets (`engines/env.ts`). */
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Applied to engine stderr before it is logged or shown. */
  redactor?: Redactor;
}

export class EngineCatalogue {
  readonly #plugins: PluginRegistry;
  readonly #env: NodeJS.ProcessEnv;
  readonly #log: Logger;
  readonly #redactor: Redactor | undefined;
  #entries = new Map<string, Entry>();

  constructor(options: EngineCatalogueOptions) {
    this.#plugins = options.plugins;
    this.#env = options.env ?? process.env;
    this.#log = options.log ?? silentLogger;
    this.#redactor = options.redactor;
  }

  /** Checks every engine against `config` (loading engine modules the first time). */
  async refresh(config: LoadedConfig): Promise<void> {
    const next = new Map<string, Entry>();
    for (const id of this.#plugins.ids("engine")) {
      const status = await checkEngine(this.#plugins, config, id, this.#env);
      if (status.status !== "ok") {
        next.set(id, { status, runner: null, configKey: null });
        continue;
      }
      const env = engineEnvironment(this.#env, status.env, withheldValues(config, this.#env));
      const configKey = JSON.stringify({ config: status.config, executable: status.executable, env });
      const previous = this.#entries.get(id);
      let runner = previous?.runner ?? null;
      if (runner === null || previous?.configKey !== configKey) {
        const withheld = Object.keys(this.#env).filter((name) => !Object.hasOwn(env, name));
        this.#log.debug({ event: "engine.environment", engine: id, withheld }, "engine environment without takopi's secrets");
        const options: EngineRunnerOptions<unknown> = { backend: status.backend, config: status.config, command: status.executable, env, log: this.#log, redactor: this.#redactor };
        runner = status.backend.createRunner?.(options) ?? new EngineRunner(options);
      }
      next.set(id, { status, runner, configKey });
    }
    const replaced = [...this.#entries.values()].filter((entry) => entry.runner !== null && ![...next.values()].some((kept) => kept.runner === entry.runner));
    this.#entries = next;
    // A replaced runner's long-lived process (codex app-server) ends once its runs have; a run in flight keeps it until then.
    for (const entry of replaced) void entry.runner?.shutdown?.({ afterRuns: true });
  }

  /** Stops the long-lived engine processes (bridge shutdown). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.#entries.values()].map(async (entry) => entry.runner?.shutdown?.()));
  }

  /** Every discovered engine id, sorted. */
  ids(): string[] {
    return [...this.#entries.keys()];
  }

  /** Engines that can run now. */
  available(): string[] {
    return this.ids().filter((id) => this.#entries.get(id)?.runner != null);
  }

  status(id: string): EngineStatus | null {
    return this.#entries.get(id)?.status ?? null;
  }

  runner(id: string): EngineRunnerLike | null {
    return this.#entries.get(id)?.runner ?? null;
  }

  /** The config runs of engine `id` in `project` use when the project sets some of it (`[projects.<alias>.<id>]`), else null. */
  projectConfig(id: string, project: string | null): unknown {
    const status = this.#entries.get(id)?.status;
    if (project === null || status?.status !== "ok") return null;
    const alias = project.toLowerCase();
    return Object.hasOwn(status.projects, alias) ? status.projects[alias] : null;
  }

  /**
   * Resume codecs of every engine that loaded (a missing CLI still knows its
   * resume lines), `first` leading: a text with lines of two engines
   * continues the default engine's session.
   */
  codecs(first: string): ResumeCodec[] {
    const ordered = [first, ...this.ids().filter((id) => id !== first)];
    const codecs: ResumeCodec[] = [];
    for (const id of ordered) {
      const status = this.#entries.get(id)?.status;
      if (status !== undefined && status.status !== "load_error") codecs.push(status.backend);
    }
    return codecs;
  }

  /** For plugins (`BridgeRuntime.engines`) and the startup message. */
  infos(): EngineInfo[] {
    return this.ids().map((id) => {
      const status = this.#entries.get(id)?.status;
      if (status === undefined) return { id, available: false, issue: "not checked yet", executable: null };
      if (status.status === "ok") return { id, available: true, issue: null, executable: status.executable };
      return { id, available: false, issue: status.detail, executable: null };
    });
  }

  /** `not installed: a; misconfigured: b; failed to load: c` for the engines that cannot run, or null. */
  describeUnavailable(): string | null {
    const groups: [string, string[]][] = [
      ["not installed", []],
      ["misconfigured", []],
      ["failed to load", []],
    ];
    for (const id of this.ids()) {
      const status = this.#entries.get(id)?.status;
      if (status?.status === "missing_cli") groups[0]?.[1].push(id);
      else if (status?.status === "bad_config") groups[1]?.[1].push(id);
      else if (status?.status === "load_error") groups[2]?.[1].push(id);
    }
    const parts = groups.filter(([, ids]) => ids.length > 0).map(([label, ids]) => `${label}: ${ids.join(", ")}`);
    return parts.length > 0 ? parts.join("; ") : null;
  }
}
