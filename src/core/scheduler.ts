/**
 * Which runs go now and which wait: one run at a time per engine
 * session ("thread"), any number of threads in parallel, and a FIFO queue per
 * thread. A prompt for a thread that is busy waits under a `queued` message
 * with a cancel button; when its turn comes that message becomes its progress
 * message.
 *
 * A new session has no thread key until the engine announces it (`started`);
 * from then on prompts for that session queue behind it. Each job's `session`
 * promise is the one way to wait for that: a reply to a running progress
 * message (`sessionForProgressMessage`) and forwards that arrive after their
 * prompt started both wait on it, then submit for that session.
 *
 * The scheduler only orders work: how a run and its `queued` message look is
 * up to run-message.ts.
 *
 * `submit` returns at once: the chat handler that calls it never waits for a
 * run, nor for the chat service.
 */
import type { RunInfo } from "../plugins/types.js";
import { silentLogger, type Logger } from "../util/log.js";
import type { MessageRef } from "./chat.js";
import { threadKey, type ResumeToken } from "./events.js";
import { engineCapabilities } from "../engines/backend.js";
import type { SteerOutcome } from "../engines/runner.js";
import { enginePrompt, postQueued, resumeFormatter, runMessage, showDropped, showSteered, type BridgeSettings, type MessageRun, type MessageRunner, type RunResult } from "./run-message.js";

/** A prompt to run, with what the run registry reports about it. */
export interface JobSpec extends MessageRun {
  /** Lower-cased project alias, for `RunInfo`. */
  project?: string | null;
  branch?: string | null;
  /** The engine announced the session of a new run (e.g. to remember it for the chat or topic). */
  onThreadKnown?: (token: ResumeToken) => void;
}

export type JobState = "queued" | "running" | "finished";

/** A submitted job, as its submitter sees it. */
export interface JobHandle {
  readonly id: string;
  /** Whether it had to wait behind another run of its thread. */
  readonly queued: boolean;
  /** Settles when the job is over: run to the end, cancelled, or dropped from the queue. */
  readonly done: Promise<RunResult>;
  /** Settles with the job's session as soon as it is known, or with null if the job ends without one. */
  readonly session: Promise<ResumeToken | null>;
}

/** What a cancel request (`/cancel` or the button) did. */
export type CancelOutcome =
  /** The run was told to stop; its progress message will show `cancelled`. */
  | "cancelling"
  /** The job had not started: it never will, and its `queued` message shows `cancelled`. */
  | "dropped"
  /** Nothing running or queued has that id or message. */
  | "none";

/** What a steer press did: the prompt joined the running turn, or why it stays queued. */
export type SteerResult = { steered: true; outcome: SteerOutcome } | { steered: false; reason: string };

export type SchedulerSettings = BridgeSettings;

interface Job {
  id: string;
  spec: JobSpec;
  state: JobState;
  /** The key of the lane the job is in (a placeholder key for a new session until `started`). */
  lane: string;
  /** The session, once known. */
  resume: ResumeToken | null;
  controller: AbortController;
  /** The job's key in the run journal (unique across restarts, unlike `id`). */
  journalKey: string;
  /** The `queued` message, while it is being posted. */
  placeholder: Promise<MessageRef | null> | null;
  /** Every message that showed this job's progress (the placeholder, then its replacements). */
  messages: MessageRef[];
  startedAt: number | null;
  done: PromiseWithResolvers<RunResult>;
  /** Settled once the session is known (or the job ended without one). */
  session: PromiseWithResolvers<ResumeToken | null>;
  /** Out of its queue while its prompt is being steered into the running turn. */
  steering?: boolean;
}

interface Lane {
  key: string;
  running: Job | null;
  queue: Job[];
}

export class ThreadScheduler {
  readonly #settings: SchedulerSettings;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #jobs = new Map<string, Job>();
  readonly #lanes = new Map<string, Lane>();
  /** `chat:message` of progress and queued messages → job. */
  readonly #byMessage = new Map<string, Job>();
  #idleWaiters: (() => void)[] = [];
  #nextId = 1;

  constructor(settings: SchedulerSettings) {
    this.#settings = settings;
    this.#now = settings.now ?? Date.now;
    this.#log = settings.log ?? silentLogger;
  }

  /**
   * Runs `spec` now, or — when its session is busy — posts a `queued` reply
   * and runs it after the jobs ahead of it in that thread.
   */
  submit(spec: JobSpec): JobHandle {
    const id = `run-${this.#nextId++}`;
    const job: Job = {
      id,
      spec,
      state: "queued",
      lane: spec.resume === null ? `new:${id}` : threadKey(spec.resume),
      resume: spec.resume,
      controller: new AbortController(),
      journalKey: crypto.randomUUID(),
      placeholder: null,
      messages: [],
      startedAt: null,
      done: Promise.withResolvers(),
      session: Promise.withResolvers(),
    };
    if (spec.resume !== null) job.session.resolve(spec.resume);
    this.#jobs.set(id, job);
    let lane = this.#lanes.get(job.lane);
    if (lane === undefined) {
      lane = { key: job.lane, running: null, queue: [] };
      this.#lanes.set(lane.key, lane);
    }
    const waits = lane.running !== null || lane.queue.length > 0;
    lane.queue.push(job);
    if (waits) {
      job.placeholder = this.#postPlaceholder(job);
    } else {
      this.#pump(lane);
    }
    return { id, queued: waits, done: job.done.promise, session: job.session.promise };
  }

