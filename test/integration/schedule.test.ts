/**
 * `/schedule` (overlay/schedule) in a real `takopi run` against the fake Bot
 * API, with the stand-in engines: firings run through the plugin executor in
 * the chat they were made in, and the commands around them. One test waits on
 * the real clock (`in 2s`); the others drive the plugin's time through its
 * test clock file (TAKOPI_SCHEDULE_CLOCK_FILE), so "two hours later" takes no
 * time. Restarts, the cancel button and topics: schedule-restart.test.ts.
 */
import { describe, expect, it } from "vitest";
import { bridgePerTest } from "../support/bridge-harness.js";
import { clockedBridge, finished, firing, noSchedules, note, schedule } from "../support/schedule-harness.js";

const { created, started } = bridgePerTest();
const withClock = (at: string, settings: Record<string, unknown> = {}) => clockedBridge(created, at, settings);

describe("/schedule on the real clock", () => {
  it("runs `in 2s` once, as a scheduled run in its chat, then forgets it — in a plain takopi run with no [plugins] table", async () => {
    const bridge = await started({ engineDelayMs: 10 });
    expect(bridge.telegram.commands()?.map((command) => command.command)).toContain("schedule");
    const made = await schedule(bridge, "in 2s /app hello later", (text) => text.startsWith("⏰ scheduled 1"));
    expect(made.text).toMatch(/^⏰ scheduled 1: once \(in 2s\), next run \w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(UTC\)\n\/app hello later$/);
    const label = await firing(bridge, "⏰ scheduled: 1 · once (in 2s)");
    expect(label.text).toBe("⏰ scheduled: 1 · once (in 2s)\n/app hello later");
    await finished(bridge, label);
    const spawns = await bridge.spawns();
    expect(spawns.map((spawn) => [spawn.prompt.trim(), spawn.cwd])).toEqual([["hello later", bridge.repo]]);
    const list = await schedule(bridge, "list");
    expect(list.text).toBe(noSchedules("UTC"));
  });
});

describe("/schedule with a driven clock", () => {
  it("fires `every 2h` in turn, skips a firing while the last run is still going, and pauses, resumes and cancels", async () => {
    const { bridge, setClock } = await withClock("2026-12-05T10:00:00Z", { timezone: "Europe/Berlin" });
    await schedule(bridge, "every 2h /app check [gate:slow]", (text) => text.startsWith("⏰ scheduled 1: every 2h, next run Sat 2026-12-05 13:00:00 (Europe/Berlin)"));
    const list = await schedule(bridge, "");
    expect(list.text).toBe("schedules here (times in Europe/Berlin):\n1 · every 2h · next Sat 2026-12-05 13:00:00 (Europe/Berlin) · /app check [gate:slow]");

    await setClock("2026-12-05T12:00:01Z");
    const first = await firing(bridge, "⏰ scheduled: 1 · every 2h");
    await bridge.waitForSpawns(1);
    // Still running (held at its gate) when the next firing comes: that one is skipped, not queued.
    await setClock("2026-12-05T14:00:01Z");
    await note(bridge, "⏰ skipped 1 (every 2h: /app check [gate:slow]): its previous run has not finished.");
    await bridge.openGate("slow");
    await finished(bridge, first);
    await setClock("2026-12-05T16:00:01Z");
    await finished(bridge, await firing(bridge, "⏰ scheduled: 1 · every 2h", 2));
    expect(await bridge.spawns()).toHaveLength(2);

    await schedule(bridge, "pause 1", (text) => text === "paused 1 (every 2h: /app check [gate:slow]; times in Europe/Berlin); /schedule resume 1 continues it.");
    // A one-shot due after the paused schedule's next time: timers due together fire in time order,
    // so once it fired, the paused one would have fired first had it been armed.
    await schedule(bridge, "in 2h1m /app marker", (text) => text.startsWith("⏰ scheduled 2: once (in 2h1m)"));
    expect((await schedule(bridge, "list")).text).toContain("1 · every 2h · paused · /app check [gate:slow]");
    await setClock("2026-12-05T18:02:00Z");
    await finished(bridge, await firing(bridge, "⏰ scheduled: 2 · once (in 2h1m)"));
    expect(bridge.botMessages().filter((message) => (message.text ?? "").startsWith("⏰ scheduled: 1 ·"))).toHaveLength(2);

    await schedule(bridge, "resume 1", (text) => text === "resumed 1: next run Sat 2026-12-05 21:00:00 (Europe/Berlin).");
    await schedule(bridge, "cancel 1", (text) => text === "cancelled 1 (every 2h: /app check [gate:slow]; times in Europe/Berlin).");
    await schedule(bridge, "cancel 1", (text) => text === "no schedule 1 in this chat; /schedule list shows the ids (time zone Europe/Berlin).");
    expect((await schedule(bridge, "list")).text).toBe(noSchedules("Europe/Berlin"));
  });

  it("answers bad input with one line, and keeps to max_per_chat", async () => {
    const { bridge } = await withClock("2026-12-05T10:00:00Z", { max_per_chat: 1, timezone: "Asia/Tokyo" });
    const replies = [
      ["every 0s /app x", "every 0s is too often: the shortest interval is 1m; write e.g. /schedule every 2h <prompt> (time zone Asia/Tokyo)"],
      ["every mon,fry 08:00 /app x", '"fry" is not a day; the days are mon, tue, wed, thu, fri, sat, sun (or "day" for every day), e.g. /schedule every mon,thu 08:00 <prompt> (time zone Asia/Tokyo)'],
      ['cron "*/15 * *" /app x', '"*/15 * *" has 3 fields; a cron expression has 5, e.g. /schedule cron "*/15 * * * *" <prompt> (minute hour day month weekday) (time zone Asia/Tokyo)'],
      ["at 25:00 /app x", '"25:00" is not a time of day; write /schedule at 18:30 <prompt> (24-hour clock, Asia/Tokyo)'],
      ["pause 9", "no schedule 9 in this chat; /schedule list shows the ids (time zone Asia/Tokyo)."],
      ['cron "0 9 30 2 *" /app x', 'cron "0 9 30 2 *" never comes (in Asia/Tokyo); write a date that exists, e.g. /schedule cron "0 9 1 * *" <prompt>'],
    ];
    for (const [args, expected] of replies) expect((await schedule(bridge, args ?? "")).text).toBe(expected);
    await schedule(bridge, "every mon,thu 08:00 /app deps", (text) => text === "⏰ scheduled 1: every mon,thu 08:00, next run Mon 2026-12-07 08:00:00 (Asia/Tokyo)\n/app deps");
    expect((await schedule(bridge, "in 5m /app more")).text).toBe("this chat has 1 schedule, the most [plugins.schedule] max_per_chat allows; cancel one first: /schedule list shows them (time zone Asia/Tokyo).");
    expect(await bridge.spawns()).toEqual([]);
  });
});
