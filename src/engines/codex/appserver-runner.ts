/**
 * codex over `codex app-server`: one long-lived process per runner (per
 * bridge), one codex thread per takopi session, several threads at once.
 *
 * A run is `thread/start` (or `thread/resume`), then `turn/start`; the
 * thread's notifications go through the app-server translator (the exec
 * translator underneath), so a run yields exactly what an exec run yields.
 * Cancel is `turn/interrupt` plus `thread/backgroundTerminals/clean`, so the
 * command the turn was running does not survive; if the turn does not end
 * soon after, the process tree is killed and the next run starts a new one.
 */
import { threadKey, type ResumeToken, type TakopiEvent } from "../../core/events.js";
import { silentLogger, type Logger } from "../../util/log.js";
import type { Redactor } from "../../secrets/redactor.js";
import type { EngineBackend, Invocation, RunRequest } from "../backend.js";
import { JsonlStream } from "../jsonl-stream.js";
import { JsonRpcError, type JsonRpcNotification, type JsonRpcServerRequest } from "../jsonrpc.js";
import { describeSpawnFailure, runConfig, type RunControl, type SteerOutcome } from "../runner.js";
import { lockResumed, SessionLocks, type Release } from "../session-locks.js";
import { INTERACTION_METHODS, ThreadInteractions } from "./appserver-interactions.js";
import { AppServerProcess } from "./appserver-process.js";
import { AppServerTranslator } from "./appserver-translator.js";
import { AsyncQueue } from "./async-queue.js";
import { describe, idOf, textInput, threadParams, turnParams } from "./appserver-params.js";
import type { CodexConfig } from "./schema.js";

export interface AppServerRunnerOptions {
  backend: EngineBackend<CodexConfig>;
  config: CodexConfig;
  env?: NodeJS.ProcessEnv;
  /** The codex executable (default `codex`). */
  command?: string;
  /** SIGTERM → SIGKILL delay when the process tree is killed. */
  graceMs?: number;
  /** How long a cancelled turn may take to end after `turn/interrupt` before the tree is killed. */
  interruptTimeoutMs?: number;
  log?: Logger;
  redactor?: Redactor;
  /** Every notification a run hands its translator, as the line a recording keeps (scripts/capture-engine-fixtures.ts). */
  onStreamLine?: (line: string) => void;
}

const ENGINE = "codex";
const DEFAULTS = { graceMs: 2000, interruptTimeoutMs: 3000, stderrTailBytes: 16 * 1024 };

/** The app-server backend's translator: only app-server notifications reach it. */
function appServerBackend(backend: EngineBackend<CodexConfig>): Pick<EngineBackend, "id" | "createTranslator"> {
  return { id: backend.id, createTranslator: (context) => new AppServerTranslator(context) };
}

/** A cancel under way: the interrupt and cleanup requests, and the kill that follows if the turn does not end. */
interface Interrupt {
  answered: Promise<void>;
  timer: NodeJS.Timeout;
}

type Item = { type: "notification"; message: JsonRpcNotification } | { type: "closed"; why: string } | { type: "abort" };

export class AppServerRunner {
  readonly backend: EngineBackend<CodexConfig>;
  readonly #options: AppServerRunnerOptions;
  readonly #locks = new SessionLocks();
  readonly #log: Logger;
  #process: AppServerProcess | null = null;
  #starting: Promise<AppServerProcess> | null = null;
  /** The turn in flight per thread, for `steer`. */
  readonly #activeTurns = new Map<string, string>();
  /** Per thread with a run: where its server requests go (that run's `control.interact`). */
  readonly #threads = new Map<string, ThreadInteractions>();

  constructor(options: AppServerRunnerOptions) {
    this.backend = options.backend;
    this.#options = options;
    this.#log = (options.log ?? silentLogger).child({ engine: ENGINE, backend: "app-server" });
  }

  get engine(): string {
    return this.backend.id;
  }

  /** The live process's pid, if one is running (tests, diagnostics). */
  get pid(): number | undefined {
    return this.#process?.alive === true ? this.#process.pid : undefined;
  }

