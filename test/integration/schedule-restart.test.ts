/**
 * `/schedule` (overlay/schedule) across a `/reload` of a real `takopi run`,
 * with a damaged state file or time zone, the cancel button under a
 * confirmation, and a schedule made in a forum topic — against the fake Bot API with the stand-in engines, on the
 * plugin's test clock (TAKOPI_SCHEDULE_CLOCK_FILE; see schedule.test.ts for
 * the real clock).
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bridgePerTest } from "../support/bridge-harness.js";
import { FORUM, USER } from "../support/fake-telegram/standard-world.js";
import { clockedBridge, finished, firing, noSchedules, note, schedule } from "../support/schedule-harness.js";
import { waitFor } from "../support/scripts.js";

const { created } = bridgePerTest();

describe("/schedule across a restart", () => {
  it("keeps schedules over /reload: a run missed by less than catch_up_s runs at start-up, an older one is reported missed", async () => {
    const { bridge, setClock, start } = await clockedBridge(created, "2026-12-05T08:00:00Z", { catch_up_s: 300 });
    await schedule(bridge, "at 08:30 /app catch me", (text) => text.startsWith("⏰ scheduled 1: once (at 08:30), next run Sat 2026-12-05 08:30:00 (UTC)"));
    await schedule(bridge, "at 08:10 /app too late", (text) => text.startsWith("⏰ scheduled 2: once (at 08:10)"));
    await schedule(bridge, 'cron "0 9 * * *" /app daily report', (text) => text.startsWith('⏰ scheduled 3: cron "0 9 * * *", next run Sat 2026-12-05 09:00:00 (UTC)'));
    const reload = bridge.send("/reload");
    await bridge.replyTo(reload.stored.messageId, (text) => text === "reloading…");
    expect(await bridge.exited()).toBe(0);
    const saved = JSON.parse(await readFile(join(bridge.home, ".takopi", "takopi_schedules.json"), "utf8")) as { version: number; schedules: { id: string }[] };
    expect(saved.version).toBe(1);
    expect(saved.schedules.map((each) => each.id)).toEqual(["1", "2", "3"]);

    // Down from 08:00 to 08:32: 1 is 2 minutes late (caught up), 2 is 22 minutes late (missed).
    await setClock("2026-12-05T08:32:00Z");
    await start();
    const caught = await firing(bridge, "⏰ scheduled: 1 · once (at 08:30) · catching up the run due Sat 2026-12-05 08:30:00 (UTC)");
    await finished(bridge, caught);
    await note(bridge, "⏰ missed 2 (once (at 08:10): /app too late): takopi was not running at the run due Sat 2026-12-05 08:10:00 (UTC), older than catch_up_s.");
    expect((await schedule(bridge, "list")).text).toBe('schedules here (times in UTC):\n3 · cron "0 9 * * *" · next Sat 2026-12-05 09:00:00 (UTC) · /app daily report');

    await setClock("2026-12-05T09:00:00Z");
    await finished(bridge, await firing(bridge, '⏰ scheduled: 3 · cron "0 9 * * *"'));
    expect((await bridge.spawns()).map((spawn) => spawn.prompt.trim())).toEqual(["catch me", "daily report"]);
  });
});

describe("/schedule with a broken setup", () => {
  it("says so in one line: a damaged state file (left as it is), a time zone that does not exist, a state file it cannot write", async () => {
    const bridge = await created({ config: { plugins: { schedule: { timezone: "Mars/Olympus" } } } });
    const state = join(bridge.home, ".takopi", "takopi_schedules.json");
    await writeFile(state, "{ half a file");
    await bridge.start();
    expect((await schedule(bridge, "list")).text).toBe(`[plugins.schedule] timezone "Mars/Olympus" is not an IANA time zone (e.g. "Europe/Berlin", "UTC") in ${bridge.configPath}`);
    await bridge.stop();
    await bridge.writeConfig({ config: { plugins: { schedule: { timezone: "UTC" } } } });
    await bridge.start();
    expect((await schedule(bridge, "in 5m /app x")).text).toBe(`schedules unavailable: ${state} is not JSON (time zone UTC)`);
    expect(await readFile(state, "utf8")).toBe("{ half a file");

    // A state file that cannot be written: the change still holds until a restart, and the reply says so.
    await bridge.stop();
    await rm(state);
    await bridge.start();
    await mkdir(`${state}.${String(bridge.pid)}.tmp`);
    const made = await schedule(bridge, "in 5m /app x", (text) => text.startsWith("⏰ scheduled 1"));
    expect(made.text).toMatch(/\n⚠ not saved \(EISDIR: [^\n]*\): this change is lost when takopi restarts\.$/);
    expect((await schedule(bridge, "list")).text).toContain("1 · once (in 5m) · next");
  });
});

describe("/schedule buttons and topics", () => {
  it("cancels from the button under the confirmation, and answers a second press", async () => {
    const { bridge } = await clockedBridge(created, "2026-12-05T10:00:00Z");
    const made = await schedule(bridge, "every day 09:00 /app morning", (text) => text.startsWith("⏰ scheduled 1"));
    expect(made.text).toBe("⏰ scheduled 1: every day 09:00, next run Sun 2026-12-06 09:00:00 (UTC)\n/app morning");
    expect(JSON.stringify(made.replyMarkup)).toContain('"callback_data":"p:schedule:cancel:1"');
    const press = bridge.telegram.injectCallbackQuery({ chat: USER, message_id: made.messageId, from: USER, data: "p:schedule:cancel:1" });
    await waitFor(() => bridge.telegram.callbackAnswer(press.id) !== undefined, 10_000, "the press answered");
    expect(bridge.telegram.callbackAnswer(press.id)).toMatchObject({ text: "cancelled 1" });
    await waitFor(() => bridge.telegram.message(USER, made.messageId)?.text === "⏰ cancelled 1 (every day 09:00: /app morning).", 10_000, "the confirmation edited");
    expect((await schedule(bridge, "list")).text).toBe(noSchedules("UTC"));
    const again = bridge.telegram.injectCallbackQuery({ chat: USER, message_id: made.messageId, from: USER, data: "p:schedule:cancel:1" });
    await waitFor(() => bridge.telegram.callbackAnswer(again.id) !== undefined, 10_000, "the second press answered");
    expect(bridge.telegram.callbackAnswer(again.id)).toMatchObject({ text: "schedule 1 is already gone." });
  });

  it("runs a schedule made in a forum topic in that topic", async () => {
    const { bridge, setClock } = await clockedBridge(created, "2026-12-05T10:00:00Z", {}, { telegram: { chat_id: FORUM } });
    const thread = bridge.telegram.addForumTopic(FORUM, "nightly");
    const made = await schedule(bridge, "in 1m /app in the topic", (text) => text.startsWith("⏰ scheduled 1"), { chat: FORUM, thread });
    expect(made.threadId).toBe(thread);
    await setClock("2026-12-05T10:01:00Z");
    const label = await firing(bridge, "⏰ scheduled: 1 · once (in 1m)", 1, FORUM);
    expect(label.threadId).toBe(thread);
    expect((await finished(bridge, label, FORUM)).threadId).toBe(thread);
  });
});
