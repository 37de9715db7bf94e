/**
 * Telegram's own scheduled messages (upstream's documented way to schedule a
 * prompt): the person schedules a message in their app, and Telegram sends it
 * at the chosen time with `is_from_offline: true` and that time as its
 * `date`. takopi runs it like any message typed then — live, and from the
 * backlog of a restart, under the same `backlog_max_age_s` rule.
 */
import { describe, expect, it } from "vitest";
import { bridgePerTest, type BridgeHarness } from "../support/bridge-harness.js";
import { USER } from "../support/fake-telegram/standard-world.js";

const { started } = bridgePerTest();

/** A message the person scheduled, as Telegram delivers it `ageS` seconds ago. */
function scheduled(harness: BridgeHarness, text: string, ageS = 0) {
  return harness.telegram.injectMessage({ chat: USER, from: USER, text, date: Math.floor(Date.now() / 1000) - ageS, extra: { is_from_offline: true } });
}

describe("Telegram's scheduled messages", () => {
  it("runs one delivered while takopi runs, directives included, like a typed prompt", async () => {
    const harness = await started({ engineDelayMs: 10 });
    const message = scheduled(harness, "/claude /app @sched/live run the tests");
    expect(message.message).toMatchObject({ is_from_offline: true });
    const answer = await harness.replyTo(message.stored.messageId, (text) => text.startsWith("done · claude"));
    expect(answer.text).toContain("ctx: app @sched/live");
    const [spawn] = await harness.waitForSpawns(1);
    expect(spawn?.prompt).toContain("run the tests");
  });

  it("runs one delivered while takopi was down, at the next start, and skips one past backlog_max_age_s as any message", async () => {
    const harness = await started({ engineDelayMs: 10, telegram: { backlog_max_age_s: 600 } });
    await harness.stop();
    const stale = scheduled(harness, "/app fired long ago", 3600);
    const fresh = scheduled(harness, "/app fired a minute ago", 60);
    await harness.start();
    await harness.replyTo(fresh.stored.messageId, (text) => text.startsWith("done · codex"));
    await harness.telegram.waitForConfirmed(stale.updateId);
    const spawns = await harness.spawns();
    expect(spawns.map((spawn) => spawn.prompt)).toEqual(["fired a minute ago"]);
    expect(harness.botMessages().some((message) => message.replyToMessageId === stale.stored.messageId)).toBe(false);
  });
});
