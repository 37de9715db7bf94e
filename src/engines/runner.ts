/**
 * Runs one engine CLI and turns its stdout into takopi events.
 *
 * The runner owns the process: it spawns the CLI in its own process group,
 * reads stdout line by line with bounded memory, keeps the tail of stderr for
 * error messages, serializes runs of the same session, and on cancel (or when
 * the consumer stops listening) terminates the whole process tree — SIGTERM,
 * then SIGKILL after a grace period.
 */
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { threadKey, type ResumeToken, type TakopiEvent } from "../core/events.js";
import type { InteractionHandler } from "../core/interaction.js";
import { DEFAULT_MAX_LINE_BYTES, splitLineBatches } from "./lines.js";
import { silentLogger, type Logger } from "../util/log.js";
import type { Redactor } from "../secrets/redactor.js";
import type { EngineProcess } from "./engine-process.js";
import { readProcess } from "./process-tree.js";
import type { EngineBackend, Invocation, PreparedRun, RunRequest } from "./backend.js";
import { JsonlStream } from "./jsonl-stream.js";
import { lockResumed, SessionLocks, type Release } from "./session-locks.js";
import { cleanStderr } from "./stderr.js";

export interface EngineRunnerOptions<Config> {
  backend: EngineBackend<Config>;
  /** The engine's validated `[<id>]` config table. */
  config: Config;
  /** Environment the CLI inherits; defaults to takopi's own. */
  env?: NodeJS.ProcessEnv;
  /** Run this executable instead of `backend.cliCommand` (an absolute path, a wrapper). */
  command?: string;
  /** SIGTERM → SIGKILL delay on cancel (2 s, as upstream). */
  graceMs?: number;
  /** Longest stdout line decoded; longer ones are skipped with a warning. */
  maxLineBytes?: number;
  /** How much of stderr is kept for error messages. */
  stderrTailBytes?: number;
  /**
   * After the CLI exits, how long stdout may stay open with nothing to read
   * before we stop waiting for it (a tool left in the background can hold it).
   */
  drainIdleMs?: number;
  log?: Logger;
  /** Applied to the stderr tail before it is logged or put into an error (a tool may print a key). */
  redactor?: Redactor;
}

export interface RunControl {
  /** Aborting cancels the run: the tree is killed and the event stream ends without `completed`. */
  signal?: AbortSignal;
  /**
   * The engine process started: the leader of its own process group. With the
   * start time (clock ticks since boot, null where /proc is missing) the pid
   * names this process even after takopi is gone and the pid is reused.
   */
  onSpawn?: (process: SpawnedProcess) => void;
  /**
   * Asks the person for an approval, an answer or a plan decision
   * (core/interaction.ts). Unset (a replay, a capture run): the engine
   * refuses on its own with `refusal()` and a note saying nobody could be asked.
   */
  interact?: InteractionHandler;
}

/**
 * What became of a steer: `joined` the running turn at once, or `after_tool`
 * — it waits for the command running now to finish (codex delivers a steer
 * only between tool calls), so the chat can say so.
 */
export type SteerOutcome = "joined" | "after_tool";

/** The config one run uses: its project's (`RunOptions.config`, checked by the same schema) or else the runner's own. */
export function runConfig<Config>(config: Config, request: RunRequest): Config {
  return (request.options?.config as Config | undefined) ?? config;
}

/** The decoder of one run's stdout, with the translator context its backend prepared. */
export function runStream(backend: EngineBackend, request: RunRequest, prepared: PreparedRun, log: Logger): JsonlStream {
  return new JsonlStream(backend, {
    cwd: request.cwd,
    resume: request.resume,
    presetToken: prepared.translatorContext.presetToken,
    title: prepared.translatorContext.title ?? null,
    meta: prepared.translatorContext.meta ?? null,
    debug: (message, fields) => {
      log.debug(fields ?? {}, message);
    },
  });
}

/** An engine process as a crash journal records it. */
export interface SpawnedProcess {
  pid: number;
  startTime: string | null;
}

const DEFAULTS = {
  graceMs: 2000,
  stderrTailBytes: 16 * 1024,
  drainIdleMs: 1000,
};