  /** Cancels a running or queued job by id (`RunInfo.id`). */
  cancel(id: string): CancelOutcome {
    const job = this.#jobs.get(id);
    return job === undefined ? "none" : this.#cancelJob(job);
  }

  /** Cancels the job whose progress or `queued` message is `ref` (`/cancel` as a reply, the cancel button). */
  cancelByMessage(ref: Pick<MessageRef, "chatId" | "messageId">): CancelOutcome {
    const job = this.#byMessage.get(messageKey(ref));
    return job === undefined ? "none" : this.#cancelJob(job);
  }

  /**
   * Steers the queued job whose `queued` message is `ref` into its session's
   * running turn: it leaves the queue and its message says it was steered.
   * When the engine refuses (the turn just ended), it keeps its place.
   */
  async steerByMessage(ref: Pick<MessageRef, "chatId" | "messageId">): Promise<SteerResult> {
    const job = this.#byMessage.get(messageKey(ref));
    if (job === undefined || job.state !== "queued" || job.steering === true) return { steered: false, reason: "this prompt is no longer queued." };
    const lane = this.#lanes.get(job.lane);
    const running = lane?.running ?? null;
    if (lane === undefined || running === null || running.resume === null) return { steered: false, reason: "no turn is running to steer into; it stays queued." };
    const runner = running.spec.runner;
    if (!canSteer(runner)) return { steered: false, reason: `${runner.engine} cannot be steered; it stays queued.` };
    const index = lane.queue.indexOf(job);
    lane.queue.splice(index, 1);
    job.steering = true;
    let outcome: SteerOutcome;
    try {
      outcome = await runner.steer(running.resume, enginePrompt(job.spec));
    } catch (error) {
      job.steering = false;
      this.#requeue(job, index);
      this.#log.info({ runId: job.id, err: error }, "steer refused; prompt stays queued");
      return { steered: false, reason: "the running turn did not take it (it may have just ended); it stays queued." };
    }
    job.steering = false;
    job.state = "finished";
    this.#log.info({ event: "run.steered", runId: job.id, into: running.id, outcome }, "queued prompt steered into the running turn");
    const placeholder = await job.placeholder;
    const message = placeholder == null ? null : await showSteered(this.#settings, job.spec, placeholder, outcome, job.journalKey);
    this.#finish(job, Promise.resolve({ status: "steered", resume: job.resume, message }));
    return { steered: true, outcome };
  }

  /** A job whose steer failed goes back where it was (its lane may have emptied and gone meanwhile). */
  #requeue(job: Job, index: number): void {
    let lane = this.#lanes.get(job.lane);
    if (lane === undefined) {
      lane = { key: job.lane, running: null, queue: [] };
      this.#lanes.set(lane.key, lane);
    }
    lane.queue.splice(Math.min(Math.max(index, 0), lane.queue.length), 0, job);
    this.#pump(lane);
  }

  /**
   * For a reply to a progress or `queued` message: that job's `session`.
   * Null when no running or queued job shows its progress in `ref` (route the
   * reply as usual).
   */
  sessionForProgressMessage(ref: Pick<MessageRef, "chatId" | "messageId">): Promise<ResumeToken | null> | null {
    const job = this.#byMessage.get(messageKey(ref));
    if (job === undefined || job.state === "finished") return null;
    return job.session.promise;
  }

