// When a schedule runs next (croner in the schedule's time zone), which missed
// run a start-up would catch up, how times read, and the system clock's steps
// past setTimeout's ~24.8-day cap — from this worktree's overlay/schedule.
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_STEP_MS, systemClock } from "../../../overlay/schedule/src/clock.js";
import { describeTiming, formatDuration, formatTime, isTimeZone, latestRunBetween, nextRunAfter } from "../../../overlay/schedule/src/timing.js";

const at = (iso: string) => Date.parse(iso);

describe("next run", () => {
  it("every day 09:00 follows the zone's wall clock across daylight saving", () => {
    const daily = { kind: "daily", time: "09:00" } as const;
    expect(nextRunAfter(daily, "Europe/Berlin", at("2026-03-28T09:00:00Z"))).toBe(at("2026-03-29T07:00:00Z"));
    expect(nextRunAfter(daily, "Europe/Berlin", at("2026-03-27T12:00:00Z"))).toBe(at("2026-03-28T08:00:00Z"));
    expect(nextRunAfter(daily, "UTC", at("2026-12-05T08:59:59Z"))).toBe(at("2026-12-05T09:00:00Z"));
    expect(nextRunAfter(daily, "UTC", at("2026-12-05T09:00:00Z"))).toBe(at("2026-12-06T09:00:00Z"));
  });

  it("every mon,thu 08:00 skips to the next listed day", () => {
    const weekly = { kind: "weekly" as const, days: ["mon", "thu"], time: "08:00" };
    // 2026-12-05 is a Saturday.
    expect(nextRunAfter(weekly, "America/New_York", at("2026-12-05T12:00:00Z"))).toBe(at("2026-12-07T13:00:00Z"));
    expect(nextRunAfter(weekly, "America/New_York", at("2026-12-07T13:00:00Z"))).toBe(at("2026-12-10T13:00:00Z"));
  });

  it("intervals count from when the schedule was made", () => {
    const every = { kind: "every", intervalMs: 7_200_000, anchor: at("2026-12-05T10:00:00Z") } as const;
    expect(nextRunAfter(every, "UTC", at("2026-12-05T10:00:00Z"))).toBe(at("2026-12-05T12:00:00Z"));
    expect(nextRunAfter(every, "UTC", at("2026-12-05T13:59:59Z"))).toBe(at("2026-12-05T14:00:00Z"));
  });

  it("cron patterns, and one-shots only before their time", () => {
    expect(nextRunAfter({ kind: "cron", pattern: "*/15 * * * *" }, "UTC", at("2026-12-05T10:07:00Z"))).toBe(at("2026-12-05T10:15:00Z"));
    const once = { kind: "once", at: at("2026-12-05T10:00:00Z"), said: "in 20m" } as const;
    expect(nextRunAfter(once, "UTC", at("2026-12-05T09:59:59Z"))).toBe(once.at);
    expect(nextRunAfter(once, "UTC", once.at)).toBeNull();
  });
});

describe("the latest missed run", () => {
  it("is the last one due before now, not the first one missed", () => {
    const from = at("2026-12-01T09:00:00Z");
    const now = at("2026-12-05T09:03:00Z");
    expect(latestRunBetween({ kind: "daily", time: "09:00" }, "UTC", from, now)).toBe(at("2026-12-05T09:00:00Z"));
    const every = { kind: "every", intervalMs: 3_600_000, anchor: at("2026-12-05T00:00:00Z") } as const;
    expect(latestRunBetween(every, "UTC", at("2026-12-05T01:00:00Z"), now)).toBe(at("2026-12-05T09:00:00Z"));
    expect(latestRunBetween({ kind: "once", at: from, said: "at 09:00" }, "UTC", from, now)).toBe(from);
    expect(latestRunBetween({ kind: "daily", time: "09:00" }, "UTC", now + 1, now)).toBeNull();
  });
});

describe("how times read", () => {
  it("in the zone, with seconds, and durations in their largest units", () => {
    expect(formatTime(at("2026-12-05T17:30:00Z"), "Europe/Berlin")).toBe("Sat 2026-12-05 18:30:00");
    expect(formatTime(at("2026-12-05T00:00:05Z"), "UTC")).toBe("Sat 2026-12-05 00:00:05");
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(formatDuration(90_061_000)).toBe("1d1h1m1s");
    expect(describeTiming({ kind: "weekly", days: ["mon", "thu"], time: "08:00" })).toBe("every mon,thu 08:00");
    expect(describeTiming({ kind: "cron", pattern: "*/15 * * * *" })).toBe('cron "*/15 * * * *"');
  });

  it("knows IANA zones", () => {
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
  });
});

describe("the system clock", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reaches a firing 40 days away in steps below setTimeout's cap, and not before", () => {
    vi.useFakeTimers({ now: at("2026-12-05T10:00:00Z") });
    const clock = systemClock({ now: Date.now, setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout });
    const fired: number[] = [];
    const when = Date.now() + 40 * 86_400_000;
    clock.at(when, () => fired.push(Date.now()));
    vi.advanceTimersByTime(MAX_STEP_MS);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(when - Date.now() - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([when]);
  });

  it("a time already past fires on the next turn, never inside at() itself", () => {
    vi.useFakeTimers({ now: 10_000 });
    const clock = systemClock({ now: Date.now, setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout });
    const fired: string[] = [];
    clock.at(5000, () => fired.push("late"));
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(fired).toEqual(["late"]);
  });

  it("a cancelled firing never fires", () => {
    vi.useFakeTimers({ now: 0 });
    const clock = systemClock({ now: Date.now, setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout });
    const fired: string[] = [];
    const cancel = clock.at(5000, () => fired.push("x"));
    cancel();
    vi.advanceTimersByTime(10_000);
    expect(fired).toEqual([]);
  });
});