/**
 * What the engine catalogue hands the bridge: `EngineRunner` (a process per
 * run), or a backend's own runner over a long-lived process (codex app-server).
 */
export interface EngineRunnerLike {
  readonly engine: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the catalogue mixes engines with different config types
  readonly backend: EngineBackend<any>;
  /** Whether a run of this session is active or waiting. */
  isBusy(token: { engine: string; value: string }): boolean;
  run(request: RunRequest, control?: RunControl): AsyncIterable<TakopiEvent>;
  /**
   * Adds `text` to the session's running turn (codex `turn/steer`, claude's
   * stream-json session); only on engines whose capabilities say `steer`.
   * Rejects when the session has no turn in flight.
   */
  steer?(session: ResumeToken, text: string): Promise<SteerOutcome>;
  /**
   * Stops a long-lived process the runner keeps: at bridge shutdown at once,
   * or (`afterRuns`) once the runs in flight are over, when a reload replaced the runner.
   */
  shutdown?(options?: { afterRuns?: boolean }): Promise<void>;
}

/** An engine CLI bound to its config; `run()` may be called concurrently. */
export class EngineRunner<Config = unknown> implements EngineRunnerLike {
  readonly backend: EngineBackend<Config>;
  readonly #options: EngineRunnerOptions<Config>;
  readonly #locks = new SessionLocks();
  readonly #log: Logger;

  constructor(options: EngineRunnerOptions<Config>) {
    this.backend = options.backend;
    this.#options = options;
    this.#log = (options.log ?? silentLogger).child({ engine: options.backend.id });
  }

  get engine(): string {
    return this.backend.id;
  }

  /** Whether a run of this session is active or waiting. */
  isBusy(token: { engine: string; value: string }): boolean {
    return this.#locks.isBusy(threadKey(token));
  }