  /** Running jobs, then queued ones, each in submission order (for plugins: `BridgeRuntime.runs`). */
  runs(): RunInfo[] {
    const active = [...this.#jobs.values()].filter((job) => job.state !== "finished");
    const ordered = [...active.filter((job) => job.state === "running"), ...active.filter((job) => job.state === "queued")];
    return ordered.map((job) => this.#runInfo(job));
  }

  /** Whether nothing is running or queued. */
  get idle(): boolean {
    return this.#jobs.size === 0;
  }

  /** Resolves true once nothing is running or queued, or false after `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.idle) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onIdle = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((waiter) => waiter !== onIdle);
        resolve(false);
      }, Math.max(0, timeoutMs));
      this.#idleWaiters.push(onIdle);
    });
  }

  /**
   * Cancels everything (before `/reload` or shutdown): queued jobs are dropped
   * first, so none starts when a running one ends. Returns how many jobs were
   * affected; `waitIdle` tells when they are all over.
   */
  cancelAll(): number {
    const queued = [...this.#jobs.values()].filter((job) => job.state === "queued");
    const running = [...this.#jobs.values()].filter((job) => job.state === "running");
    for (const job of queued) this.#cancelJob(job);
    for (const job of running) this.#cancelJob(job);
    return queued.length + running.length;
  }

  #cancelJob(job: Job): CancelOutcome {
    if (job.steering === true) return "none";
    if (job.state === "running") {
      job.controller.abort();
      return "cancelling";
    }
    if (job.state !== "queued") return "none";
    const lane = this.#lanes.get(job.lane);
    if (lane !== undefined) lane.queue = lane.queue.filter((queued) => queued !== job);
    // Over as far as anyone can tell; it stays counted (not idle) until its message shows it.
    job.state = "finished";
    job.controller.abort();
    this.#log.debug({ runId: job.id }, "queued run dropped");
    const result: Promise<RunResult> = this.#showDropped(job).then((message) => ({ status: "cancelled", resume: job.resume, message }));
    this.#finish(job, result);
    if (lane !== undefined) this.#pump(lane);
    return "dropped";
  }

  /** Starts the lane's next job if the lane is free; forgets an empty lane. */
  #pump(lane: Lane): void {
    if (lane.running !== null) return;
    const job = lane.queue.shift();
    if (job === undefined) {
      if (this.#lanes.get(lane.key) === lane) this.#lanes.delete(lane.key);
      return;
    }
    lane.running = job;
    job.state = "running";
    job.startedAt = this.#now();
    const result = runMessage(this.#settings, job.spec, {
      placeholder: job.placeholder,
      signal: job.controller.signal,
      journalKey: job.journalKey,
      onProgressMessage: (ref) => {
        this.#index(job, ref);
      },
      onThreadKnown: (token) => {
        this.#threadKnown(job, lane, token);
      },
    }).catch((error: unknown): RunResult => {
      // runMessage does not throw; this is a last line of defence for the queue.
      this.#log.error({ err: error, runId: job.id }, "run failed unexpectedly");
      return { status: "error", resume: job.resume, message: null };
    });
    this.#finish(job, result, lane);
  }

  /** When a new run announces its session, prompts for that session queue behind it. */
  #threadKnown(job: Job, lane: Lane, token: ResumeToken): void {
    job.resume = token;
    job.session.resolve(token);
    const key = threadKey(token);
    if (lane.key !== key) {
      if (this.#lanes.has(key)) {
        // Another lane already holds this session (it was resumed elsewhere meanwhile);
        // the engine's session lock keeps the two runs apart.
        this.#log.debug({ runId: job.id, thread: key }, "session already has a queue");
      } else {
        this.#lanes.delete(lane.key);
        lane.key = key;
        job.lane = key;
        this.#lanes.set(key, lane);
      }
    }
    const hook = job.spec.onThreadKnown;
    if (hook !== undefined) {
      try {
        hook(token);
      } catch (error) {
        this.#log.error({ err: error, runId: job.id }, "onThreadKnown failed");
      }
    }
  }

  #finish(job: Job, result: Promise<RunResult>, lane?: Lane): void {
    void result.then((outcome) => {
      job.state = "finished";
      job.session.resolve(job.resume);
      for (const ref of job.messages) {
        if (this.#byMessage.get(messageKey(ref)) === job) this.#byMessage.delete(messageKey(ref));
      }
      this.#jobs.delete(job.id);
      if (lane !== undefined) {
        lane.running = null;
        this.#pump(lane);
      }
      job.done.resolve(outcome);
      if (this.idle) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    });
  }

  #index(job: Job, ref: MessageRef): void {
    job.messages.push(ref);
    this.#byMessage.set(messageKey(ref), job);
  }

  async #postPlaceholder(job: Job): Promise<MessageRef | null> {
    const running = this.#lanes.get(job.lane)?.running ?? null;
    const ref = await postQueued(this.#settings, job.spec, job.journalKey, running !== null && canSteer(running.spec.runner));
    if (ref !== null && job.state !== "finished") this.#index(job, ref);
    return ref;
  }

  async #showDropped(job: Job): Promise<MessageRef | null> {
    const ref = await job.placeholder;
    return ref == null ? null : showDropped(this.#settings, job.spec, ref, job.journalKey);
  }

  #runInfo(job: Job): RunInfo {
    const { spec } = job;
    const resumeLine = job.resume === null ? null : resumeFormatter(spec)(job.resume);
    return {
      id: job.id,
      state: job.state === "running" ? "running" : "queued",
      chatId: spec.source.chatId,
      threadId: spec.source.threadId,
      engine: spec.runner.engine,
      project: spec.project ?? null,
      branch: spec.branch ?? null,
      startedAt: job.startedAt,
      resumeLine: resumeLine === "" ? null : resumeLine,
    };
  }
}

/** Whether a runner takes steering into a running turn: it has `steer` and its backend says so. */
function canSteer(runner: MessageRunner): runner is MessageRunner & Required<Pick<MessageRunner, "steer">> {
  return typeof runner.steer === "function" && engineCapabilities(runner.backend).steer === true;
}

function messageKey(ref: Pick<MessageRef, "chatId" | "messageId">): string {
  return `${ref.chatId}:${ref.messageId}`;
}
