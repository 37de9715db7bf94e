// The /schedule state file (overlay/schedule/src/store.js): versioned,
// replaced whole by a rename, and a damaged file is an error, never an empty list.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emptyState, loadState, saveState, statePath } from "../../../overlay/schedule/src/store.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

let dir: ScratchDir;
let path: string;

beforeEach(async () => {
  dir = await scratchDir("takopi-schedule-store-");
  path = statePath(join(dir.path, "takopi.toml"));
});

afterEach(async () => {
  await dir.dispose();
});

const SCHEDULE = {
  id: "7",
  chatId: 11,
  threadId: null,
  timing: { kind: "daily", time: "09:00" },
  zone: "Europe/Berlin",
  prompt: "/app run the tests",
  createdBy: 11,
  createdAt: 1,
  paused: false,
  nextRunAt: 2,
  lastRunAt: null,
};

describe("the schedules file", () => {
  it("lives beside the config and starts empty", async () => {
    expect(path).toBe(join(dir.path, "takopi_schedules.json"));
    expect(await loadState(path)).toEqual(emptyState());
  });

  it("round-trips, leaves no temporary file, and never hands out an id twice", async () => {
    await saveState(path, { version: 1, nextId: 3, schedules: [SCHEDULE as never] });
    expect(await readdir(dir.path)).toEqual(["takopi_schedules.json"]);
    const loaded = await loadState(path);
    expect(loaded.schedules).toEqual([SCHEDULE]);
    // nextId behind an existing id (an edited file) moves past it.
    expect(loaded.nextId).toBe(8);
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ version: 1 });
  });

  it("drops entries that are not schedules, keeps the rest", async () => {
    await writeFile(path, JSON.stringify({ version: 1, nextId: 9, schedules: [SCHEDULE, { id: 5 }, null, { ...SCHEDULE, id: "8", timing: { kind: "sometimes" } }] }));
    expect((await loadState(path)).schedules.map((each) => each.id)).toEqual(["7"]);
  });

  it("refuses a damaged file or another version with a message naming it", async () => {
    await writeFile(path, "{ not json");
    await expect(loadState(path)).rejects.toThrow(`${path} is not JSON`);
    await writeFile(path, JSON.stringify({ version: 2, schedules: [] }));
    await expect(loadState(path)).rejects.toThrow(`${path} has version 2; this takopi reads version 1`);
    await writeFile(path, JSON.stringify([1, 2]));
    await expect(loadState(path)).rejects.toThrow(`${path} does not hold schedules`);
  });
});
