/**
 * The last update the bridge handed on, in `telegram_updates_state.json`
 * beside the config, so a restart never handles an update twice even when
 * the process died before Telegram heard the confirming offset.
 *
 * Update ids are only sequential while updates keep coming: Telegram picks
 * the next one at random after a week without updates. A record older than
 * that cannot tell old from new, so it is ignored (see `isFresh`). The bot id
 * is recorded too: a new token is a new bot with its own numbering.
 *
 * A save stands between each batch of updates and the engine runs it asks
 * for (polling.ts), so after the first one it is a single synchronous write
 * in place: the file is one fixed-size record (the JSON padded with spaces)
 * that the poller keeps open with O_DSYNC, and a write of one disk sector at
 * the file's start is on disk, whole, when it returns — as durable as
 * replacing the file (writeFileAtomic), at one system call instead of nine
 * and without the journal commit a new file needs. The first save of a
 * process, and one whose record would not fit, replace the file as before.
 * The poller owns this file while it runs (one takopi per bot token:
 * cli/lock.ts), so nothing replaces it under the open handle.
 */
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import * as z from "zod";
import { StateFileError, JsonStateFile, serializeState } from "../util/json-state.js";
import { systemErrorMessage } from "../util/errors.js";
import { silentLogger, type Logger } from "../util/log.js";

export const UPDATES_STATE_FILE = "telegram_updates_state.json";
const VERSION = 1;

/** The size of the record on disk: one disk sector, so a write in place is never torn. */
const RECORD_BYTES = 512;

/** Telegram restarts update numbering after a week of silence; trust ids for less than that. */
export const UPDATE_ID_TRUST_MS = 6 * 24 * 60 * 60 * 1000;

const UpdatesStateSchema = z.looseObject({
  version: z.literal(VERSION),
  bot_id: z.number().int().nullable().default(null),
  last_update_id: z.number().int().nullable().default(null),
  /** Unix milliseconds when last_update_id was recorded. */
  saved_at: z.number().nullable().default(null),
});
type UpdatesState = z.infer<typeof UpdatesStateSchema>;

export interface HandledMark {
  updateId: number;
  /** Unix milliseconds. */
  savedAt: number;
}

/** Whether ids at or below `mark` can still be trusted to be old ones at `now` (Unix ms). */
export function isFresh(mark: HandledMark, now: number): boolean {
  return now - mark.savedAt < UPDATE_ID_TRUST_MS;
}

export class UpdateOffsetStore {
  readonly #file: JsonStateFile<UpdatesState>;
  readonly #botId: number;
  /** What the file holds (unknown keys kept), once this process saved it. */
  #state: UpdatesState | null = null;
  /** The file, open for writes in place (O_DSYNC) once this process wrote it as a full record. */
  #record: FileHandle | null = null;

  constructor(options: { dir: string; botId: number; log?: Logger }) {
    this.#botId = options.botId;
    this.#file = new JsonStateFile({
      path: join(options.dir, UPDATES_STATE_FILE),
      version: VERSION,
      schema: UpdatesStateSchema,
      empty: () => ({ version: VERSION, bot_id: null, last_update_id: null, saved_at: null }),
      serialize: (state) => paddedRecord(state) ?? serializeState(state),
      log: options.log ?? silentLogger,
    });
  }

  get path(): string {
    return this.#file.path;
  }

  /** The last handled update of this bot, or null (none recorded, another bot's record). */
  async read(): Promise<HandledMark | null> {
    const state = await this.#file.read();
    if (state.bot_id !== this.#botId || state.last_update_id === null || state.saved_at === null) return null;
    return { updateId: state.last_update_id, savedAt: state.saved_at };
  }

  /** Records `mark` durably; rejects with a StateFileError when it cannot be saved. Saves must not overlap. */
  async save(mark: HandledMark): Promise<void> {
    const apply = (state: UpdatesState): void => {
      state.bot_id = this.#botId;
      state.last_update_id = mark.updateId;
      state.saved_at = mark.savedAt;
    };
    if (this.#record !== null && this.#state !== null) {
      const state = { ...this.#state };
      apply(state);
      const record = paddedRecord(state);
      if (record !== null) {
        try {
          await this.#record.write(record, 0, "utf8");
        } catch (error) {
          // Start over with a full replace next time.
          await this.close();
          throw new StateFileError(`cannot save ${this.path}: ${systemErrorMessage(error)}`, this.path, { cause: error });
        }
        this.#state = state;
        return;
      }
    }
    // The first save, or a record that outgrew its size: replace the file (refused if it is unreadable).
    await this.close();
    const saved = await this.#file.update((state) => {
      apply(state);
      return { ...state };
    });
    this.#state = saved;
    if (paddedRecord(saved) !== null) {
      // Without the handle, the next save replaces the file again.
      this.#record = await open(this.path, constants.O_WRONLY | constants.O_DSYNC).catch(() => null);
    }
  }

  /** Closes the file kept open for writes in place (the poller stopped). */
  async close(): Promise<void> {
    const record = this.#record;
    this.#record = null;
    await record?.close().catch(() => undefined);
  }
}

/** The state as a RECORD_BYTES record (JSON, then spaces and a newline), or null when it does not fit. */
function paddedRecord(state: UpdatesState): string | null {
  const text = serializeState(state).trimEnd();
  const bytes = Buffer.byteLength(text);
  return bytes + 1 > RECORD_BYTES ? null : `${text}${" ".repeat(RECORD_BYTES - bytes - 1)}\n`;
}
