// UpdatePoller against the fake Bot API over real HTTP: updates handed on in
// order; the offset confirmed on stop; a restarted poller (new instance, same
// state directory) handling nothing twice, also after a "kill" between
// handling and confirming; the start-up backlog filtered by age; strangers'
// chats never reaching the handler and logged once; 5xx, dropped connections,
// 429 and 409 survived, a 90 s outage and a stalled poll too; an abort
// ending the long poll in flight.
import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { BotApi } from "../../src/telegram/bot-api.js";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { AccessGate, accessPolicy } from "../../src/telegram/access.js";
import type { IncomingUpdate } from "../../src/telegram/incoming.js";
import { UpdatePoller, type BacklogSummary, type UpdatePollerOptions } from "../../src/telegram/polling.js";
import { UPDATES_STATE_FILE } from "../../src/telegram/update-offset.js";
import { systemClock, type Clock } from "../../src/util/clock.js";
import { GET_UPDATES_CONFLICT, startFakeTelegram, type FakeTelegram } from "../support/fake-telegram/index.js";
import { scratchDir, waitFor, type ScratchDir } from "../support/scripts.js";

const ADA = 11;
const EVE = 66;
const GROUP = -1001000000001;
const WAIT_MS = 5_000;

let tg: FakeTelegram;
let dir: ScratchDir;

beforeEach(async () => {
  tg = await startFakeTelegram({
    users: [
      { id: ADA, first_name: "Ada", username: "ada" },
      { id: EVE, first_name: "Eve", username: "eve" },
    ],
    chats: [
      { id: ADA, type: "private" },
      { id: EVE, type: "private" },
      { id: GROUP, type: "supergroup", title: "Team", members: { [ADA]: "creator" } },
    ],
  });
  dir = await scratchDir("takopi-polling-");
});

afterEach(async () => {
  await tg.close();
  await dir.dispose();
});

interface Running {
  poller: UpdatePoller;
  received: IncomingUpdate[];
  texts: () => string[];
  /** Every logged line, parsed. */
  logs: () => Record<string, unknown>[];
  events: () => unknown[];
  /** Requested retry waits (the clock sleeps at most 20 ms of each, so tests stay fast). */
  sleeps: number[];
  controller: AbortController;
  done: Promise<void>;
  stop: () => Promise<void>;
}

