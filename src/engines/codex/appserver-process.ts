/**
 * One `codex app-server` process: spawned as the leader of its own process
 * group, initialized (with `experimentalApi`, which background-terminal
 * cleanup needs), its notifications routed to the run of the thread they
 * name, its server requests handed to a hook, and its end reported to every
 * run still listening.
 */
import { spawn } from "node:child_process";
import { homedir } from "node:os";
import { JsonRpcClient, type JsonRpcNotification, type JsonRpcServerRequest } from "../jsonrpc.js";
import { TailBuffer } from "../lines.js";
import { readProcess, registerLiveGroup, terminateProcessTree } from "../process-tree.js";
import { noteEngineEnded, noteEngineStarted } from "../heap.js";

type Refable = { ref?: () => unknown; unref?: () => unknown };

export interface AppServerSpawn {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** SIGTERM → SIGKILL delay when the tree is killed. */
  graceMs: number;
  stderrTailBytes: number;
  /** Answers a server request (approvals, questions); its result is sent back. */
  onServerRequest(request: JsonRpcServerRequest): unknown;
  /** Protocol trouble worth a log line. */
  onProblem(problem: string): void;
}

/** What a run hears about its thread. */
export interface ThreadListener {
  notification(message: JsonRpcNotification): void;
  /** The process ended; `why` explains it for the run's error. */
  closed(why: string): void;
}

export class AppServerProcess {
  readonly pid: number | undefined;
  /** Start time of the pid (for the crash journal); null where /proc is missing. */
  startTime: string | null = null;
  readonly client: JsonRpcClient;
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;
  readonly #settings: AppServerSpawn;
  readonly #stderr: TailBuffer;
  readonly #listeners = new Map<string, ThreadListener>();
  #exit: { exitCode: number | null; signal: string | null } | null = null;
  #spawnError: NodeJS.ErrnoException | null = null;
  #killing: Promise<void> | null = null;
  /** The child and its pipes: referenced only while a run uses them, so an idle server never keeps takopi alive. */
  readonly #handles: Refable[];
  #users = 0;
  #idle: (() => void) | null = null;

  constructor(settings: AppServerSpawn) {
    this.#settings = settings;
    this.#stderr = new TailBuffer(settings.stderrTailBytes);
    // The process serves threads in many directories; its own cwd does not matter.
    const child = spawn(settings.command, settings.args, { cwd: homedir(), env: settings.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    this.pid = child.pid;
    // The pipes are sockets (they have ref/unref), though typed as plain streams.
    this.#handles = [child, child.stdout, child.stderr, child.stdin] as Refable[];
    this.#setRef(false);
    child.stderr.on("data", (chunk: Buffer) => {
      this.#stderr.push(chunk);
    });
    this.exited = new Promise((resolve) => {
      child.once("error", (error: NodeJS.ErrnoException) => {
        this.#spawnError = error;
        this.#exit ??= { exitCode: null, signal: null };
        resolve(this.#exit);
      });
      child.once("exit", (exitCode, signal) => {
        this.#exit = { exitCode, signal };
        resolve(this.#exit);
      });
    });
    const unregister = this.pid === undefined ? () => false : registerLiveGroup(this.pid);
    noteEngineStarted();
    void this.exited.then(() => {
      unregister();
      noteEngineEnded();
    });
    this.client = new JsonRpcClient(child.stdout, child.stdin, {
      onNotification: (message) => {
        this.#route(message);
      },
      onRequest: (request) => settings.onServerRequest(request),
      onProtocolError: (problem) => {
        settings.onProblem(problem);
      },
      onClose: () => {
        void this.exited.then(() => {
          const why = this.describeEnd();
          for (const listener of this.#listeners.values()) listener.closed(why);
          this.#listeners.clear();
        });
      },
    });
  }

  /** `initialize` + `initialized`; rejects when the process cannot start or answer. */
  async initialize(version: string): Promise<void> {
    if (this.pid !== undefined) this.startTime = (await readProcess(this.pid))?.startTime ?? null;
    await this.client.request("initialize", {
      clientInfo: { name: "takopi", title: null, version },
      capabilities: { experimentalApi: true },
    });
    this.client.notify("initialized");
  }

  /** Why the process could not start (ENOENT, EACCES…), once spawning failed. */
  get spawnError(): NodeJS.ErrnoException | null {
    return this.#spawnError;
  }

  get alive(): boolean {
    return this.#exit === null && !this.client.closed && this.#killing === null;
  }

  /** Why the process is gone: spawn error, exit code or signal, and the tail of its stderr. */
  describeEnd(): string {
    if (this.#spawnError !== null) return `could not start ${this.#settings.command}: ${this.#spawnError.message}`;
    const exit = this.#exit;
    const how = exit === null ? "closed its output" : exit.exitCode !== null ? `exited (rc=${exit.exitCode})` : `was killed (signal=${exit.signal ?? "unknown"})`;
    const tail = this.#stderr.text().trim().split("\n").slice(-5).join("\n");
    return `codex app-server ${how}${tail !== "" ? `\n${tail}` : ""}`;
  }

  /** Notifications naming `threadId` go to `listener` until the returned function is called. */
  listen(threadId: string, listener: ThreadListener): () => void {
    if (!this.alive) {
      listener.closed(this.describeEnd());
      return () => undefined;
    }
    this.#listeners.set(threadId, listener);
    return () => {
      if (this.#listeners.get(threadId) === listener) this.#listeners.delete(threadId);
    };
  }

  /** A run uses the process (it keeps the event loop alive until `release`). */
  hold(): () => void {
    this.#users += 1;
    if (this.#users === 1) this.#setRef(true);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#users -= 1;
      if (this.#users === 0) {
        this.#setRef(false);
        this.#idle?.();
      }
    };
  }

  #setRef(on: boolean): void {
    for (const handle of this.#handles) {
      if (on) handle.ref?.();
      else handle.unref?.();
    }
  }

  /** Kills the whole tree (the server and every command it runs). */
  kill(): Promise<void> {
    if (this.pid === undefined) return Promise.resolve();
    const pid = this.pid;
    this.#killing ??= terminateProcessTree(pid, { graceMs: this.#settings.graceMs, exited: this.exited }).catch((error: unknown) => {
      this.#settings.onProblem(`terminating codex app-server ${pid}: ${String(error)}`);
    });
    return this.#killing;
  }

  /** Clean shutdown: stdin EOF (codex exits and stops its background terminals), the tree killed after the grace period. */
  async shutdown(afterRuns: boolean): Promise<void> {
    // A reload that replaced the runner must not cut its runs short.
    if (afterRuns && this.#users > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    this.client.end();
    const timer = new Promise((resolve) => setTimeout(resolve, this.#settings.graceMs).unref());
    await Promise.race([this.exited, timer]);
    await this.kill();
  }

  #route(message: JsonRpcNotification): void {
    const params = message.params;
    const threadId = typeof params === "object" && params !== null && "threadId" in params ? params.threadId : undefined;
    const listener = typeof threadId === "string" ? this.#listeners.get(threadId) : undefined;
    listener?.notification(message);
  }
}
