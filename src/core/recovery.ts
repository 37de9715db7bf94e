/**
 * At start-up, after a takopi that did not shut down cleanly (kill -9, the
 * OOM killer, a crash): every run its journal still lists is ended. The
 * engine it started — which survives in its own process group — is stopped,
 * and its progress (or `queued`) message is edited to say the run was
 * interrupted, with its resume line so a reply continues the session, and
 * without the cancel button, which would answer "nothing is running"; a
 * request the run was waiting on (an approval) is closed the same way. The run
 * itself is not repeated: the engine may have half-done the work.
 */
import { isSameProcessAlive, listProcesses, readProcess, terminateProcessTree } from "../engines/process-tree.js";
import { systemClock } from "../util/clock.js";
import { silentLogger, type Logger } from "../util/log.js";
import { guardedSurface, type ChatMessage, type ChatSurface } from "./chat.js";
import type { RunJournal } from "./run-journal.js";
import { interruptedMessage } from "./run-view.js";

export interface RecoveryOptions {
  journal: RunJournal;
  surface: ChatSurface;
  /** SIGTERM → SIGKILL delay for a leftover engine (2 s, as a cancel). */
  graceMs?: number;
  /** Epoch milliseconds, for the elapsed time shown (default `Date.now`). */
  now?: () => number;
  /**
   * How long start-up waits for each message edit (default 15 s). The edit
   * is not abandoned: a transport that waits out an outage (Telegram's
   * outbox) still makes it once it can; start-up just goes on, so polling
   * picks up the prompts sent meanwhile.
   */
  editWaitMs?: number;
  log?: Logger;
}

export interface RecoveryReport {
  /** Runs found in the journal. */
  runs: number;
  /** Engine process groups that were still alive and were stopped. */
  stopped: number;
  /** Messages edited to say their run was interrupted. */
  edited: number;
  /** Open requests' messages (approvals, questions) closed. */
  closed: number;
}

/** The longest start-up waits for an interrupted run's message to be edited (the old outbox's give-up time). */
const EDIT_WAIT_MS = 15_000;

/** Ends every run the journal lists; a failure costs that run's message, never the start-up. */
export async function recoverInterruptedRuns(options: RecoveryOptions): Promise<RecoveryReport> {
  const log = options.log ?? silentLogger;
  const surface = guardedSurface(options.surface, log);
  const now = options.now ?? Date.now;
  const entries = await options.journal.entries();
  const report: RecoveryReport = { runs: entries.length, stopped: 0, edited: 0, closed: 0 };
  const editWaitMs = options.editWaitMs ?? EDIT_WAIT_MS;
  await Promise.all(
    entries.map(async ([key, entry]) => {
      if (entry.pid !== null && (await stopLeftover(entry.pid, entry.pid_start_time, options.graceMs ?? 2000))) {
        report.stopped += 1;
        log.info({ event: "recovery.engine_stopped", engine: entry.engine, pid: entry.pid }, "stopped an engine left running by an earlier takopi");
      }
      // The run's message and its open requests are edited together: in an outage each edit waits up to editWaitMs.
      const edit = async (messageId: number, message: ChatMessage): Promise<boolean> =>
        (await within(surface.edit({ chatId: entry.chat_id, messageId, threadId: entry.thread_id }, message), editWaitMs)) != null;
      const [edited, ...closed] = await Promise.all([
        entry.message_id === null ? false : edit(entry.message_id, interruptedMessage(entry, now())),
        ...(entry.asks ?? []).map((ask) => edit(ask.message_id, { parts: { header: "", body: ask.closed }, markup: "none" })),
      ]);
      if (edited) report.edited += 1;
      report.closed += closed.filter(Boolean).length;
      await options.journal.forget(key);
    }),
  );
  if (report.runs > 0) log.warn({ event: "recovery.done", ...report }, "takopi did not shut down cleanly last time; its runs were ended");
  return report;
}

/** `promise`'s value, or undefined once `ms` have passed first. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  const timer = new AbortController();
  try {
    return await Promise.race([promise, systemClock.sleep(ms, timer.signal).then(() => undefined)]);
  } finally {
    timer.abort();
  }
}

/**
 * Stops what is left of an engine's process group, unless the pid now names
 * another process. True when something was still running.
 */
async function stopLeftover(pid: number, startTime: string | null, graceMs: number): Promise<boolean> {
  const now = await readProcess(pid);
  if (now !== null && (startTime === null || now.startTime !== startTime)) {
    // Not the engine any more: a reused pid (or no start time to tell). Its group is not ours to touch.
    return false;
  }
  if (now === null && !(await groupHasMembers(pid))) return false;
  const leader = startTime === null ? null : { pid, startTime };
  await terminateProcessTree(pid, { graceMs, exited: leader === null ? Promise.resolve() : untilGone(leader) });
  return true;
}

/** Whether any process is still in the group `pgid` (its leader may be gone). */
async function groupHasMembers(pgid: number): Promise<boolean> {
  return (await listProcesses()).some((info) => info.pgid === pgid);
}

/** Resolves once the leader is gone, or after a bound (termination gives up on it by then anyway). */
async function untilGone(leader: { pid: number; startTime: string }): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (await isSameProcessAlive(leader))) await new Promise((resolve) => setTimeout(resolve, 50));
}
