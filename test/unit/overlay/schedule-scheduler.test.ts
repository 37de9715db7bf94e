// What /schedule's Scheduler (overlay/schedule/src/scheduler.js) does at
// start-up with runs missed while takopi was down, for recurring schedules:
// the latest missed run is caught up when young enough, else reported, and
// either way the schedule goes on. A recording runtime stands in for the
// bridge (the integration tests run the real one); the clock is set by hand.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ExecutorRequest } from "../../../src/plugins/types.js";
import type { ScheduleClock } from "../../../overlay/schedule/src/clock.js";
import { Scheduler } from "../../../overlay/schedule/src/scheduler.js";
import { saveState, type Schedule } from "../../../overlay/schedule/src/store.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

const T0 = Date.parse("2026-12-05T00:00:00Z");
const HOUR = 3_600_000;

let dir: ScratchDir;
let path: string;
let runs: ExecutorRequest[];
let notes: string[];
let now: number;

const clock: ScheduleClock = { now: () => now, at: () => () => undefined };
const runtime = {
  executor: {
    run: (request: ExecutorRequest) => {
      runs.push(request);
      return Promise.resolve({ ok: true, status: "ok", answer: "", resume: null, engine: "codex", error: null, usage: null, message: null });
    },
  },
  send: (_chat: number, text: string) => {
    notes.push(text);
    return Promise.resolve(null);
  },
};
const log = { info: () => undefined, warn: () => undefined };

function hourly(overrides: Partial<Schedule> = {}): Schedule {
  return {
    id: "1",
    chatId: 11,
    threadId: null,
    timing: { kind: "every", intervalMs: HOUR, anchor: T0 },
    zone: "UTC",
    prompt: "/app check",
    createdBy: 11,
    createdAt: T0,
    paused: false,
    nextRunAt: T0 + HOUR,
    lastRunAt: null,
    ...overrides,
  };
}

async function startWith(schedules: Schedule[], at: number): Promise<Scheduler> {
  await saveState(path, { version: 1, nextId: 2, schedules });
  now = at;
  const scheduler = new Scheduler({ runtime: runtime as never, clock, path, catchUpMs: 300_000, log });
  await scheduler.start();
  await scheduler.saved();
  return scheduler;
}

beforeEach(async () => {
  dir = await scratchDir("takopi-scheduler-");
  path = join(dir.path, "takopi_schedules.json");
  runs = [];
  notes = [];
});

afterEach(async () => {
  await dir.dispose();
});

describe("runs missed while takopi was down", () => {
  it("catches up the latest one, once, when it is younger than catch_up_s, and goes on from there", async () => {
    const scheduler = await startWith([hourly()], T0 + 3 * HOUR + 120_000);
    expect(runs).toEqual([
      { prompt: "/app check", chatId: 11, threadId: null, label: "⏰ scheduled: 1 · every 1h · catching up the run due Sat 2026-12-05 03:00:00 (UTC)" },
    ]);
    expect(notes).toEqual([]);
    expect(scheduler.list(11, null)[0]?.nextRunAt).toBe(T0 + 4 * HOUR);
    const saved = JSON.parse(await readFile(path, "utf8")) as { schedules: Schedule[] };
    expect(saved.schedules[0]?.nextRunAt).toBe(T0 + 4 * HOUR);
  });

  it("reports them missed when the latest is older, without running", async () => {
    const scheduler = await startWith([hourly()], T0 + 3 * HOUR + 600_000);
    expect(runs).toEqual([]);
    expect(notes).toEqual([
      "⏰ missed 1 (every 1h: /app check): takopi was not running at the runs due Sat 2026-12-05 01:00:00 to Sat 2026-12-05 03:00:00 (UTC), older than catch_up_s.",
    ]);
    expect(scheduler.list(11, null)[0]?.nextRunAt).toBe(T0 + 4 * HOUR);
  });

  it("leaves paused and future schedules alone", async () => {
    const paused = hourly({ id: "2", paused: true, nextRunAt: null });
    const future = hourly({ id: "3", nextRunAt: T0 + 5 * HOUR });
    const scheduler = await startWith([paused, future], T0 + 3 * HOUR);
    expect(runs).toEqual([]);
    expect(notes).toEqual([]);
    expect(scheduler.list(11, null).map((each) => [each.id, each.nextRunAt])).toEqual([
      ["2", null],
      ["3", T0 + 5 * HOUR],
    ]);
  });
});
