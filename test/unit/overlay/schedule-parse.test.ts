// `/schedule …` as typed, from this worktree's overlay/schedule: what each
// form means, and the one line a mistake gets back.
import { describe, expect, it } from "vitest";
import { clock, duration, parseSchedule } from "../../../overlay/schedule/src/parse.js";

// Saturday 2026-12-05 10:00:00 UTC = 11:00 in Berlin.
const NOW = Date.parse("2026-12-05T10:00:00Z");
const OPTIONS = { now: NOW, zone: "Europe/Berlin", minIntervalMs: 60_000 };
const parse = (text: string) => parseSchedule(text, OPTIONS);
const errorOf = (text: string): string => {
  const parsed = parse(text);
  if (parsed.action !== "error") throw new Error(`${text} parsed as ${parsed.action}`);
  return parsed.error;
};

describe("/schedule forms", () => {
  it("in <delay>: a one-shot that far from now, the prompt as typed", () => {
    expect(parse("in 45s check the deploy")).toEqual({ action: "create", timing: { kind: "once", at: NOW + 45_000, said: "in 45s" }, prompt: "check the deploy" });
    expect(parse("in 1h30m /app @main  run it")).toMatchObject({ timing: { at: NOW + 5_400_000, said: "in 1h30m" }, prompt: "/app @main  run it" });
    expect(parse("IN 2H x")).toMatchObject({ timing: { at: NOW + 7_200_000 } });
  });

  it("at HH:MM: today in the time zone when still ahead, else tomorrow", () => {
    expect(parse("at 18:30 summarize")).toMatchObject({ timing: { kind: "once", at: Date.parse("2026-12-05T17:30:00Z"), said: "at 18:30" } });
    expect(parse("at 9:05 summarize")).toMatchObject({ timing: { at: Date.parse("2026-12-06T08:05:00Z"), said: "at 09:05" } });
  });

  it("every <interval>, every day HH:MM, every <days> HH:MM", () => {
    expect(parse("every 2h /app run the tests")).toEqual({ action: "create", timing: { kind: "every", intervalMs: 7_200_000, anchor: NOW }, prompt: "/app run the tests" });
    expect(parse("every day 09:00 /app @main run the tests")).toEqual({ action: "create", timing: { kind: "daily", time: "09:00" }, prompt: "/app @main run the tests" });
    expect(parse("every thu,Monday,mon 8:00 deps")).toEqual({ action: "create", timing: { kind: "weekly", days: ["mon", "thu"], time: "08:00" }, prompt: "deps" });
  });

  it('cron "<five fields>", single or double quotes', () => {
    expect(parse('cron "*/15 * * * *" look at the queue')).toEqual({ action: "create", timing: { kind: "cron", pattern: "*/15 * * * *" }, prompt: "look at the queue" });
    expect(parse("cron '0  9 * * MON-FRI' standup")).toMatchObject({ timing: { pattern: "0 9 * * MON-FRI" }, prompt: "standup" });
  });

  it("list, help, cancel, pause, resume", () => {
    expect(parse("")).toEqual({ action: "list" });
    expect(parse(" list ")).toEqual({ action: "list" });
    expect(parse("help")).toEqual({ action: "help" });
    expect(parse("cancel 3")).toEqual({ action: "cancel", id: "3" });
    expect(parse("pause #4")).toEqual({ action: "pause", id: "4" });
    expect(parse("resume 5")).toEqual({ action: "resume", id: "5" });
  });
});

describe("/schedule mistakes get one line saying what to write", () => {
  it.each([
    ["every 0s run", "every 0s is too often: the shortest interval is 1m; write e.g. /schedule every 2h <prompt>"],
    ["every 30s run", "every 30s is too often: the shortest interval is 1m; write e.g. /schedule every 2h <prompt>"],
    ["every mon,fry 08:00 x", '"fry" is not a day; the days are mon, tue, wed, thu, fri, sat, sun (or "day" for every day), e.g. /schedule every mon,thu 08:00 <prompt>'],
    ["every day 25:00 x", '"25:00" is not a time of day; write /schedule every day 09:00 <prompt> (24-hour clock, Europe/Berlin)'],
    ["every 2x run", '"2x" is not an interval; write a number and s, m, h or d, e.g. /schedule every 2h <prompt>'],
    ['cron "*/15 * * *" x', '"*/15 * * *" has 4 fields; a cron expression has 5, e.g. /schedule cron "*/15 * * * *" <prompt> (minute hour day month weekday)'],
    ['cron "61 * * * *" x', '"61 * * * *" is not a cron expression (Invalid value for minute: 61); e.g. /schedule cron "*/15 * * * *" <prompt> (minute hour day month weekday)'],
    ["cron */15 * * * * x", 'put the cron expression in quotes, e.g. /schedule cron "*/15 * * * *" <prompt> (minute hour day month weekday)'],
    ["in 0s x", "a delay of 0 runs nothing later; write e.g. /schedule in 20m <prompt>"],
    ["in soon x", '"soon" is not a delay; write /schedule in 45s|20m|2h|1h30m <prompt>'],
    ["at 7pm x", '"7pm" is not a time of day; write /schedule at 18:30 <prompt> (24-hour clock, Europe/Berlin)'],
    ["in 20m", "what should run? write /schedule in 20m <prompt>, e.g. /schedule in 20m /app run the tests"],
    ["cancel", "usage: /schedule cancel <id> (the ids are in /schedule list)"],
  ])("%s", (text, expected) => {
    expect(errorOf(text)).toBe(expected);
  });

  it("an unknown form lists the forms", () => {
    expect(errorOf("tomorrow run")).toMatch(/^"tomorrow" is not a \/schedule form; usage: \/schedule in 20m <prompt> · at 18:30/);
  });

  it("a lower minimum interval (a test setting) allows shorter intervals, never 0", () => {
    expect(parseSchedule("every 2s x", { ...OPTIONS, minIntervalMs: 1000 })).toMatchObject({ action: "create", timing: { intervalMs: 2000 } });
    expect(parseSchedule("every 0s x", { ...OPTIONS, minIntervalMs: 1000 })).toMatchObject({ action: "error" });
  });
});

describe("durations and clock times", () => {
  it("reads s, m, h, d and their sums; nothing else", () => {
    expect(duration("2d")).toBe(172_800_000);
    expect(duration("1h1m1s")).toBe(3_661_000);
    expect(duration("2")).toBeNull();
    expect(duration("h")).toBeNull();
  });

  it("reads a 24-hour H:MM", () => {
    expect(clock("0:00")).toBe("00:00");
    expect(clock("23:59")).toBe("23:59");
    expect(clock("24:00")).toBeNull();
    expect(clock("12:60")).toBeNull();
    expect(clock("1230")).toBeNull();
  });
});
