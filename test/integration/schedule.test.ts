/**
 * `/schedule` (overlay/schedule) in a real `takopi run` against the fake Bot
 * API, with the stand-in engines: firings run through the plugin executor in
 * the chat they were made in. One test waits on the real clock (`in 2s`);
 * the others drive the plugin's time through its test clock file
 * (TAKOPI_SCHEDULE_CLOCK_FILE), so "two hours later" takes no time.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bridgePerTest, type BridgeHarness } from "../support/bridge-harness.js";
import type { StoredMessage } from "../support/fake-telegram/index.js";
import { USER } from "../support/fake-telegram/standard-world.js";
import { waitFor } from "../support/scripts.js";

const bridges = bridgePerTest();

/** A bridge whose /schedule reads the time from a file the test writes. */
async function withClock(start: string, schedule: Record<string, unknown> = {}) {
  const bridge = await bridges.created({ engineDelayMs: 10, config: { plugins: { schedule } } });
  const clockFile = join(bridge.dir.path, "schedule-clock");
  const setClock = (iso: string) => writeFile(clockFile, String(Date.parse(iso)));
  await setClock(start);
  const start_ = () => bridge.start([], { env: { TAKOPI_SCHEDULE_CLOCK_FILE: clockFile } });
  await start_();
  return { bridge, setClock, restart: start_ };
}

/** Sends `/schedule …` and resolves with the reply whose text passes `predicate`. */
async function schedule(bridge: BridgeHarness, args: string, predicate: (text: string) => boolean = () => true): Promise<StoredMessage> {
  const sent = bridge.send(`/schedule ${args}`.trim());
  return bridge.replyTo(sent.stored.messageId, predicate);
}

/** The bot's message that starts a scheduled run: the label line, then the prompt. */
async function firing(bridge: BridgeHarness, label: string, nth = 1): Promise<StoredMessage> {
  let found: StoredMessage[] = [];
  await waitFor(
    () => {
      found = bridge.botMessages().filter((message) => (message.text ?? "").startsWith(label));
      return found.length >= nth;
    },
    20_000,
    `firing ${String(nth)} of "${label}"\n${bridge.dump()}`,
  );
  return found[nth - 1] as StoredMessage;
}

/** The final answer of the run started under `label`. */
async function finished(bridge: BridgeHarness, label: StoredMessage): Promise<StoredMessage> {
  return bridge.replyTo(label.messageId, (text) => text.startsWith("done"));
}

async function note(bridge: BridgeHarness, start: string): Promise<StoredMessage> {
  return bridge.telegram.waitForMessage((message) => message.chatId === USER && (message.text ?? "").startsWith(start), 20_000);
}