  isBusy(token: ResumeToken): boolean {
    return this.#locks.isBusy(threadKey(token));
  }

  /** Adds `text` to the session's turn in flight (`turn/steer`); rejects when it has none. */
  async steer(session: ResumeToken, text: string): Promise<SteerOutcome> {
    const turnId = this.#activeTurns.get(session.value);
    const server = this.#process;
    if (turnId === undefined || server === null || !server.alive) throw new Error(`codex session ${session.value} has no turn in flight to steer`);
    // Asked before the steer is sent: a steer made while a command runs is delivered once it ends.
    const outcome: SteerOutcome = this.#threads.get(session.value)?.commandRunning === true ? "after_tool" : "joined";
    await server.client.request("turn/steer", { threadId: session.value, expectedTurnId: turnId, input: [textInput(text)] });
    return outcome;
  }

  /** Stops the process (stdin EOF, then the tree killed after the grace period); `afterRuns` lets the runs in flight finish first. */
  async shutdown(options: { afterRuns?: boolean } = {}): Promise<void> {
    const server = this.#process;
    this.#process = null;
    await server?.shutdown(options.afterRuns === true);
  }

  async *run(request: RunRequest, control: RunControl = {}): AsyncGenerator<TakopiEvent> {
    const signal = control.signal;
    if (request.resume && request.resume.engine !== ENGINE) {
      throw new Error(`resume token is for engine '${request.resume.engine}', not '${ENGINE}'`);
    }
    const releases: Release[] = [];
    const stream = new JsonlStream(appServerBackend(this.backend), {
      cwd: request.cwd,
      resume: request.resume,
      title: this.#options.config.profile ?? null,
      debug: (message, fields) => {
        this.#log.debug(fields ?? {}, message);
      },
    });
    const feed = (message: JsonRpcNotification): TakopiEvent[] => {
      const line = JSON.stringify(message);
      this.#options.onStreamLine?.(line);
      return stream.line(line);
    };
    let stopListening = (): void => undefined;
    let releaseProcess = (): void => undefined;
    let threadId: string | null = null;
    let interactions: ThreadInteractions | null = null;
    let interrupting: Interrupt | null = null;
    try {
      const held = await lockResumed(this.#locks, request.resume, signal);
      if (held === "aborted") return;
      releases.push(...held);
      if (signal?.aborted) return;

      let server: AppServerProcess;
      try {
        server = await this.#server();
      } catch (error) {
        yield stream.events.completed({ ok: false, error: describe(error), resume: request.resume });
        return;
      }
      releaseProcess = server.hold();
      if (server.pid !== undefined) control.onSpawn?.({ pid: server.pid, startTime: server.startTime });

      const queue = new AsyncQueue<Item>();
      const onAbort = (): void => {
        queue.push({ type: "abort" });
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      stopListening = () => {
        signal?.removeEventListener("abort", onAbort);
      };

      const startParams = threadParams(runConfig(this.#options.config, request), request);
      let thread: unknown;
      try {
        thread = request.resume
          ? await server.client.request("thread/resume", { ...startParams, threadId: request.resume.value, excludeTurns: true })
          : await server.client.request("thread/start", startParams);
      } catch (error) {
        yield stream.events.completed({ ok: false, error: `codex ${request.resume ? "thread/resume" : "thread/start"}: ${describe(error)}`, resume: request.resume });
        return;
      }
      threadId = idOf(thread, "thread");
      if (threadId === null) {
        yield stream.events.completed({ ok: false, error: "codex app-server answered without a thread id", resume: request.resume });
        return;
      }
      const asking = new ThreadInteractions(threadId, control.interact, this.#log);
      interactions = asking;
      this.#threads.set(threadId, asking);
      const unlisten = server.listen(threadId, {
        notification: (message) => {
          asking.observe(message);
          queue.push({ type: "notification", message });
        },
        closed: (why) => {
          queue.push({ type: "closed", why });
        },
      });
      const previous = stopListening;
      stopListening = () => {
        previous();
        unlisten();
      };
      for (const event of feed({ method: "thread/started", params: { thread: { id: threadId } } })) {
        if (event.type === "started" && releases.length === 0) releases.push(await this.#locks.acquire(threadKey(event.resume)));
        yield event;
      }
      if (signal?.aborted) return;

      let turnId: string | null;
      try {
        const turn = await server.client.request("turn/start", turnParams(threadId, request));
        turnId = idOf(turn, "turn");
      } catch (error) {
        yield stream.events.completed({ ok: false, error: `codex turn/start: ${describe(error)}` });
        return;
      }
      if (turnId !== null) this.#activeTurns.set(threadId, turnId);

      for (;;) {
        const item = await queue.next();
        if (item.type === "abort") {
          interactions.close();
          interrupting ??= this.#interrupt(server, threadId, turnId, queue);
          continue;
        }
        if (item.type === "closed") {
          if (interrupting !== null || signal?.aborted) return;
          yield stream.events.completed({
            ok: false,
            error: `${this.#redact(item.why)}\nThe run was lost; the next message starts codex app-server again.`,
          });
          return;
        }
        const message = item.message;
        const params = message.params as Record<string, unknown> | undefined;
        const ofTurn = typeof params?.turnId === "string" ? params.turnId : idOf(params, "turn");
        if (turnId !== null && ofTurn !== null && ofTurn !== turnId) continue; // a late notification of an earlier turn
        const endsTurn = message.method === "turn/completed";
        if (interrupting !== null) {
          // Cancelled means nothing of the turn is left: wait for the background terminals to be cleaned too.
          if (endsTurn) await interrupting.answered;
          if (endsTurn) return;
          continue;
        }
        if (endsTurn && interactions.stopped) {
          // Stop on an approval: codex cancelled the request and interrupted the turn. The run ends as a cancel
          // does (no `completed`; the bridge aborts the run's signal too and shows it cancelled), and the
          // turn's background commands are cleaned up as on a cancel.
          await this.#cleanTerminals(server, threadId);
          return;
        }
        for (const event of feed(message)) yield event;
        if (endsTurn || stream.completed) {
          if (!stream.completed) yield* stream.end({ exitCode: 0, signal: null, stderrTail: "" });
          return;
        }
      }
    } finally {
      if (interrupting !== null) clearTimeout(interrupting.timer);
      stopListening();
      if (interactions !== null) {
        interactions.close();
        if (threadId !== null && this.#threads.get(threadId) === interactions) this.#threads.delete(threadId);
      }
      if (threadId !== null) {
        this.#activeTurns.delete(threadId);
        await this.#unload(threadId);
      }
      releaseProcess();
      for (const release of releases) release();
    }
  }

  /**
   * `turn/interrupt` + background-terminal cleanup (the command the turn ran
   * must not survive it). Returns when both are answered, and the timer that
   * kills the tree when the turn does not end in time (the run clears it once
   * the turn is over).
   */
  #interrupt(server: AppServerProcess, threadId: string, turnId: string | null, queue: AsyncQueue<Item>): Interrupt {
    const requests: Promise<unknown>[] = [];
    if (turnId !== null) requests.push(server.client.request("turn/interrupt", { threadId, turnId }));
    requests.push(server.client.request("thread/backgroundTerminals/clean", { threadId }));
    const answered = Promise.allSettled(requests).then((results) => {
      for (const result of results) {
        if (result.status === "rejected") this.#log.warn({ error: describe(result.reason) }, "codex interrupt request failed");
      }
    });
    const timer = setTimeout(() => {
      this.#log.warn({ threadId }, "codex turn did not end after turn/interrupt; killing codex app-server");
      if (this.#process === server) this.#process = null;
      void server.kill().then(() => {
        queue.push({ type: "closed", why: "killed after an interrupt" });
      });
    }, this.#options.interruptTimeoutMs ?? DEFAULTS.interruptTimeoutMs);
    return { answered, timer };
  }

  async #cleanTerminals(server: AppServerProcess, threadId: string): Promise<void> {
    try {
      await server.client.request("thread/backgroundTerminals/clean", { threadId });
    } catch (error) {
      this.#log.warn({ threadId, error: describe(error) }, "codex thread/backgroundTerminals/clean failed");
    }
  }

  /**
   * `thread/unsubscribe` once the run is over: no more notifications for an
   * idle session. Quirk (codex 0.169): the thread stays loaded all the same
   * (`thread/loaded/list`), and a loaded thread refuses `codex exec resume`
   * ("already has an active writer") until the app-server process ends.
   */
  async #unload(threadId: string): Promise<void> {
    const server = this.#process;
    if (server?.alive !== true) return;
    try {
      await server.client.request("thread/unsubscribe", { threadId });
    } catch (error) {
      this.#log.debug({ threadId, error: describe(error) }, "codex thread/unsubscribe failed");
    }
  }

  /** The live process, started (and initialized) on first use or after the last one died. */
  async #server(): Promise<AppServerProcess> {
    if (this.#process?.alive === true) return this.#process;
    this.#starting ??= this.#spawn().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  async #spawn(): Promise<AppServerProcess> {
    const { config } = this.#options;
    const args = [...config.extra_args];
    if (config.profile !== undefined) args.push("--profile", config.profile);
    args.push("app-server");
    const command = this.#options.command ?? "codex";
    this.#log.debug({ command, args }, "starting codex app-server");
    const invocation = { command, args, stdin: null, env: { ...(this.#options.env ?? process.env) } };
    let server: AppServerProcess;
    try {
      server = new AppServerProcess({
        ...invocation,
        graceMs: this.#options.graceMs ?? DEFAULTS.graceMs,
        stderrTailBytes: DEFAULTS.stderrTailBytes,
        onServerRequest: (request) => this.#serverRequest(request),
        onProblem: (problem) => {
          this.#log.warn({ problem: this.#redact(problem) }, "codex app-server protocol problem");
        },
      });
    } catch (error) {
      // Node throws some spawn errors (E2BIG: an argument over 128 KiB) instead of emitting `error`.
      throw this.#couldNotStart(error as NodeJS.ErrnoException, invocation);
    }
    const release = server.hold();
    try {
      await server.initialize("takopi");
    } catch (error) {
      void server.kill();
      if (server.spawnError !== null) throw this.#couldNotStart(server.spawnError, invocation);
      throw new Error(server.alive ? `codex app-server did not initialize: ${describe(error)}` : this.#redact(server.describeEnd()), { cause: error });
    } finally {
      release();
    }
    this.#process = server;
    void server.exited.then(() => {
      if (this.#process === server) this.#process = null;
      this.#log.info({ pid: server.pid, end: this.#redact(server.describeEnd()) }, "codex app-server ended");
    });
    return server;
  }

  /** The error a run ends with when codex app-server cannot be started, said as for an exec run. */
  #couldNotStart(error: NodeJS.ErrnoException, invocation: Invocation): Error {
    const message = describeSpawnFailure(error, invocation, this.backend.installHint);
    this.#log.warn({ code: error.code ?? null, command: invocation.command, error: message }, "engine could not start");
    return new Error(message, { cause: error });
  }

  /** A server request goes to the run of the thread that asked; one nobody can take is refused. */
  #serverRequest(request: JsonRpcServerRequest): unknown {
    if (!(INTERACTION_METHODS as readonly string[]).includes(request.method)) {
      this.#log.warn({ method: request.method }, "codex sent a server request takopi does not handle; refused");
      throw new JsonRpcError(-32601, `takopi does not handle ${request.method}`);
    }
    const params = request.params as Record<string, unknown> | undefined;
    const threadId = typeof params?.threadId === "string" ? params.threadId : null;
    const thread = threadId === null ? undefined : this.#threads.get(threadId);
    if (thread !== undefined) return thread.answer(request);
    this.#log.warn({ method: request.method, threadId }, "codex asked for a thread no run is watching; declined");
    if (request.method === "item/tool/requestUserInput") return { answers: {} };
    return { decision: "decline" };
  }

  #redact(text: string): string {
    return this.#options.redactor?.redact(text) ?? text;
  }
}
