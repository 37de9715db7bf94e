/**
 * What is running, written down so that a takopi killed without warning
 * (kill -9, the OOM killer, a power cut) can clean up at its next start: the
 * engine processes it started, which outlive it in their own process groups,
 * and the progress messages that would otherwise say `working` forever with a
 * live cancel button (and the approvals it asked for, with theirs). A run is recorded when its engine starts and its
 * progress (or `queued`) message is known, and forgotten once it has ended
 * and its outcome is shown. A clean shutdown cancels every run, so the file
 * is empty after one.
 *
 * Writes are few per run (message known, engine spawned, session known,
 * ended) and never hold a run up: a failure to write is logged, not fatal.
 */
import * as z from "zod";
import { JsonStateFile } from "../util/json-state.js";
import { silentLogger, type Logger } from "../util/log.js";

/** The journal's file name, in the state directory beside the config. */
export const RUN_JOURNAL_FILE = "takopi_runs_state.json";
const VERSION = 1;

const EntrySchema = z.looseObject({
  /** `queued`: a placeholder waiting for its session; `running`: an engine run. */
  state: z.enum(["queued", "running"]),
  chat_id: z.number().int(),
  /** The progress (or `queued`) message; null until it is known. */
  message_id: z.number().int().nullable(),
  thread_id: z.number().int().nullable(),
  engine: z.string(),
  /** Epoch milliseconds. */
  started_at: z.number(),
  /** The engine's process-group leader, once spawned. */
  pid: z.number().int().nullable(),
  /** Its start time in clock ticks since boot, so a reused pid is never taken for it. */
  pid_start_time: z.string().nullable(),
  /** What the footer shows: the resume line ("" when hidden) and the `ctx:` line. */
  resume_line: z.string().nullable(),
  context_line: z.string().nullable(),
  /**
   * The run's open requests (approvals, questions, plans) by their message,
   * each with the markdown it is edited to if takopi dies before the answer:
   * otherwise its buttons would stay, answering "no longer active".
   */
  asks: z.array(z.object({ message_id: z.number().int(), closed: z.string() })).optional(),
});

const FileSchema = z.looseObject({
  version: z.literal(VERSION),
  runs: z.record(z.string(), EntrySchema),
});

export type JournalEntry = z.infer<typeof EntrySchema>;
type JournalFile = z.infer<typeof FileSchema>;

export interface RunJournalOptions {
  path: string;
  log?: Logger;
}

/** The journal of one state directory. */
export class RunJournal {
  readonly #file: JsonStateFile<JournalFile>;
  readonly #log: Logger;

  constructor(options: RunJournalOptions) {
    this.#log = options.log ?? silentLogger;
    this.#file = new JsonStateFile<JournalFile>({
      path: options.path,
      version: VERSION,
      schema: FileSchema,
      empty: () => ({ version: VERSION, runs: {} }),
      log: this.#log,
    });
  }

  /** Records (or updates) a run; settles when written, never rejects. */
  record(key: string, entry: JournalEntry): Promise<void> {
    return this.#guard("record", () =>
      this.#file.update((state) => {
        state.runs[key] = entry;
      }),
    );
  }

  /** Forgets a run that ended; settles when written, never rejects. */
  forget(key: string): Promise<void> {
    return this.#guard("forget", () =>
      this.#file.update((state) => {
        Reflect.deleteProperty(state.runs, key);
      }),
    );
  }

  /** Every run recorded and not forgotten. */
  async entries(): Promise<[string, JournalEntry][]> {
    try {
      return Object.entries((await this.#file.read()).runs);
    } catch (error) {
      this.#log.error({ event: "journal.read_failed", path: this.#file.path, err: error }, "cannot read the run journal");
      return [];
    }
  }

  async #guard(what: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.#log.error({ event: `journal.${what}_failed`, path: this.#file.path, err: error }, "cannot write the run journal");
    }
  }
}