/** Rejects if `promise` has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} did not happen within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function start(
  options: Partial<UpdatePollerOptions> & { realClock?: boolean; onUpdate?: (update: IncomingUpdate, controller: AbortController) => void } = {},
): Running {
  const received: IncomingUpdate[] = [];
  const lines: string[] = [];
  const sleeps: number[] = [];
  const log = pino({ level: "trace", base: null }, { write: (line: string) => lines.push(line) });
  const clock: Clock = options.realClock
    ? systemClock
    : {
        ...systemClock,
        sleep: (ms, signal) => {
          sleeps.push(ms);
          return systemClock.sleep(Math.min(ms, 20), signal);
        },
      };
  const controller = new AbortController();
  const poller = new UpdatePoller({
    api: new BotApi(tg.token, { apiRoot: tg.apiRoot }),
    stateDir: dir.path,
    pollTimeoutS: 10,
    log,
    clock,
    ...options,
    handle: (update) => {
      received.push(update);
      options.onUpdate?.(update, controller);
    },
  });
  const done = poller.run(controller.signal);
  const logs = (): Record<string, unknown>[] => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const stop = async (): Promise<void> => {
    controller.abort();
    await within(done, WAIT_MS, "the poller stopping");
  };
  onTestFinished(async () => {
    await stop();
    // The bot token's secret never reaches a log line.
    expect(lines.join("")).not.toContain(tg.token.split(":")[1] ?? tg.token);
    expect(tg.errors).toEqual([]);
  });
  return {
    poller,
    received,
    texts: () => received.map((u) => (u.kind === "message" ? u.text : `callback:${u.data ?? ""}`)),
    logs,
    events: () => logs().map((l) => l.event),
    sleeps,
    controller,
    done,
    stop,
  };
}

function say(text: string, options: { chat?: number; from?: number; ageS?: number } = {}): number {
  const from = options.from ?? ADA;
  return tg.injectMessage({
    chat: options.chat ?? from,
    from,
    text,
    ...(options.ageS === undefined ? {} : { date: Math.floor(Date.now() / 1000) - options.ageS }),
  }).updateId;
}

async function savedState(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir.path, UPDATES_STATE_FILE), "utf8")) as Record<string, unknown>;
}

describe("delivery", () => {
  it("hands updates on in order and confirms them on stop", async () => {
    say("one");
    say("two");
    const run = start();
    await waitFor(() => run.received.length === 2, WAIT_MS, "the backlog");
    await waitFor(() => tg.isPolling(), WAIT_MS, "the long poll");
    say("three", { chat: GROUP });
    const last = say("four");
    await waitFor(() => run.received.length === 4, WAIT_MS, "live updates");
    await run.stop();
    expect(run.texts()).toEqual(["one", "two", "three", "four"]);
    expect(run.received.map((u) => u.chatId)).toEqual([ADA, ADA, GROUP, ADA]);
    expect(tg.confirmedOffset()).toBe(last + 1);
    expect(tg.pendingUpdates()).toEqual([]);
    expect(await savedState()).toMatchObject({ version: 1, bot_id: tg.botInfo.id, last_update_id: last });
    // Long polls ask only for what the bridge handles.
    const poll = tg.calls("getUpdates").find((c) => c.params.timeout === 10);
    expect(poll?.params.allowed_updates).toEqual(["message", "callback_query"]);
  });

  it("confirms with one last getUpdates when stopped before the next poll could", async () => {
    say("a");
    const last = say("b");
    const run = start({
      onUpdate: (update, controller) => {
        // Stop while handing on the batch: no later poll carries its offset.
        if (update.updateId === last) controller.abort();
      },
    });
    await within(run.done, WAIT_MS, "the poller stopping");
    expect(run.texts()).toEqual(["a", "b"]);
    const final = tg.calls("getUpdates").at(-1);
    expect(final?.params).toMatchObject({ offset: last + 1, timeout: 0 });
    expect(tg.confirmedOffset()).toBe(last + 1);
  });

  it("keeps polling when the handler throws or rejects", async () => {
    const run = start({
      onUpdate: (update) => {
        if (update.kind === "message" && update.text === "throw") throw new Error("handler bug");
      },
    });
    await waitFor(() => tg.isPolling(), WAIT_MS, "the long poll");
    say("throw");
    say("after");
    await waitFor(() => run.received.length === 2, WAIT_MS, "both updates");
    expect(run.events()).toContain("telegram.handler_failed");
  });

  it("does not wait for an async handler, and logs its rejection", async () => {
    const lines: string[] = [];
    const controller = new AbortController();
    const seen: string[] = [];
    const poller = new UpdatePoller({
      api: new BotApi(tg.token, { apiRoot: tg.apiRoot }),
      stateDir: dir.path,
      pollTimeoutS: 10,
      log: pino({ level: "trace", base: null }, { write: (line: string) => lines.push(line) }),
      handle: async (update) => {
        if (update.kind === "message") seen.push(update.text);
        // Never settles until the test ends: the poller must not wait for it.
        if (update.kind === "message" && update.text === "slow") {
          await new Promise<void>((resolve) => {
            controller.signal.addEventListener("abort", () => {
              resolve();
            });
          });
        }
        if (update.kind === "message" && update.text === "fail") throw new Error("async failure");
      },
    });
    const done = poller.run(controller.signal);
    onTestFinished(async () => {
      controller.abort();
      await within(done, WAIT_MS, "the poller stopping");
    });
    say("slow");
    say("fail");
    say("next");
    await waitFor(() => seen.length === 3, WAIT_MS, "all three updates");
    await waitFor(() => lines.some((l) => l.includes("telegram.handler_failed")), WAIT_MS, "the rejection logged");
    expect(seen).toEqual(["slow", "fail", "next"]);
  });
});

describe("restarts", () => {
  it("a new poller on the same state directory handles nothing twice", async () => {
    say("before");
    const first = start();
    await waitFor(() => first.received.length === 1, WAIT_MS, "the first update");
    await first.stop();

    const newer = say("after restart");
    const second = start();
    await waitFor(() => second.received.length === 1, WAIT_MS, "the new update");
    await waitFor(() => tg.confirmedOffset() > newer, WAIT_MS, "confirmation");
    expect(second.texts()).toEqual(["after restart"]);
  });

  it("handles nothing twice after a kill between handing on and confirming", async () => {
    let killed = false;
    const real = new BotApi(tg.token, { apiRoot: tg.apiRoot });
    // A process that dies the moment it handed the batch on: none of its later requests reach Telegram.
    const dying = {
      token: real.token,
      getUpdates: (...args: Parameters<BotApi["getUpdates"]>) => (killed ? Promise.reject(new Error("process killed")) : real.getUpdates(...args)),
    };
    say("one");
    const last = say("two");
    const first = start({
      api: dying,
      onUpdate: (update) => {
        if (update.updateId === last) killed = true;
      },
    });
    await waitFor(() => first.received.length === 2, WAIT_MS, "the first poller's updates");
    // Telegram never heard the confirming offset: both updates are still queued for delivery.
    expect(tg.pendingUpdates().map((u) => u.update_id)).toContain(last);

    const later = say("three");
    const second = start();
    await waitFor(() => second.received.length === 1, WAIT_MS, "the second poller's update");
    await waitFor(() => tg.confirmedOffset() > later, WAIT_MS, "confirmation");
    expect(second.texts()).toEqual(["three"]);
    expect(first.texts()).toEqual(["one", "two"]);
  });

  it("does not trust a saved update id older than six days, nor one saved for another bot", async () => {
    const state = (botId: number, savedAt: number): string =>
      `${JSON.stringify({ version: 1, bot_id: botId, last_update_id: 999_999_999, saved_at: savedAt })}\n`;
    writeFileSync(join(dir.path, UPDATES_STATE_FILE), state(tg.botInfo.id, Date.now() - 7 * 24 * 3600 * 1000));
    say("after a quiet week");
    const first = start();
    await waitFor(() => first.received.length === 1, WAIT_MS, "the update");
    await first.stop();

    writeFileSync(join(dir.path, UPDATES_STATE_FILE), state(42, Date.now()));
    say("new token");
    const second = start();
    await waitFor(() => second.received.length === 1, WAIT_MS, "the update");
    expect(second.texts()).toEqual(["new token"]);
    expect(await savedState()).toMatchObject({ bot_id: tg.botInfo.id });
  });
});

describe("start-up backlog", () => {
  it("handles messages younger than backlog_max_age_s in order and skips older ones, logging the count", async () => {
    say("ancient", { ageS: 3600 });
    say("stale", { ageS: 301 });
    say("recent", { ageS: 120 });
    const last = say("just now", { ageS: 1 });
    const summaries: BacklogSummary[] = [];
    const run = start({ backlogMaxAgeS: 300, onBacklogDrained: (summary) => summaries.push(summary) });
    await waitFor(() => summaries.length === 1, WAIT_MS, "the backlog drain");
    expect(run.texts()).toEqual(["recent", "just now"]);
    expect(summaries).toEqual([{ handled: 2, skipped: 2 }]);
    expect(run.logs().filter((l) => l.event === "telegram.backlog")).toEqual([expect.objectContaining({ handled: 2, skipped: 2, max_age_s: 300 })]);
    await waitFor(() => tg.confirmedOffset() > last, WAIT_MS, "confirmation of the skipped ones too");

    // After the drain, the age limit no longer applies.
    await waitFor(() => tg.isPolling(), WAIT_MS, "the long poll");
    say("delayed but live", { ageS: 3600 });
    await waitFor(() => run.received.length === 3, WAIT_MS, "the live update");
    expect(run.texts().at(-1)).toBe("delayed but live");
  });

  it("skips button presses from the backlog", async () => {
    const sent = await new BotApi(tg.token, { apiRoot: tg.apiRoot }).sendMessage(ADA, "working", {
      reply_markup: { inline_keyboard: [[{ text: "cancel", callback_data: "takopi:cancel" }]] },
    });
    tg.injectCallbackQuery({ chat: ADA, message_id: sent.message_id, from: ADA, data: "takopi:cancel" });
    const summaries: BacklogSummary[] = [];
    const run = start({ onBacklogDrained: (summary) => summaries.push(summary) });
    await waitFor(() => summaries.length === 1, WAIT_MS, "the backlog drain");
    expect(summaries).toEqual([{ handled: 0, skipped: 1 }]);
    await waitFor(() => tg.isPolling(), WAIT_MS, "the long poll");
    tg.injectCallbackQuery({ chat: ADA, message_id: sent.message_id, from: ADA, data: "takopi:cancel" });
    await waitFor(() => run.received.length === 1, WAIT_MS, "the live press");
    expect(run.texts()).toEqual(["callback:takopi:cancel"]);
  });
});

describe("access", () => {
  it("never hands on a stranger's messages and logs their chat once", async () => {
    const gate = (log: pino.Logger): AccessGate => new AccessGate({ policy: () => accessPolicy({ chat_id: ADA, allowed_user_ids: [] }), log });
    const lines: string[] = [];
    const gateLog = pino({ level: "trace", base: null }, { write: (line: string) => lines.push(line) });
    const access = gate(gateLog);
    const run = start({ admit: (update) => access.admit(update) });
    await waitFor(() => tg.isPolling(), WAIT_MS, "the long poll");
    say("let me in", { from: EVE });
    say("please", { from: EVE });
    say("hello", { from: ADA });
    await waitFor(() => run.received.length === 1, WAIT_MS, "Ada's message");
    const last = say("still me", { from: EVE });
    await waitFor(() => tg.confirmedOffset() > last, WAIT_MS, "Eve's messages confirmed");
    expect(run.texts()).toEqual(["hello"]);
    const denied = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === "telegram.access_denied");
    expect(denied).toEqual([expect.objectContaining({ chat_id: EVE, sender_id: EVE, reason: "chat" })]);
    // No reply of any kind went to the stranger.
    expect(tg.messages(EVE)).toEqual([]);
  });
});

describe("failures", () => {
  it("retries 5xx answers and dropped connections, waiting 2 s and doubling", async () => {
    tg.failNext("getUpdates", { code: 502 }, 2);
    tg.failNext("getUpdates", { drop: true });
    say("through the storm");
    const run = start();
    await waitFor(() => run.received.length === 1, WAIT_MS, "the update");
    expect(run.texts()).toEqual(["through the storm"]);
    expect(run.sleeps).toEqual([2000, 4000, 8000]);
    const failed = run.logs().filter((l) => l.event === "telegram.poll_failed");
    expect(failed.map((l) => l.attempt)).toEqual([1, 2, 3]);
    expect(run.events()).toContain("telegram.polling_recovered");
  });

  it("survives a 90 s outage that cuts its long poll, and hands on once what was sent during it", async () => {
    const run = start();
    say("before");
    await waitFor(() => run.received.length === 1 && tg.isPolling(), WAIT_MS, "the first update and the next long poll");
    const outage = tg.outage();
    const during = say("during the outage");
    // The poller's clock: the retry waits it asked for add up to 90 s (each sleeps 20 ms here).
    await waitFor(() => run.sleeps.reduce((sum, ms) => sum + ms, 0) >= 90_000, WAIT_MS, "90 s of retry waits");
    expect(run.texts()).toEqual(["before"]);
    outage.end();
    await tg.waitForConfirmed(during, WAIT_MS);
    expect(run.texts()).toEqual(["before", "during the outage"]);
    expect(run.sleeps).toEqual([2000, 4000, 8000, 16_000, 30_000, 30_000, ...run.sleeps.slice(6).map(() => 30_000)]);
    expect(outage.failed).toBe(run.sleeps.length);
    expect(run.events()).toContain("telegram.polling_recovered");
  });

  it("gives up a long poll that goes unanswered past its timeout, and polls again", async () => {
    // A connection that died without a reset: the request is never answered.
    tg.failNext("getUpdates", { delayMs: 60_000 });
    say("after the stall");
    const run = start({ pollTimeoutS: 1, pollGraceMs: 300 });
    await waitFor(() => run.received.length === 1, WAIT_MS, "the update");
    expect(run.texts()).toEqual(["after the stall"]);
    expect(run.logs().find((l) => l.event === "telegram.poll_failed")).toMatchObject({ attempt: 1, error: { name: "HttpError" } });
  });

  it("waits as long as a 429 says", async () => {
    tg.failNext("getUpdates", { code: 429, retry_after: 3 });
    say("after flood wait");
    const run = start();
    await waitFor(() => run.received.length === 1, WAIT_MS, "the update");
    expect(run.sleeps).toEqual([3000]);
  });

  it("logs a 409 conflict as another instance polling, and keeps going", async () => {
    tg.failNext("getUpdates", { code: 409, description: `Conflict: ${GET_UPDATES_CONFLICT}` });
    say("still delivered");
    const run = start();
    await waitFor(() => run.received.length === 1, WAIT_MS, "the update");
    const conflict = run.logs().filter((l) => l.event === "telegram.poll_conflict");
    expect(conflict).toHaveLength(1);
    expect(conflict[0]?.level).toBe(50);
    expect(String(conflict[0]?.msg)).toContain("another process is polling this bot token");
  });

  it("logs a webhook conflict with what to do", async () => {
    tg.failNext("getUpdates", { code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
    say("x");
    const run = start();
    await waitFor(() => run.received.length === 1, WAIT_MS, "the update");
    expect(run.logs().find((l) => l.event === "telegram.poll_conflict")?.msg).toContain("deleteWebhook");
  });
});

describe("stopping", () => {
  it("an abort ends the long poll in flight; no further request is made", async () => {
    const run = start({ pollTimeoutS: 25 });
    await waitFor(() => tg.isPolling(), WAIT_MS, "the long poll");
    const before = tg.calls("getUpdates").length;
    run.controller.abort();
    await within(run.done, WAIT_MS, "the poller stopping");
    await waitFor(() => !tg.isPolling(), WAIT_MS, "the fake seeing the poll end");
    // Nothing was handled, so there was nothing to confirm either.
    expect(tg.calls("getUpdates")).toHaveLength(before);
    expect(run.events()).toContain("telegram.polling_stopped");
  });

  it("an abort ends a retry wait", async () => {
    tg.failNext("getUpdates", { code: 500 }, Infinity);
    const run = start({ realClock: true, retryDelayMs: 60_000 });
    await waitFor(() => run.events().includes("telegram.poll_failed"), WAIT_MS, "the first failure");
    run.controller.abort();
    await within(run.done, WAIT_MS, "the poller stopping");
    tg.clearFaults();
  });

  it("refuses a second run of the same poller while the first is going", async () => {
    const run = start();
    await expect(run.poller.run(new AbortController().signal)).rejects.toThrow(/already running/);
  });
});