  /**
   * Runs the engine and yields its events. Ends after `completed`, or without
   * one when cancelled through `control.signal`. Breaking out of the loop
   * early also terminates the process tree.
   */
  async *run(request: RunRequest, control: RunControl = {}): AsyncGenerator<TakopiEvent> {
    const { backend, config } = this.#options;
    const signal = control.signal;
    if (request.resume && request.resume.engine !== backend.id) {
      throw new Error(`resume token is for engine '${request.resume.engine}', not '${backend.id}'`);
    }
    const releases: Release[] = [];
    let child: EngineProcess | undefined;
    try {
      const held = await lockResumed(this.#locks, request.resume, signal);
      if (held === "aborted") return;
      releases.push(...held);
      if (signal?.aborted) return;

      const prepared = backend.prepareRun(request, runConfig(config, request), this.#options.env ?? process.env);
      const stream = runStream(backend, request, prepared, this.#log);

      // Loaded with the first run (it brings execa, ~130 modules): an idle bridge never spawns anything.
      const { spawnEngine } = await import("./engine-process.js");
      if (signal?.aborted) return; // cancelled while the module loaded

      const invocation = { ...prepared.invocation, command: this.#options.command ?? prepared.invocation.command };
      this.#log.debug({ command: invocation.command, args: invocation.args, cwd: request.cwd }, "spawning engine");
      child = spawnEngine(invocation, request.cwd, {
        graceMs: this.#options.graceMs ?? DEFAULTS.graceMs,
        stderrTailBytes: this.#options.stderrTailBytes ?? DEFAULTS.stderrTailBytes,
        drainIdleMs: this.#options.drainIdleMs ?? DEFAULTS.drainIdleMs,
      });
      const spawnFailure = await child.spawnFailure;
      if (spawnFailure !== null) {
        // The run directory is checked only now: a stat before every spawn would delay every run.
        const problem = await checkCwd(request.cwd);
        if (problem !== null) {
          yield stream.events.completed({ ok: false, error: problem, resume: request.resume });
          return;
        }
        const error = describeSpawnFailure(spawnFailure, invocation, backend.installHint);
        this.#log.warn({ code: spawnFailure.code ?? null, command: invocation.command, error }, "engine could not start");
        yield stream.events.completed({ ok: false, error, resume: request.resume });
        return;
      }

      const running = child;
      if (running.pid !== undefined && control.onSpawn !== undefined) {
        const pid = running.pid;
        control.onSpawn({ pid, startTime: (await readProcess(pid))?.startTime ?? null });
      }
      const onAbort = (): void => void running.terminate();
      signal?.addEventListener("abort", onAbort, { once: true });
      // A cancel during the spawn came before the listener; it must still stop the engine.
      if (signal?.aborted) onAbort();
      try {
        const limit = this.#options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
        for await (const batch of splitLineBatches(running.stdout, limit)) {
          for (const item of batch) {
            const events = item.type === "line" ? stream.line(item.text) : stream.oversizedLine(item.bytes, limit);
            for (const event of events) {
              // A new session becomes exclusive the moment it is known, before `started` goes out.
              if (event.type === "started" && releases.length === 0) {
                releases.push(await this.#locks.acquire(threadKey(event.resume)));
              }
              yield event;
            }
          }
        }
        const exit = await running.exited;
        if (running.terminated || signal?.aborted) return;
        const rawTail = cleanStderr(running.stderrTail(), backend.stderrNoise ?? []);
        const stderrTail = this.#options.redactor?.redact(rawTail) ?? rawTail;
        if (!stream.completed) this.#log.debug({ ...exit, stderrTail }, "engine ended without a result event");
        yield* stream.end({ ...exit, stderrTail });
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    } finally {
      // Also await a termination already under way: the leader may be gone
      // while tools in other sessions are still being killed.
      if (child && (child.terminated || !child.hasExited())) await child.terminate();
      await child?.closed;
      for (const release of releases) release();
    }
  }
}

export async function checkCwd(cwd: string): Promise<string | null> {
  try {
    const info = await stat(cwd);
    return info.isDirectory() ? null : `working directory ${cwd} is not a directory`;
  } catch {
    return `working directory ${cwd} does not exist`;
  }
}

/** One line saying why an engine could not start (not installed, not executable, argv too long…). */
export function describeSpawnFailure(error: NodeJS.ErrnoException, invocation: Invocation, installHint: string): string {
  const command = invocation.command;
  if (error.code === "ENOENT") {
    // execve says ENOENT too when the file is there but its #! interpreter is not.
    if (command.includes("/") && existsSync(command)) return `could not start ${command}: the interpreter on its #! line was not found (ENOENT)`;
    return `${command} not found on PATH; install it with: ${installHint}`;
  }
  if (error.code === "EACCES") return `${command} is not executable (permission denied)`;
  if (error.code === "E2BIG") return `could not start ${command}: its command line is too long (E2BIG): ${describeArgvSize(invocation)}`;
  return `could not start ${command}: ${error.message}`;
}

/** Linux's MAX_ARG_STRLEN: one argument or `NAME=value` environment string, its NUL included. */
const MAX_ARG_STRLEN = 32 * 4096;

/** What made execve refuse an argv: the one string over the per-string limit, else the total. */
function describeArgvSize(invocation: Invocation): string {
  const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
  const strings = [
    ...invocation.args.map((arg, index) => ({ what: `argument ${index + 1}`, bytes: Buffer.byteLength(arg) })),
    ...Object.entries(invocation.env).map(([name, value]) => ({
      what: `environment variable ${name}`,
      bytes: Buffer.byteLength(`${name}=${value ?? ""}`),
    })),
  ];
  const largest = strings.reduce((max, item) => (item.bytes > max.bytes ? item : max), { what: "", bytes: 0 });
  if (largest.bytes + 1 > MAX_ARG_STRLEN) {
    return `${largest.what} is ${kib(largest.bytes)}, and Linux takes at most ${MAX_ARG_STRLEN / 1024} KiB for one argument or environment variable`;
  }
  const total = strings.reduce((sum, item) => sum + item.bytes + 1, Buffer.byteLength(invocation.command) + 1);
  return `its arguments and environment come to ${kib(total)}, over the system's limit (ARG_MAX, usually 2 MiB)`;
}
