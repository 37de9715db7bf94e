/**
 * The last update the bridge handed on, in `telegram_updates_state.json`
 * beside the config, so a restart never handles an update twice even when
 * the process died before Telegram heard the confirming offset.
 *
 * Update ids are only sequential while updates keep coming: Telegram picks
 * the next one at random after a week without updates. A record older than
 * that cannot tell old from new, so it is ignored (see `isFresh`). The bot id
 * is recorded too: a new token is a new bot with its own numbering.
 */
import { join } from "node:path";
import * as z from "zod";
import { JsonStateFile } from "../util/json-state.js";
import { silentLogger, type Logger } from "../util/log.js";

export const UPDATES_STATE_FILE = "telegram_updates_state.json";
const VERSION = 1;

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

  constructor(options: { dir: string; botId: number; log?: Logger }) {
    this.#botId = options.botId;
    this.#file = new JsonStateFile({
      path: join(options.dir, UPDATES_STATE_FILE),
      version: VERSION,
      schema: UpdatesStateSchema,
      empty: () => ({ version: VERSION, bot_id: null, last_update_id: null, saved_at: null }),
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

  /** Records `mark` atomically; rejects with a StateFileError when it cannot be saved. */
  async save(mark: HandledMark): Promise<void> {
    await this.#file.update((state) => {
      state.bot_id = this.#botId;
      state.last_update_id = mark.updateId;
      state.saved_at = mark.savedAt;
    });
  }
}
