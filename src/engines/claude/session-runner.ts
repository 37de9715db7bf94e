/**
 * claude over a stream-json session: one `claude -p --input-format
 * stream-json` process per run, its stdin kept open while the run goes on so
 * that takopi can answer permission prompts (`--permission-prompt-tool stdio`),
 * add a person's message to the running turn (`steer`) and interrupt it.
 *
 * The process's stdout goes through the same translator as a one-shot run;
 * what only a session has is handled here: control requests, the replayed
 * user messages that say a steer was taken in, and the `result` of each turn
 * — only the last one completes the run. Once the last turn is over (no steer
 * waiting for its turn) stdin is closed and claude exits.
 *
 * Cancel: `interrupt` (claude ends the turn and kills a running Bash), stdin
 * closed, and the process tree killed when claude is not gone in time.
 */
import { threadKey, type ResumeToken, type TakopiEvent } from "../../core/events.js";
import { refusal, type InteractionAnswer } from "../../core/interaction.js";
import { silentLogger, type Logger } from "../../util/log.js";
import { errorMessage } from "../../util/errors.js";
import type { EngineBackend, RunRequest } from "../backend.js";
import type { EngineProcess } from "../engine-process.js";
import { DEFAULT_MAX_LINE_BYTES, splitLineBatches } from "../lines.js";
import { readProcess } from "../process-tree.js";
import { checkCwd, describeSpawnFailure, runConfig, runStream, type EngineRunnerLike, type EngineRunnerOptions, type RunControl, type SteerOutcome } from "../runner.js";
import { lockResumed, SessionLocks, type Release } from "../session-locks.js";
import { cleanStderr } from "../stderr.js";
import { SessionApprovals } from "./approvals.js";
import { interactionFor, latestPlanFile, permissionResult, sessionRuleFor } from "./permissions.js";
import {
  CanUseToolSchema,
  ControlCancelSchema,
  ControlRequestSchema,
  controlErrorLine,
  controlResponseLine,
  interruptLine,
  isReplayedPrompt,
  toolResultIds,
  toolUses,
  userMessageLine,
} from "./protocol.js";
import type { ClaudeConfig } from "./schema.js";
import { SessionInput } from "./session-input.js";

export interface ClaudeSessionRunnerOptions extends EngineRunnerOptions<ClaudeConfig> {
  /** After stdin is closed (the run is over, cancelled or stopped), how long claude may take to exit before its tree is killed. */
  exitTimeoutMs?: number;
}

const DEFAULTS = { graceMs: 2000, stderrTailBytes: 16 * 1024, drainIdleMs: 1000, exitTimeoutMs: 5000 };

/** What one line of the session means to the run. */
type LineRole = "feed" | "skip";

/** The state of one run that line handling and permission answers share. */
interface RunState {
  request: RunRequest;
  control: RunControl;
  input: SessionInput;
  /** Permission requests waiting for the person, by request id (aborted when claude withdraws them or the run ends). */
  asking: Map<string, AbortController>;
  /** ExitPlanMode's `plan` input by tool_use id: its permission request comes without it. */
  plans: Map<string, string>;
  /** When the run started, to find the plan file claude wrote during it. */
  startedAt: number;
  /** The person answered Stop: the turn ends, and the run ends like a cancel. */
  stopped: boolean;
  /** The run's signal aborted: the turn is being interrupted. */
  cancelled: boolean;
  /** The claude session, once known (resumed, or announced by `system/init`). */
  session: string | null;
}

export class ClaudeSessionRunner implements EngineRunnerLike {
  readonly backend: EngineBackend<ClaudeConfig>;
  readonly #options: ClaudeSessionRunnerOptions;
  readonly #locks = new SessionLocks();
  readonly #log: Logger;
  /** The stdin of each session's run in flight, for `steer`. */
  readonly #live = new Map<string, SessionInput>();
  readonly #approvals = new SessionApprovals();

  constructor(options: ClaudeSessionRunnerOptions) {
    this.backend = options.backend;
    this.#options = options;
    this.#log = (options.log ?? silentLogger).child({ engine: options.backend.id });
  }

  get engine(): string {
    return this.backend.id;
  }

  isBusy(token: { engine: string; value: string }): boolean {
    return this.#locks.isBusy(threadKey(token));
  }

  /** Writes `text` to the session's running claude as a user message; rejects when it has no run in flight. */
  steer(session: ResumeToken, text: string): Promise<SteerOutcome> {
    const input = this.#live.get(session.value);
    if (input === undefined || !input.open) return Promise.reject(new Error(`claude session ${session.value} has no run in flight to steer`));
    return Promise.resolve(input.steer(text));
  }

