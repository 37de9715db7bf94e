import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UPDATES_STATE_FILE, UpdateOffsetStore } from "../../../src/telegram/update-offset.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

let dir: ScratchDir;
let store: UpdateOffsetStore;
beforeEach(async () => {
  dir = await scratchDir("takopi-update-offset-");
  store = new UpdateOffsetStore({ dir: dir.path, botId: 7 });
});
afterEach(async () => {
  await store.close();
  await dir.dispose();
});

describe("UpdateOffsetStore", () => {
  it("writes one fixed-size record, saved in place after the first save, that a new store reads", async () => {
    const file = join(dir.path, UPDATES_STATE_FILE);
    await store.save({ updateId: 10, savedAt: 1000 });
    const { ino } = statSync(file);
    for (let id = 11; id <= 15; id++) await store.save({ updateId: id, savedAt: id * 100 });
    expect(statSync(file)).toMatchObject({ size: 512, ino });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ version: 1, bot_id: 7, last_update_id: 15, saved_at: 1500 });
    expect(await new UpdateOffsetStore({ dir: dir.path, botId: 7 }).read()).toEqual({ updateId: 15, savedAt: 1500 });
    expect(await new UpdateOffsetStore({ dir: dir.path, botId: 8 }).read()).toBeNull();
  });

  it("keeps keys it does not know, and replaces a record that no longer fits", async () => {
    const file = join(dir.path, UPDATES_STATE_FILE);
    writeFileSync(file, JSON.stringify({ version: 1, bot_id: 7, last_update_id: 1, saved_at: 1, note: "from a newer takopi" }));
    await store.save({ updateId: 2, savedAt: 2 });
    await store.save({ updateId: 3, savedAt: 3 });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ version: 1, bot_id: 7, last_update_id: 3, saved_at: 3, note: "from a newer takopi" });

    await store.close();
    writeFileSync(file, JSON.stringify({ version: 1, bot_id: 7, last_update_id: 3, saved_at: 3, note: "x".repeat(600) }));
    store = new UpdateOffsetStore({ dir: dir.path, botId: 7 });
    await store.save({ updateId: 4, savedAt: 4 });
    await store.save({ updateId: 5, savedAt: 5 });
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ last_update_id: 5, note: "x".repeat(600) });
  });
});