describe("/schedule on the real clock", () => {
  it("runs `in 2s` once, as a scheduled run in its chat, then forgets it — in a plain takopi run with no [plugins] table", async () => {
    const bridge = await bridges.started({ engineDelayMs: 10 });
    expect(bridge.telegram.commands()?.map((command) => command.command)).toContain("schedule");
    const made = await schedule(bridge, "in 2s /app hello later", (text) => text.startsWith("⏰ scheduled 1"));
    expect(made.text).toMatch(/^⏰ scheduled 1: once \(in 2s\), next run \w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(UTC\)\n\/app hello later$/);
    const label = await firing(bridge, "⏰ scheduled: 1 · once (in 2s)");
    expect(label.text).toBe("⏰ scheduled: 1 · once (in 2s)\n/app hello later");
    await finished(bridge, label);
    const spawns = await bridge.spawns();
    expect(spawns.map((spawn) => [spawn.prompt.trim(), spawn.cwd])).toEqual([["hello later", bridge.repo]]);
    const list = await schedule(bridge, "list");
    expect(list.text).toBe("no schedules here (times in UTC); /schedule help says how to add one.");
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
    await schedule(bridge, "cancel 1", (text) => text === "no schedule 1 in this chat; /schedule list shows the ids.");
    expect((await schedule(bridge, "list")).text).toBe("no schedules here (times in Europe/Berlin); /schedule help says how to add one.");
  });

  it("cancels from the button under the confirmation", async () => {
    const { bridge } = await withClock("2026-12-05T10:00:00Z");
    const made = await schedule(bridge, "every day 09:00 /app morning", (text) => text.startsWith("⏰ scheduled 1"));
    expect(made.text).toBe("⏰ scheduled 1: every day 09:00, next run Sun 2026-12-06 09:00:00 (UTC)\n/app morning");
    expect(JSON.stringify(made.replyMarkup)).toContain('"callback_data":"p:schedule:cancel:1"');
    const press = bridge.telegram.injectCallbackQuery({ chat: USER, message_id: made.messageId, from: USER, data: "p:schedule:cancel:1" });
    await waitFor(() => bridge.telegram.callbackAnswer(press.id) !== undefined, 10_000, "the press answered");
    expect(bridge.telegram.callbackAnswer(press.id)).toMatchObject({ text: "cancelled 1" });
    await waitFor(() => bridge.botMessages().find((message) => message.messageId === made.messageId)?.text?.startsWith("⏰ cancelled 1") === true, 10_000, "the confirmation edited");
    expect((await schedule(bridge, "list")).text).toBe("no schedules here (times in UTC); /schedule help says how to add one.");
    // The same button again: the schedule is gone, and the press is still answered.
    const again = bridge.telegram.injectCallbackQuery({ chat: USER, message_id: made.messageId, from: USER, data: "p:schedule:cancel:1" });
    await waitFor(() => bridge.telegram.callbackAnswer(again.id) !== undefined, 10_000, "the second press answered");
    expect(bridge.telegram.callbackAnswer(again.id)).toMatchObject({ text: "schedule 1 is already gone." });
  });

  it("keeps schedules across a restart: a run missed by less than catch_up_s runs at start-up, an older one is reported missed", async () => {
    const { bridge, setClock, restart } = await withClock("2026-12-05T08:00:00Z", { catch_up_s: 300 });
    await schedule(bridge, "at 08:30 /app catch me", (text) => text.startsWith("⏰ scheduled 1: once (at 08:30), next run Sat 2026-12-05 08:30:00 (UTC)"));
    await schedule(bridge, "at 08:10 /app too late", (text) => text.startsWith("⏰ scheduled 2: once (at 08:10)"));
    await schedule(bridge, 'cron "0 9 * * *" /app daily report', (text) => text.startsWith('⏰ scheduled 3: cron "0 9 * * *", next run Sat 2026-12-05 09:00:00 (UTC)'));
    expect(await bridge.stop()).toBe(0);
    const saved = JSON.parse(await readFile(join(bridge.home, ".takopi", "takopi_schedules.json"), "utf8")) as { version: number; schedules: { id: string }[] };
    expect(saved.version).toBe(1);
    expect(saved.schedules.map((each) => each.id)).toEqual(["1", "2", "3"]);

    // Down from 08:00 to 08:32: 1 is 2 minutes late (caught up), 2 is 22 minutes late (missed).
    await setClock("2026-12-05T08:32:00Z");
    await restart();
    const caught = await firing(bridge, "⏰ scheduled: 1 · once (at 08:30) · catching up the run due Sat 2026-12-05 08:30:00 (UTC)");
    await finished(bridge, caught);
    await note(bridge, "⏰ missed 2 (once (at 08:10): /app too late): takopi was not running at the run due Sat 2026-12-05 08:10:00 (UTC), older than catch_up_s.");
    expect((await schedule(bridge, "list")).text).toBe('schedules here (times in UTC):\n3 · cron "0 9 * * *" · next Sat 2026-12-05 09:00:00 (UTC) · /app daily report');

    await setClock("2026-12-05T09:00:00Z");
    await finished(bridge, await firing(bridge, '⏰ scheduled: 3 · cron "0 9 * * *"'));
    expect((await bridge.spawns()).map((spawn) => spawn.prompt.trim())).toEqual(["catch me", "daily report"]);
  });

  it("answers bad input with one line, and keeps to max_per_chat", async () => {
    const { bridge } = await withClock("2026-12-05T10:00:00Z", { max_per_chat: 1, timezone: "Asia/Tokyo" });
    const replies = [
      ["every 0s /app x", "every 0s is too often: the shortest interval is 1m; write e.g. /schedule every 2h <prompt>"],
      ["every mon,fry 08:00 /app x", '"fry" is not a day; the days are mon, tue, wed, thu, fri, sat, sun (or "day" for every day), e.g. /schedule every mon,thu 08:00 <prompt>'],
      ['cron "*/15 * *" /app x', '"*/15 * *" has 3 fields; a cron expression has 5, e.g. /schedule cron "*/15 * * * *" <prompt> (minute hour day month weekday)'],
      ["at 25:00 /app x", '"25:00" is not a time of day; write /schedule at 18:30 <prompt> (24-hour clock, Asia/Tokyo)'],
      ["pause 9", "no schedule 9 in this chat; /schedule list shows the ids."],
    ];
    for (const [args, expected] of replies) expect((await schedule(bridge, args ?? "")).text).toBe(expected);
    await schedule(bridge, "every mon,thu 08:00 /app deps", (text) => text === "⏰ scheduled 1: every mon,thu 08:00, next run Mon 2026-12-07 08:00:00 (Asia/Tokyo)\n/app deps");
    expect((await schedule(bridge, "in 5m /app more")).text).toBe("this chat has 1 schedules, the most [plugins.schedule] max_per_chat allows; cancel one first (/schedule list).");
    expect(await bridge.spawns()).toEqual([]);
  });
});
