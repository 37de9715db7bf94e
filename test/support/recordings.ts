/**
 * Helpers for the engine translator tests (test/unit/engines/*.test.ts): reading
 * recorded engine streams and how their runs ended, writing synthetic streams,
 * and looking at the TakopiEvents a replay produces.
 *
 * Recordings live in two places:
 * - the *shared* fixtures, `../shared/fixtures/` next to this repo: reference
 *   captures `engines/<engine>_<scenario>.jsonl`, each with a `.cmd.txt` (whose
 *   `# cwd:` and `# exit code:` lines describe the run) and a `.stderr.txt`, and
 *   streams of older CLIs under `takopi-upstream/`;
 * - *our* recordings, `test/fixtures/engines/<engine>_<scenario>.jsonl`, each
 *   with a `.meta.json` giving the exit.
 *
 * These summarize the *translated* events; for labels of an engine's raw stdout
 * lines (before translation) see event-summary.ts.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { expect } from "vitest";
import type { ActionEvent, CompletedEvent, TakopiEvent } from "../../src/core/events.js";
import type { EngineBackend, ProcessExit } from "../../src/engines/backend.js";
import { replayText, type ReplayOptions } from "../../src/engines/replay.js";
import { cleanStderr } from "../../src/engines/stderr.js";

const SHARED_FIXTURES = new URL("../../../shared/fixtures/", import.meta.url);
/** test/fixtures/engines/: our own recordings. */
export const RECORDINGS_DIR = new URL("../fixtures/engines/", import.meta.url);

// ---- shared fixtures (../shared/fixtures) ----

/** A file under ../shared/fixtures, e.g. `engines/codex_text.jsonl` or `takopi-upstream/…`. */
export function sharedFixture(path: string): string {
  return readFileSync(new URL(path, SHARED_FIXTURES), "utf8");
}

/** A `# <key>: <value>` line of a shared recording's `.cmd.txt` (`name` without extension). */
function cmdHeader(name: string, key: string): string {
  const match = new RegExp(`^# ${key}: (\\S+)`, "m").exec(sharedFixture(`engines/${name}.cmd.txt`));
  if (match?.[1] === undefined) throw new Error(`no ${key} in ${name}.cmd.txt`);
  return match[1];
}

/** The exit code a shared recording ended with, from its `.cmd.txt`. */
export function sharedExitCode(name: string): number {
  return Number(cmdHeader(name, "exit code"));
}

/**
 * Replays a shared recording (`name` like `codex_text`) as the runner would see
 * the run: in the cwd its `.cmd.txt` names, ending with its exit code and its
 * `.stderr.txt` cleaned of the backend's known noise. `options` override these.
 */
export async function replaySharedRecording(
  backend: Pick<EngineBackend, "id" | "createTranslator" | "stderrNoise">,
  name: string,
  options: ReplayOptions = {},
): Promise<TakopiEvent[]> {
  return replayText(backend, sharedFixture(`engines/${name}.jsonl`), {
    cwd: cmdHeader(name, "cwd"),
    exit: {
      exitCode: sharedExitCode(name),
      stderrTail: cleanStderr(sharedFixture(`engines/${name}.stderr.txt`), backend.stderrNoise ?? []),
    },
    ...options,
  });
}

// ---- our recordings (test/fixtures/engines) ----

/** File names of our recordings of one engine (`<engine>_*.jsonl`); none if the folder is missing. */
export function recordingNames(engine: string): string[] {
  if (!existsSync(RECORDINGS_DIR)) return [];
  return readdirSync(RECORDINGS_DIR).filter((name) => name.startsWith(`${engine}_`) && name.endsWith(".jsonl"));
}

/** The text of one of our recordings, by file name (`codex_text.jsonl`). */
export function readRecording(name: string): string {
  return readFileSync(new URL(name, RECORDINGS_DIR), "utf8");
}

/**
 * How one of our recordings ended, from `<name>.meta.json` (`name` with or
 * without `.jsonl`): `exitCode` (also read as `exit_code`, `exit` or `rc`) and
 * `signal`. Without a meta file, or without a code, it is a clean exit 0 —
 * unless a signal ended the run, then the code is null.
 */
export function recordingExit(name: string): Partial<ProcessExit> {
  const meta = new URL(`${name.replace(/\.jsonl$/, "")}.meta.json`, RECORDINGS_DIR);
  if (!existsSync(meta)) return { exitCode: 0, signal: null };
  const data = JSON.parse(readFileSync(meta, "utf8")) as Record<string, unknown>;
  const code = data.exitCode ?? data.exit_code ?? data.exit ?? data.rc;
  const signal = typeof data.signal === "string" ? data.signal : null;
  return { exitCode: typeof code === "number" ? code : signal !== null ? null : 0, signal };
}

// ---- JSONL ----

/** Values as the JSONL stdout of a CLI: one JSON value a line, each ending in a newline. */
export function jsonl(...values: unknown[]): string {
  return values.map((value) => `${JSON.stringify(value)}\n`).join("");
}

/** The JSON objects of a JSONL text, blank lines skipped. */
export function parseJsonl(text: string): Record<string, unknown>[] {
  return text.split("\n").flatMap((line) => (line.trim() === "" ? [] : [JSON.parse(line) as Record<string, unknown>]));
}

// ---- translated events ----

/**
 * One line per event, enough to compare whole streams exactly:
 * `started <token> <title>`, `<phase> <kind> <id>: <title>[ ✓| ✗]`, `completed ok=<ok>`.
 */
export function eventLines(events: TakopiEvent[]): string[] {
  return events.map((event) => {
    if (event.type === "started") return `started ${event.resume.value} ${event.title ?? ""}`;
    if (event.type === "completed") return `completed ok=${event.ok}`;
    const ok = event.ok == null ? "" : event.ok ? " ✓" : " ✗";
    return `${event.phase} ${event.action.kind} ${event.action.id}: ${event.action.title}${ok}`;
  });
}

/** The run's `completed` event, asserting there is exactly one and it is the last event. */
export function completedOf(events: TakopiEvent[]): CompletedEvent {
  const done = events.filter((event): event is CompletedEvent => event.type === "completed");
  expect(done).toHaveLength(1);
  expect(events.at(-1)).toBe(done[0]);
  return done[0] as CompletedEvent;
}

/** The action events, in order. */
export function actionsOf(events: TakopiEvent[]): ActionEvent[] {
  return events.filter((event): event is ActionEvent => event.type === "action");
}

/** The resume token values the `started` events announce, in order. */
export function startedTokens(events: TakopiEvent[]): string[] {
  return events.flatMap((event) => (event.type === "started" ? [event.resume.value] : []));
}
