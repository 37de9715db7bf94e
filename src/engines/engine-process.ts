/**
 * One engine CLI process as the runner needs it: spawned as the leader of its
 * own process group, stdout read with a drain for tools that keep the pipe
 * open, the tail of stderr kept, spawn failures reported instead of hanging,
 * and the whole tree terminated on request.
 */
import type { Readable, Writable } from "node:stream";
import { execa } from "execa";
import { errorMessage } from "../util/errors.js";
import { noteEngineEnded, noteEngineOutput, noteEngineStarted } from "./heap.js";
import type { Invocation, ProcessExit } from "./backend.js";
import { TailBuffer } from "./lines.js";
import { registerLiveGroup, terminateProcessTree } from "./process-tree.js";

export interface SpawnSettings {
  graceMs: number;
  stderrTailBytes: number;
  drainIdleMs: number;
  /**
   * Keep stdin open as a pipe the caller writes to (a session that takes
   * messages while it runs: claude stream-json); `invocation.stdin` is then
   * not written. Default: write `invocation.stdin` and close it.
   */
  keepStdinOpen?: boolean;
}

/** A spawned engine CLI, as much of it as the runner needs. */
export interface EngineProcess {
  /** The group leader's pid; undefined when it never started. */
  pid: number | undefined;
  stdout: AsyncIterable<Buffer>;
  /** The open stdin pipe with `keepStdinOpen` (write errors after the process died are swallowed); null otherwise. */
  stdin: Writable | null;
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

export function spawnEngine(invocation: Invocation, cwd: string, settings: SpawnSettings): EngineProcess {
  const subprocess = execa(invocation.command, invocation.args, {
    cwd,
    env: invocation.env,
    extendEnv: false,
    ...(settings.keepStdinOpen === true ? { stdin: "pipe" as const } : { input: invocation.stdin ?? "" }),
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
  const stdin = settings.keepStdinOpen === true ? subprocess.stdin : null;
  // EPIPE when the process is gone: what it did not read is the run's outcome to report, not a crash.
  stdin?.on("error", () => undefined);
  const stdout = subprocess.stdout;
  const tail = new TailBuffer(settings.stderrTailBytes);
  const stderrSeen = { bytes: 0 };
  subprocess.stderr.on("data", (chunk: Buffer) => {
    stderrSeen.bytes += chunk.length;
    tail.push(chunk);
  });

  const spawnFailure = new Promise<NodeJS.ErrnoException | null>((resolve) => {
    node.once("spawn", () => {
      resolve(null);
    });
    node.once("error", (error: NodeJS.ErrnoException) => {
      resolve(error);
    });
    // Node throws some spawn errors (E2BIG: an argument over 128 KiB) instead of emitting
    // 'error', and execa then hands back a stand-in child that emits no event at all, only a
    // failed result. Settling on the result too means every way of not starting ends the wait.
    const settled = (outcome: unknown): void => {
      resolve(node.pid === undefined ? spawnErrorOf(outcome) : null);
    };
    void subprocess.then(settled, settled);
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
  noteEngineStarted();
  void closed.then(() => {
    unregister();
    noteEngineEnded();
  });

  // A background tool can inherit stdout or stderr and keep it open after the
  // CLI exits (and the run would not end while execa waits for stderr). Once
  // the CLI is gone, stop reading such a stream when it stays idle (see closeWhenIdle).
  const consumed: ReadProgress = { chunks: 0, waiting: false };
  void exited.then(() => {
    closeWhenIdle(stdout, () => consumed, settings.drainIdleMs);
    // stderr flows into the tail buffer: it is always waiting for more.
    closeWhenIdle(subprocess.stderr, () => ({ chunks: stderrSeen.bytes, waiting: true }), settings.drainIdleMs);
  });

  let terminating: Promise<void> | null = null;
  const engine: EngineProcess = {
    pid,
    stdout: untilClosed(readNow(stdout), consumed),
    stdin,
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

/** How many idle checks in a row end a drain. */
const DRAIN_CHECKS = 4;

/** How far a stream has been read, for closeWhenIdle. */
interface ReadProgress {
  /** Chunks (or bytes) handed to the reader so far. */
  chunks: number;
  /** Whether the reader is waiting for more (false while it is busy with a chunk). */
  waiting: boolean;
}

/**
 * Destroys `stream` once the reader has been waiting, with nothing arriving
 * and nothing buffered, for DRAIN_CHECKS checks in a row spread over
 * `idleMs`. One overdue check is never enough: after the event loop stalls
 * (a loaded machine, a long GC) timers run before pending pipe reads, so the
 * last lines may still be unread in the pipe right then.
 */
function closeWhenIdle(stream: Readable, progress: () => ReadProgress, idleMs: number): void {
  let idleChecks = 0;
  let seen = progress().chunks;
  const timer = setInterval(() => {
    if (stream.readableEnded || stream.destroyed) {
      clearInterval(timer);
      return;
    }
    const now = progress();
    const idle = now.waiting && now.chunks === seen && stream.readableLength === 0;
    seen = now.chunks;
    idleChecks = idle ? idleChecks + 1 : 0;
    if (idleChecks >= DRAIN_CHECKS) {
      clearInterval(timer);
      stream.destroy();
    }
  }, Math.max(1, Math.floor(idleMs / DRAIN_CHECKS)));
  timer.unref();
}

/**
 * The errno error inside execa's result of a child that never started. Never
 * execa's own message: it quotes the whole command line, prompt and all.
 */
function spawnErrorOf(outcome: unknown): NodeJS.ErrnoException {
  const found = typeof outcome === "object" && outcome !== null ? (outcome as { cause?: unknown; code?: unknown }) : {};
  if (found.cause instanceof Error) return found.cause;
  const error: NodeJS.ErrnoException = new Error("the process did not start");
  if (typeof found.code === "string") error.code = found.code;
  return error;
}

/**
 * Starts reading `stream` at once, before the runner gets to it. Whoever
 * reads an engine's stdout must be attached from the spawn on: a stream nobody
 * reads is switched to flowing mode and its data thrown away — by execa one
 * setImmediate after the spawn (`buffer: false`, execa 10
 * lib/io/contents.js resumeStream) and by Node when the child exits
 * (child_process flushStdio). The runner reads only after it has seen the
 * spawn succeed and noted the pid; on a loaded bridge a quick engine was done
 * by then, and its whole answer lost. The first read keeps a `readable`
 * listener on the stream, so it stays paused: the output waits in the stream,
 * and past its buffer in the pipe, until the runner asks for it.
 */
function readNow(stream: Readable): AsyncIterator<Buffer> {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first: Promise<IteratorResult<Buffer>> | null = chunks.next();
  // Settled by the runner's first next(); a failure nobody asks for is not an unhandled rejection.
  first.catch(() => undefined);
  return {
    next: () => {
      const pending = first;
      first = null;
      return pending ?? chunks.next();
    },
    return: async (value?: unknown) => {
      first = null;
      return (await chunks.return?.(value)) ?? { done: true, value: undefined };
    },
  };
}

/** Reads a stream to its end, treating an early destroy (see drain above) as the end. */
async function* untilClosed(chunks: AsyncIterator<Buffer>, consumed: ReadProgress): AsyncGenerator<Buffer> {
  try {
    for (;;) {
      consumed.waiting = true;
      const next = await chunks.next();
      consumed.waiting = false;
      if (next.done === true) return;
      consumed.chunks += 1;
      noteEngineOutput(next.value.length);
      yield next.value;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") throw error;
  } finally {
    consumed.waiting = false;
    await chunks.return?.();
  }
}