  async *run(request: RunRequest, control: RunControl = {}): AsyncGenerator<TakopiEvent> {
    const { backend, config } = this.#options;
    const signal = control.signal;
    if (request.resume && request.resume.engine !== backend.id) {
      throw new Error(`resume token is for engine '${request.resume.engine}', not '${backend.id}'`);
    }
    const releases: Release[] = [];
    let child: EngineProcess | undefined;
    let state: RunState | undefined;
    let session: string | null = null;
    let exitTimer: NodeJS.Timeout | undefined;
    try {
      const held = await lockResumed(this.#locks, request.resume, signal);
      if (held === "aborted") return;
      releases.push(...held);
      if (signal?.aborted) return;

      const prepared = backend.prepareRun(request, runConfig(config, request), this.#options.env ?? process.env);
      const stream = runStream(backend, request, prepared, this.#log);
      const { spawnEngine } = await import("../engine-process.js");
      if (signal?.aborted) return;

      const invocation = { ...prepared.invocation, command: this.#options.command ?? prepared.invocation.command };
      this.#log.debug({ command: invocation.command, args: invocation.args, cwd: request.cwd }, "spawning claude session");
      child = spawnEngine(invocation, request.cwd, {
        graceMs: this.#options.graceMs ?? DEFAULTS.graceMs,
        stderrTailBytes: this.#options.stderrTailBytes ?? DEFAULTS.stderrTailBytes,
        drainIdleMs: this.#options.drainIdleMs ?? DEFAULTS.drainIdleMs,
        keepStdinOpen: true,
      });
      const spawnFailure = await child.spawnFailure;
      const stdin = child.stdin;
      if (spawnFailure !== null || stdin === null) {
        const problem = await checkCwd(request.cwd);
        const error = problem ?? (spawnFailure !== null ? describeSpawnFailure(spawnFailure, invocation, backend.installHint) : "claude started without a stdin pipe");
        this.#log.warn({ code: spawnFailure?.code ?? null, command: invocation.command, error }, "claude could not start");
        yield stream.events.completed({ ok: false, error, resume: request.resume });
        return;
      }
      const running = child;
      const input = new SessionInput(stdin, prepared.invocation.stdin ?? userMessageLine(request.prompt));
      const runState: RunState = { request, control, input, asking: new Map(), plans: new Map(), startedAt: Date.now(), stopped: false, cancelled: false, session: request.resume?.value ?? null };
      state = runState;
      if (request.resume) {
        session = request.resume.value;
        this.#live.set(session, input);
      }
      if (running.pid !== undefined && control.onSpawn !== undefined) {
        control.onSpawn({ pid: running.pid, startTime: (await readProcess(running.pid))?.startTime ?? null });
      }

      // After stdin is closed claude should exit at once; if it does not, its tree is killed.
      const closeInput = (): void => {
        input.close();
        exitTimer ??= setTimeout(() => {
          this.#log.warn({ pid: running.pid }, "claude did not exit after its stdin was closed; killing its process tree");
          void running.terminate();
        }, this.#options.exitTimeoutMs ?? DEFAULTS.exitTimeoutMs);
      };
      const onAbort = (): void => {
        if (runState.cancelled) return;
        runState.cancelled = true;
        for (const asking of runState.asking.values()) asking.abort();
        input.write(interruptLine(`takopi-interrupt-${Date.now()}`));
        closeInput();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (signal?.aborted) onAbort();
      try {
        const limit = this.#options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
        for await (const batch of splitLineBatches(running.stdout, limit)) {
          for (const item of batch) {
            if (runState.cancelled || runState.stopped) {
              // Nothing of a cancelled run reaches the chat; the lines only keep claude's control requests answered.
              if (item.type === "line") this.#handleLine(item.text, runState, closeInput);
              continue;
            }
            if (item.type !== "line") {
              for (const event of stream.oversizedLine(item.bytes, limit)) yield event;
              continue;
            }
            if (this.#handleLine(item.text, runState, closeInput) === "skip") continue;
            for (const event of stream.line(item.text)) {
              if (event.type === "started" && session === null) {
                session = event.resume.value;
                runState.session = session;
                if (releases.length === 0) releases.push(await this.#locks.acquire(threadKey(event.resume)));
                this.#live.set(session, input);
              }
              yield event;
            }
          }
        }
        const exit = await running.exited;
        if (runState.cancelled || runState.stopped || running.terminated || signal?.aborted) return;
        const rawTail = cleanStderr(running.stderrTail(), backend.stderrNoise ?? []);
        const stderrTail = this.#options.redactor?.redact(rawTail) ?? rawTail;
        if (!stream.completed) this.#log.debug({ ...exit, stderrTail }, "claude ended without a result event");
        yield* stream.end({ ...exit, stderrTail });
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    } finally {
      clearTimeout(exitTimer);
      if (state !== undefined) {
        state.input.close();
        for (const asking of state.asking.values()) asking.abort();
      }
      if (session !== null && this.#live.get(session) === state?.input) this.#live.delete(session);
      if (child && (child.terminated || !child.hasExited())) await child.terminate();
      await child?.closed;
      for (const release of releases) release();
    }
  }

  /**
   * Reads what a line means for the session: control requests are answered
   * here (skip), replays and tool calls update the input's bookkeeping, and a
   * turn's `result` either completes the run (feed) or, when a steer still
   * waits for its own turn, is passed over (skip).
   */
  #handleLine(text: string, state: RunState, closeInput: () => void): LineRole {
    const value = parseObject(text);
    if (value === null) return "feed";
    switch (value.type) {
      case "control_request":
        this.#controlRequest(value, state);
        return "skip";
      case "control_cancel_request": {
        const id = ControlCancelSchema.safeParse(value).data?.request_id;
        if (id !== undefined) state.asking.get(id)?.abort();
        return "skip";
      }
      case "control_response":
        return "skip"; // the echo of our own answers, the interrupt's receipt
      case "user":
        if (isReplayedPrompt(value)) state.input.taken(value);
        for (const id of toolResultIds(value)) state.input.toolEnded(id);
        return "feed";
      case "assistant":
        for (const tool of toolUses(value)) {
          state.input.toolStarted(tool.id);
          if (tool.name === "ExitPlanMode" && typeof tool.input.plan === "string") state.plans.set(tool.id, tool.input.plan);
        }
        return "feed";
      case "result": {
        const last = state.input.turnEnded();
        if (state.stopped || !state.input.open) {
          closeInput();
          return "skip";
        }
        if (!last) return "skip"; // a steer sent while claude streamed its answer: it is the next turn of this run
        closeInput();
        return "feed";
      }
      default:
        return "feed";
    }
  }

  #controlRequest(value: Record<string, unknown>, state: RunState): void {
    const parsed = ControlRequestSchema.safeParse(value);
    if (!parsed.success) return;
    const { request_id: id, request } = parsed.data;
    if (request.subtype !== "can_use_tool") {
      this.#log.debug({ subtype: request.subtype }, "claude sent a control request takopi does not serve");
      state.input.write(controlErrorLine(id, `takopi does not serve ${request.subtype} requests`));
      return;
    }
    if (state.cancelled || state.stopped) {
      // The run is ending: nothing more is asked in the chat.
      state.input.write(controlResponseLine(id, { behavior: "deny", message: "The run was stopped", interrupt: true }));
      return;
    }
    void this.#ask(id, request, state).catch((error: unknown) => {
      this.#log.warn({ error: errorMessage(error) }, "answering a claude permission request failed");
    });
  }

  /** Asks the person through `control.interact` (or refuses when nobody can be asked) and sends claude the answer. */
  async #ask(id: string, raw: unknown, state: RunState): Promise<void> {
    const parsed = CanUseToolSchema.safeParse(raw);
    if (!parsed.success) {
      state.input.write(controlResponseLine(id, { behavior: "deny", message: "takopi could not read this permission request" }));
      return;
    }
    const request = parsed.data;
    if (this.#approvals.covers(state.session, request)) {
      state.input.write(controlResponseLine(id, { behavior: "allow", updatedInput: request.input }));
      return;
    }
    let plan = request.tool_use_id != null ? (state.plans.get(request.tool_use_id) ?? null) : null;
    if (plan === null && request.tool_name === "ExitPlanMode") plan = await latestPlanFile(this.#options.env ?? process.env, state.startedAt);
    const asked = interactionFor(request, { cwd: state.request.cwd, plan });
    const aborter = new AbortController();
    state.asking.set(id, aborter);
    let answer: InteractionAnswer;
    try {
      const interact = state.control.interact;
      answer = interact !== undefined ? await interact(asked, aborter.signal) : refusal(asked, "nobody can be asked in this run");
    } catch (error) {
      this.#log.warn({ error: errorMessage(error), tool: request.tool_name }, "asking the chat failed; refusing");
      answer = refusal(asked, `the chat could not be asked: ${errorMessage(error)}`);
    } finally {
      state.asking.delete(id);
    }
    // Withdrawn (the turn was interrupted) or the run is over: claude waits for no answer.
    if (aborter.signal.aborted) return;
    if (answer.kind === "approval" && answer.decision === "stop") state.stopped = true;
    if (answer.kind === "approval" && answer.decision === "approve_session" && state.session !== null) this.#approvals.add(state.session, sessionRuleFor(request));
    state.input.write(controlResponseLine(id, permissionResult(request, asked, answer)));
  }
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
