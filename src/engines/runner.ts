/**
 * Runs one engine CLI and turns its stdout into takopi events.
 *
 * The runner owns the process: it spawns the CLI in its own process group,
 * reads stdout line by line with bounded memory, keeps the tail of stderr for
 * error messages, serializes runs of the same session, and on cancel (or when
 * the consumer stops listening) terminates the whole process tree — SIGTERM,
 * then SIGKILL after a grace period.
 */
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { execa } from "execa";
import { threadKey, type TakopiEvent } from "../core/events.js";
import { errorMessage } from "../util/errors.js";
import { DEFAULT_MAX_LINE_BYTES, splitLines, TailBuffer } from "./lines.js";
import { silentLogger, type Logger } from "../util/log.js";
import { readProcess, registerLiveGroup, terminateProcessTree } from "./process-tree.js";
import type { EngineBackend, Invocation, ProcessExit, RunRequest } from "./backend.js";
import { JsonlStream } from "./jsonl-stream.js";
import { SessionLocks, type Release } from "./session-locks.js";
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

/** An engine CLI bound to its config; `run()` may be called concurrently. */
export class EngineRunner<Config = unknown> {
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
      if (request.resume) {
        try {
          releases.push(await this.#locks.acquire(threadKey(request.resume), signal));
        } catch (error) {
          if (signal?.aborted) return; // cancelled while queued behind another run of this session
          throw error;
        }
      }
      if (signal?.aborted) return;

      const prepared = backend.prepareRun(request, config, this.#options.env ?? process.env);
      const stream = new JsonlStream(backend, {
        cwd: request.cwd,
        resume: request.resume,
        presetToken: prepared.translatorContext.presetToken,
        title: prepared.translatorContext.title ?? null,
        meta: prepared.translatorContext.meta ?? null,
        debug: (message, fields) => {
          this.#log.debug(fields ?? {}, message);
        },
      });

      const problem = await checkCwd(request.cwd);
      if (problem !== null) {
        yield stream.events.completed({ ok: false, error: problem, resume: request.resume });
        return;
      }
      if (signal?.aborted) return; // cancelled while the run directory was checked

      const invocation = { ...prepared.invocation, command: this.#options.command ?? prepared.invocation.command };
      this.#log.debug({ command: invocation.command, args: invocation.args, cwd: request.cwd }, "spawning engine");
      child = spawnEngine(invocation, request.cwd, {
        graceMs: this.#options.graceMs ?? DEFAULTS.graceMs,
        stderrTailBytes: this.#options.stderrTailBytes ?? DEFAULTS.stderrTailBytes,
        drainIdleMs: this.#options.drainIdleMs ?? DEFAULTS.drainIdleMs,
      });
      const spawnFailure = await child.spawnFailure;
      if (spawnFailure !== null) {
        yield stream.events.completed({
          ok: false,
          error: describeSpawnFailure(spawnFailure, invocation.command, backend.installHint),
          resume: request.resume,
        });
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
        for await (const item of splitLines(running.stdout, limit)) {
          const events = item.type === "line" ? stream.line(item.text) : stream.oversizedLine(item.bytes, limit);
          for (const event of events) {
            // A new session becomes exclusive the moment it is known, before `started` goes out.
            if (event.type === "started" && releases.length === 0) {
              releases.push(await this.#locks.acquire(threadKey(event.resume)));
            }
            yield event;
          }
        }
        const exit = await running.exited;
        if (running.terminated || signal?.aborted) return;
        const stderrTail = cleanStderr(running.stderrTail(), backend.stderrNoise ?? []);
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

async function checkCwd(cwd: string): Promise<string | null> {
  try {
    const info = await stat(cwd);
    return info.isDirectory() ? null : `working directory ${cwd} is not a directory`;
  } catch {
    return `working directory ${cwd} does not exist`;
  }
}

function describeSpawnFailure(error: NodeJS.ErrnoException, command: string, installHint: string): string {
  if (error.code === "ENOENT") return `${command} not found on PATH; install it with: ${installHint}`;
  if (error.code === "EACCES") return `${command} is not executable (permission denied)`;
  return `could not start ${command}: ${error.message}`;
}

interface SpawnSettings {
  graceMs: number;
  stderrTailBytes: number;
  drainIdleMs: number;
}

/** A spawned engine CLI, as much of it as the runner needs. */
interface EngineProcess {
  /** The group leader's pid; undefined when it never started. */
  pid: number | undefined;
  stdout: AsyncIterable<Buffer>;
  /** Null once the process is running; the error when it could not start. */
  spawnFailure: Promise<NodeJS.ErrnoException | null>;
  /** How the group leader exited. */
  exited: Promise<Omit<ProcessExit, "stderrTail">>;
  /** Settles once the process and its stdio are done with (never rejects). */
  closed: Promise<unknown>;
  stderrTail(): string;
  hasExited(): boolean;
  /** Whether we killed it (cancel, early stop). */
  readonly terminated: boolean;
  /** Kill the whole tree; resolves when it is done. Idempotent. */
  terminate(): Promise<void>;
}

function spawnEngine(invocation: Invocation, cwd: string, settings: SpawnSettings): EngineProcess {
  const subprocess = execa(invocation.command, invocation.args, {
    cwd,
    env: invocation.env,
    extendEnv: false,
    input: invocation.stdin ?? "",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    reject: false,
    // Own process group, so a cancel can reach the tools the CLI started.
    killDescendants: true,
    // We run the SIGTERM → SIGKILL escalation ourselves, over the whole tree.
    forceKillAfterDelay: false,
    cleanup: false,
    stripFinalNewline: false,
  });
  const node = subprocess.nodeChildProcess;
  const stdout = subprocess.stdout;
  const tail = new TailBuffer(settings.stderrTailBytes);
  subprocess.stderr.on("data", (chunk: Buffer) => {
    tail.push(chunk);
  });

  const spawnFailure = new Promise<NodeJS.ErrnoException | null>((resolve) => {
    node.once("spawn", () => {
      resolve(null);
    });
    node.once("error", (error: NodeJS.ErrnoException) => {
      resolve(error);
    });
  });
  let exitInfo: Omit<ProcessExit, "stderrTail"> | null = null;
  const exited = new Promise<Omit<ProcessExit, "stderrTail">>((resolve) => {
    node.once("exit", (code, signal) => {
      exitInfo = { exitCode: code, signal };
      resolve(exitInfo);
    });
  });
  const closed = subprocess.then(
    () => undefined,
    () => undefined,
  );

  const pid = node.pid;
  const unregister = pid === undefined ? () => false : registerLiveGroup(pid);
  void closed.then(unregister);

  // A background tool can inherit stdout and keep it open after the CLI exits.
  // Once the CLI is gone, stop reading when the reader has been waiting, with
  // nothing arriving and nothing buffered, for DRAIN_CHECKS checks in a row
  // spread over drainIdleMs. One overdue check is never enough: after the event
  // loop stalls (a loaded machine, a long GC) timers run before pending pipe
  // reads, so the last lines may still be unread in the pipe right then.
  const consumed: ReadProgress = { chunks: 0, waiting: false };
  void exited.then(() => {
    let idleChecks = 0;
    let seenChunks = consumed.chunks;
    const timer = setInterval(() => {
      if (stdout.readableEnded || stdout.destroyed) {
        clearInterval(timer);
        return;
      }
      const idle = consumed.waiting && consumed.chunks === seenChunks && stdout.readableLength === 0;
      seenChunks = consumed.chunks;
      idleChecks = idle ? idleChecks + 1 : 0;
      if (idleChecks >= DRAIN_CHECKS) {
        clearInterval(timer);
        stdout.destroy();
      }
    }, Math.max(1, Math.floor(settings.drainIdleMs / DRAIN_CHECKS)));
    timer.unref();
  });

  let terminating: Promise<void> | null = null;
  const engine: EngineProcess = {
    pid,
    stdout: untilClosed(stdout, consumed),
    spawnFailure,
    exited,
    closed,
    stderrTail: () => tail.text(),
    hasExited: () => exitInfo !== null,
    get terminated() {
      return terminating !== null;
    },
    terminate() {
      if (pid === undefined) return Promise.resolve();
      terminating ??= terminateProcessTree(pid, { graceMs: settings.graceMs, exited }).catch((error: unknown) => {
        // Termination is best effort; the group SIGKILL already went out.
        process.emitWarning(`terminating engine process ${pid}: ${errorMessage(error)}`);
      });
      return terminating;
    },
  };
  return engine;
}

/** How many idle checks in a row end the drain (see spawnEngine). */
const DRAIN_CHECKS = 4;

/** The runner's reading of an engine's stdout, for the drain in spawnEngine. */
interface ReadProgress {
  /** Chunks handed to the reader so far. */
  chunks: number;
  /** Whether the reader is waiting for the next chunk (false while it is busy with one). */
  waiting: boolean;
}

/** Reads a stream to its end, treating an early destroy (see drain above) as the end. */
async function* untilClosed(stream: Readable, consumed: ReadProgress): AsyncGenerator<Buffer> {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    for (;;) {
      consumed.waiting = true;
      const next = await chunks.next();
      consumed.waiting = false;
      if (next.done === true) return;
      consumed.chunks += 1;
      yield next.value;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") throw error;
  } finally {
    consumed.waiting = false;
    await chunks.return?.();
  }
}
