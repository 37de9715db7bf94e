/**
 * What an engine is to takopi: an argv builder plus a pure translator from the
 * CLI's JSONL to takopi events. Processes belong to `engines/runner.ts`; nothing
 * here spawns anything, which is what lets `takopi replay` run a recorded
 * stream through exactly the code a live run uses.
 */
import type * as z from "zod";
import type { ActionEvent, EventFactory, ResumeToken, TakopiEvent } from "../core/events.js";
import type { EngineRunnerLike, EngineRunnerOptions } from "./runner.js";

/** Per-run overrides: chosen in chat (`/model`, `/reasoning`), or set for the run's project. */
export interface RunOptions {
  model?: string;
  reasoning?: string;
  /**
   * The engine config this run uses instead of its runner's: the `[<id>]`
   * table with the project's `[projects.<alias>.<id>]` keys over it, validated
   * by the backend's schema (engines/project-config.ts). Unset when the
   * project sets nothing for the engine. Runners read it through `runConfig`.
   */
  config?: unknown;
}

export interface RunRequest {
  prompt: string;
  /** Continue this session; null starts a new one. */
  resume: ResumeToken | null;
  /** The run base dir: project root or branch worktree. */
  cwd: string;
  options?: RunOptions;
}

/** How the process ended, as seen by the translator at end of stdout. */
export interface ProcessExit {
  /** Exit code, or null when killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  /** Last lines of stderr (ANSI stripped, engine noise removed), for error messages. */
  stderrTail: string;
}

/** What the translator gets to know about the run it decodes. */
export interface TranslatorContext {
  /** Run base dir, used to shorten paths in titles; null in a replay without `--cwd`. */
  cwd: string | null;
  /** The token the run was asked to resume, if any. */
  resume: ResumeToken | null;
  /**
   * A token chosen before the run starts (pi invents a session file path for a
   * new session). Null for engines whose CLI announces the session itself.
   */
  presetToken: string | null;
  /**
   * Session title chosen from config before the run (codex `profile`, claude
   * `model`); null lets the translator pick one from the stream.
   */
  title: string | null;
  /** Facts about the run known only from config, added to `started.meta` (pi: model, provider). */
  meta: Record<string, unknown> | null;
  /** Builds events for this run: `started`, actions, numbered warning notes, `completed`. */
  events: EventFactory;
  /** Debug-level diagnostics (unknown event types, schema mismatches). */
  debug(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Decodes one run's stdout. Stateful: a new translator per run. It must never
 * throw for odd input — the stream wrapper turns a throw into a warning, but a
 * translator that expects anything of the CLI's output is a bug.
 */
export interface EngineTranslator {
  /** One JSON value decoded from one stdout line. */
  translate(value: unknown): TakopiEvent[];
  /**
   * Stdout closed without a `completed`: decide the outcome from the exit.
   * Must return a `completed` (possibly preceded by warning notes).
   */
  finish(exit: ProcessExit): TakopiEvent[];
}

/** The process to spawn for one run. */
export interface Invocation {
  command: string;
  args: string[];
  /**
   * Written to stdin, which is then closed; null closes stdin at once. The
   * place for the prompt: an argument over 128 KiB makes the spawn fail (E2BIG).
   */
  stdin: string | null;
  /** Complete environment for the child (not merged with ours again). */
  env: NodeJS.ProcessEnv;
}

export interface PreparedRun {
  invocation: Invocation;
  /** Context for this run's translator (the pi preset token, a title and meta from config). */
  translatorContext: Pick<TranslatorContext, "presetToken"> & Partial<Pick<TranslatorContext, "title" | "meta">>;
}

export interface ResumeCodec {
  /** The resume line shown under a message, as inline code (`` `codex resume <id>` ``). */
  formatResume(token: ResumeToken): string;
  /** The last resume line for this engine in `text`, or null. */
  extractResume(text: string): ResumeToken | null;
  /** Whether one line is a resume line for this engine (it is stripped from prompts). */
  isResumeLine(line: string): boolean;
}

/**
 * What an engine's CLI can do beyond running a prompt, declared by its
 * backend so that the bridge asks the backend instead of keeping lists of
 * engine ids. Meant to grow a member per feature (approvals, steering, …).
 */
export interface EngineCapabilities {
  /**
   * The levels its CLI takes for `/reasoning` (codex's
   * `model_reasoning_effort`); null when it takes none, and an override is
   * then ignored with a note.
   */
  readonly reasoning: readonly string[] | null;
  /** Whether its runs ask through `RunControl.interact` when configured to (codex approval_policy, claude permission_mode). */
  readonly approvals?: boolean;
  /** Whether its runner takes `steer()` into a running turn. */
  readonly steer?: boolean;
}

export interface EngineBackend<Config = unknown> extends ResumeCodec {
  readonly id: string;
  /** Executable looked up on PATH. */
  readonly cliCommand: string;
  /** Shown when the CLI is missing. */
  readonly installHint: string;
  /** Validates this engine's `[<id>]` table of takopi.toml; `{}` gives the defaults. */
  readonly configSchema: z.ZodType<Config>;
  /**
   * Keys of that table a project may set for its own runs in
   * `[projects.<alias>.<id>]` (codex: its approval policy). Its `prepareRun`
   * and runner must then take the config from `runConfig`, not only the
   * runner's. Unset: the engine takes no settings per project.
   */
  readonly projectKeys?: readonly string[];
  /**
   * Lines of stderr that are routine noise for this CLI and would only clutter
   * an error message (e.g. codex's PATH-alias warning under /tmp).
   */
  readonly stderrNoise?: readonly RegExp[];
  /** Optional so that existing plugin engines keep loading; read it through engineCapabilities(). */
  readonly capabilities?: EngineCapabilities;
  prepareRun(request: RunRequest, config: Config, env: NodeJS.ProcessEnv): PreparedRun;
  createTranslator(context: TranslatorContext): EngineTranslator;
  /**
   * A runner of the backend's own (over a long-lived process), or null for the
   * usual process per run. Called by the engine catalogue when it builds a runner.
   */
  createRunner?(options: EngineRunnerOptions<Config>): EngineRunnerLike | null;
}

/**
 * A backend's capabilities, with "cannot" for whatever it leaves out or
 * declares malformed: a plugin engine may predate capabilities, or be
 * JavaScript nobody type-checked.
 */
export function engineCapabilities(backend: Pick<EngineBackend, "capabilities">): EngineCapabilities {
  const reasoning: unknown = backend.capabilities?.reasoning;
  const levels = Array.isArray(reasoning) && reasoning.every((level) => typeof level === "string") ? reasoning : null;
  return { reasoning: levels, approvals: backend.capabilities?.approvals === true, steer: backend.capabilities?.steer === true };
}

/** Shorthand used by translators for upstream's "failed (rc=N)." wording. */
export function describeExit(exit: ProcessExit): string {
  return exit.exitCode !== null ? `rc=${exit.exitCode}` : `signal=${exit.signal ?? "unknown"}`;
}

/**
 * The standard outcome of a CLI that exited non-zero before its result event:
 * a warning note, then a failed `completed` whose error carries the stderr tail.
 */
export function failedExitEvents(
  events: EventFactory,
  label: string,
  exit: ProcessExit,
  extra: { answer?: string; usage?: Record<string, unknown> | null; resume?: ResumeToken | null } = {},
): [ActionEvent, TakopiEvent] {
  const message = `${label} failed (${describeExit(exit)}).`;
  const error = exit.stderrTail ? `${message}\n${exit.stderrTail}` : message;
  return [
    events.note(message),
    events.completed({ ok: false, error, answer: extra.answer ?? "", usage: extra.usage ?? null, ...(extra.resume !== undefined ? { resume: extra.resume } : {}) }),
  ];
}
