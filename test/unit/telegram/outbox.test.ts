// The outbox on a fake clock: order and priorities, per-chat pacing and
// independence, coalescing, 429 waits (and a newer op taking over during
// one), transient-error backoff, long Telegram outages (nothing required
// lost, order kept, each call made once, memory capped, permanent errors
// still final), and shutdown. Times asserted here are the fake clock's, so
// they are exact and independent of the machine.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { BotApiError, HttpError } from "../../../src/telegram/bot-api.js";
import { Outbox, PRIORITY, type Importance, type OutboxOptions, type Priority } from "../../../src/telegram/outbox.js";
import { FakeClock } from "../../support/fake-clock.js";

interface Execution {
  name: string;
  at: number;
}

/** What a scripted op does on each attempt: answer, throw, or wait for the test. */
type Step = { value: unknown } | { error: unknown } | { gate: Promise<void>; value: unknown };

function tooManyRequests(retryAfter: number | undefined, method = "editMessageText"): BotApiError {
  const parameters = retryAfter === undefined ? {} : { retry_after: retryAfter };
  return new BotApiError(method, { error_code: 429, description: "Too Many Requests", parameters });
}

function apiError(code: number, description: string, method = "sendMessage"): BotApiError {
  return new BotApiError(method, { error_code: code, description });
}

function gate(): { promise: Promise<void>; open: () => void } {
  const { promise, resolve: open }: PromiseWithResolvers<void> = Promise.withResolvers();
  return { promise, open };
}

/** Without `random`, the back-off has no jitter, so times are exact. */
function harness(options: Omit<OutboxOptions, "clock" | "log"> = {}) {
  const clock = new FakeClock();
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "debug", base: null }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const outbox = new Outbox({ random: () => 0, ...options, clock, log });
  const executions: Execution[] = [];

  /** Enqueues an op named `name` that follows `steps` (then answers `name`) on successive attempts. */
  function op(name: string, chatId: number | null, priority: Priority, steps: Step[] = [], key?: string): Promise<unknown> {
    let attempt = 0;
    return outbox.enqueue({
      ...(key === undefined ? {} : { key }),
      chatId,
      priority,
      label: name,
      execute: async () => {
        executions.push({ name, at: clock.now() });
        const step = steps[attempt++];
        if (step === undefined) return name;
        if ("error" in step) throw step.error;
        if ("gate" in step) await step.gate;
        return step.value;
      },
    });
  }

  /** Telegram as the `call` ops meet it: while `failure` is set, every call throws it. */
  const telegram: { failure: Error | null } = { failure: null };
  /** Names of the `call` ops that went through, in the order they did. */
  const delivered: string[] = [];

  /** Enqueues an op that fails while Telegram is down and answers `name` once it is up. */
  function call(name: string, chatId: number | null, priority: Priority, extra: { key?: string; importance?: Importance } = {}): Promise<unknown> {
    return outbox.enqueue({
      ...extra,
      chatId,
      priority,
      label: name,
      execute: () => {
        executions.push({ name, at: clock.now() });
        if (telegram.failure !== null) return Promise.reject(telegram.failure);
        delivered.push(name);
        return Promise.resolve(name);
      },
    });
  }

  const names = (): string[] => executions.map((e) => e.name);
  const times = (name: string): number[] => executions.filter((e) => e.name === name).map((e) => e.at);
  const events = (): unknown[] => lines.map((l) => l.event);
  return { clock, outbox, op, call, telegram, delivered, executions, names, times, lines, events };
}

const PRIVATE = 42;
const OTHER_PRIVATE = 43;
const GROUP = -1001234;

describe("order", () => {
  it("runs sends before deletes before edits, oldest first within a priority", async () => {
    const h = harness({ privateIntervalMs: 0 });
    const blocker = gate();
    const results = [
      h.op("first", PRIVATE, PRIORITY.edit, [{ gate: blocker.promise, value: "first" }]),
      h.op("edit a", PRIVATE, PRIORITY.edit, [], "edit:a"),
      h.op("edit b", PRIVATE, PRIORITY.edit, [], "edit:b"),
      h.op("delete", PRIVATE, PRIORITY.delete),
      h.op("send 1", PRIVATE, PRIORITY.send),
      h.op("send 2", PRIVATE, PRIORITY.send),
    ];
    await h.clock.advance(0);
    expect(h.names()).toEqual(["first"]);
    blocker.open();
    await h.clock.advance(0);
    expect(h.names()).toEqual(["first", "send 1", "send 2", "delete", "edit a", "edit b"]);
    expect(await Promise.all(results)).toEqual(["first", "edit a", "edit b", "delete", "send 1", "send 2"]);
  });

  it("runs one call at a time per chat", async () => {
    const h = harness({ privateIntervalMs: 0 });
    const blocker = gate();
    void h.op("slow", PRIVATE, PRIORITY.send, [{ gate: blocker.promise, value: "slow" }]);
    void h.op("next", PRIVATE, PRIORITY.send);
    await h.clock.advance(10_000);
    expect(h.names()).toEqual(["slow"]);
    blocker.open();
    await h.clock.advance(0);
    expect(h.names()).toEqual(["slow", "next"]);
  });
});

describe("pacing", () => {
  it("spaces calls 1 s apart in a private chat and 3 s apart in a group, each chat on its own clock", async () => {
    const h = harness();
    for (const n of [1, 2, 3]) {
      void h.op(`group ${n}`, GROUP, PRIORITY.send);
      void h.op(`private ${n}`, PRIVATE, PRIORITY.send);
    }
    await h.clock.advance(10_000);
    expect(h.times("private 1")).toEqual([0]);
    expect(h.times("private 2")).toEqual([1000]);
    expect(h.times("private 3")).toEqual([2000]);
    expect(h.times("group 1")).toEqual([0]);
    expect(h.times("group 2")).toEqual([3000]);
    expect(h.times("group 3")).toEqual([6000]);
  });

  it("takes the intervals it is given", async () => {
    const h = harness({ privateIntervalMs: 250, groupIntervalMs: 500 });
    void h.op("p1", PRIVATE, PRIORITY.send);
    void h.op("p2", PRIVATE, PRIORITY.send);
    void h.op("g1", GROUP, PRIORITY.send);
    void h.op("g2", GROUP, PRIORITY.send);
    await h.clock.advance(1000);
    expect([h.times("p2"), h.times("g2")]).toEqual([[250], [500]]);
  });

  it("keeps a private chat moving while a group waits out a flood wait", async () => {
    const h = harness();
    const group = h.op("group", GROUP, PRIORITY.send, [{ error: tooManyRequests(60, "sendMessage") }]);
    const privates = [1, 2, 3].map((n) => h.op(`private ${n}`, PRIVATE, PRIORITY.send));
    const other = h.op("other private", OTHER_PRIVATE, PRIORITY.send);
    await h.clock.advance(5000);
    expect(await Promise.all([...privates, other])).toEqual(["private 1", "private 2", "private 3", "other private"]);
    expect(h.times("group")).toEqual([0]);
    await h.clock.advance(60_000);
    expect(await group).toBe("group");
    expect(h.times("group")).toEqual([0, 60_000]);
  });

  it("does not pace calls that concern no chat, and keeps each method on its own lane", async () => {
    const h = harness();
    void h.op("getMe", null, PRIORITY.send);
    void h.op("getMe", null, PRIORITY.send);
    void h.op("answerCallbackQuery", null, PRIORITY.send, [{ error: tooManyRequests(30, "answerCallbackQuery") }]);
    void h.op("setMyCommands", null, PRIORITY.send);
    await h.clock.advance(0);
    expect(h.times("getMe")).toEqual([0, 0]);
    expect(h.times("setMyCommands")).toEqual([0]);
    await h.clock.advance(30_000);
    expect(h.times("answerCallbackQuery")).toEqual([0, 30_000]);
  });
});

describe("coalescing", () => {
  it("makes only the newest of waiting edits to one message, and every caller gets its result", async () => {
    const h = harness({ privateIntervalMs: 0 });
    const blocker = gate();
    const first = h.op("v1", PRIVATE, PRIORITY.edit, [{ gate: blocker.promise, value: "v1" }], "edit:42:7");
    const waiting = ["v2", "v3", "v4"].map((v) => h.op(v, PRIVATE, PRIORITY.edit, [], "edit:42:7"));
    await h.clock.advance(0);
    expect(h.outbox.size).toBe(1);
    blocker.open();
    await h.clock.advance(0);
    expect(h.names()).toEqual(["v1", "v4"]);
    expect(await first).toBe("v1");
    expect(await Promise.all(waiting)).toEqual(["v4", "v4", "v4"]);
  });

  it("gives the newer op the replaced op's place in line", async () => {
    const h = harness({ privateIntervalMs: 0 });
    const blocker = gate();
    void h.op("busy", PRIVATE, PRIORITY.send, [{ gate: blocker.promise, value: null }]);
    void h.op("message 1 old", PRIVATE, PRIORITY.edit, [], "edit:1");
    void h.op("message 2", PRIVATE, PRIORITY.edit, [], "edit:2");
    void h.op("message 1 new", PRIVATE, PRIORITY.edit, [], "edit:1");
    blocker.open();
    await h.clock.advance(0);
    expect(h.names()).toEqual(["busy", "message 1 new", "message 2"]);
  });

  it("never merges ops without a key", async () => {
    const h = harness({ privateIntervalMs: 0 });
    const sends = [1, 2, 3].map((n) => h.op(`send ${n}`, PRIVATE, PRIORITY.send));
    expect(await Promise.all(sends)).toEqual(["send 1", "send 2", "send 3"]);
  });

  it("drops a pending op by key", async () => {
    const h = harness({ privateIntervalMs: 0 });
    const blocker = gate();
    void h.op("busy", PRIVATE, PRIORITY.send, [{ gate: blocker.promise, value: null }]);
    const edit = h.op("edit", PRIVATE, PRIORITY.edit, [], "edit:42:9");
    expect(h.outbox.drop("edit:42:9")).toBe(true);
    expect(h.outbox.drop("edit:42:9")).toBe(false);
    expect(await edit).toBeNull();
    blocker.open();
    await h.outbox.idle();
    expect(h.names()).toEqual(["busy"]);
  });
});

describe("429 flood waits", () => {
  it("waits retry_after in that chat, then makes the call again", async () => {
    const h = harness();
    const edit = h.op("edit", PRIVATE, PRIORITY.edit, [{ error: tooManyRequests(5) }, { value: "edited" }], "edit:42:1");
    await h.clock.advance(0);
    const send = h.op("send", PRIVATE, PRIORITY.send);
    await h.clock.advance(4999);
    // The whole chat waits: the send enqueued after the 429 too.
    expect(h.names()).toEqual(["edit"]);
    await h.clock.advance(2000);
    expect(await send).toBe("send");
    expect(await edit).toBe("edited");
    // After the wait the send goes first, as always; the edit follows one interval later.
    expect(h.executions).toEqual([
      { name: "edit", at: 0 },
      { name: "send", at: 5000 },
      { name: "edit", at: 6000 },
    ]);
    expect(h.lines.find((l) => l.event === "telegram.rate_limited")).toMatchObject({ chat_id: PRIVATE, retry_after_s: 5, method: "edit" });
  });

  it("waits 5 s when the 429 carries no retry_after", async () => {
    const h = harness({ privateIntervalMs: 0 });
    void h.op("edit", PRIVATE, PRIORITY.edit, [{ error: tooManyRequests(undefined) }]);
    await h.clock.advance(10_000);
    expect(h.times("edit")).toEqual([0, 5000]);
  });

  it("keeps retrying through a storm of 429s without losing the op", async () => {
    const h = harness({ groupIntervalMs: 3000 });
    const steps: Step[] = [1, 2, 3, 4, 5, 6].map(() => ({ error: tooManyRequests(10, "sendMessage") }));
    const send = h.op("final", GROUP, PRIORITY.send, [...steps, { value: "delivered" }]);
    await h.clock.advance(100_000);
    expect(await send).toBe("delivered");
    expect(h.times("final")).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
  });

  it("runs the newer edit instead when one arrives during the wait", async () => {
    const h = harness();
    const old = h.op("old", PRIVATE, PRIORITY.edit, [{ error: tooManyRequests(10) }], "edit:42:5");
    await h.clock.advance(2000);
    const newer = h.op("new", PRIVATE, PRIORITY.edit, [], "edit:42:5");
    await h.clock.advance(20_000);
    expect(h.executions).toEqual([
      { name: "old", at: 0 },
      { name: "new", at: 10_000 },
    ]);
    expect(await newer).toBe("new");
    expect(await old).toBe("new");
  });

  it("settles the old op with the newer one's result when a newer op arrived while it ran", async () => {
    const h = harness({ privateIntervalMs: 0 });
    const answered = gate();
    const old = h.op("old", PRIVATE, PRIORITY.edit, [{ gate: answered.promise, value: null }], "edit:42:6");
    await h.clock.advance(0);
    const newer = h.op("new", PRIVATE, PRIORITY.edit, [], "edit:42:6");
    answered.open();
    await h.clock.advance(0);
    // The old op answered normally here (no 429), so it keeps its own result.
    expect(await old).toBeNull();
    expect(await newer).toBe("new");
  });
});

describe("transient errors", () => {
  const bad = apiError(502, "Bad Gateway");

  it("backs off exponentially up to a cap and gives a best-effort call up after maxAttempts", async () => {
    const h = harness({ backoff: { initialMs: 1000, maxMs: 4000, maxAttempts: 5 } });
    const call = h.op("getChat", null, PRIORITY.send, [1, 2, 3, 4, 5, 6].map(() => ({ error: bad })));
    await h.clock.advance(60_000);
    expect(await call).toBeNull();
    expect(h.times("getChat")).toEqual([0, 1000, 3000, 7000, 11_000]);
    expect(h.events().filter((e) => e === "telegram.retry")).toHaveLength(4);
    expect(h.lines.find((l) => l.event === "telegram.gave_up")).toMatchObject({ attempts: 5, error: { code: 502 } });
  });

  it("does not give a send up after maxAttempts: it is delivered once Telegram answers", async () => {
    // Before the outage fix this send settled null after 5 tries (telegram.gave_up).
    const h = harness({ privateIntervalMs: 0, backoff: { initialMs: 1000, maxMs: 4000, maxAttempts: 5 } });
    const send = h.op("send", PRIVATE, PRIORITY.send, [1, 2, 3, 4, 5, 6, 7, 8].map(() => ({ error: bad })));
    await h.clock.advance(60_000);
    expect(await send).toBe("send");
    expect(h.times("send")).toEqual([0, 1000, 3000, 7000, 11_000, 15_000, 19_000, 23_000, 27_000]);
    expect(h.events()).not.toContain("telegram.gave_up");
  });

  it("retries network failures and keeps later ops of the chat behind the retried one", async () => {
    const h = harness({ privateIntervalMs: 0, backoff: { initialMs: 500 } });
    const dropped = new HttpError("Network request for 'sendMessage' failed!", new Error("socket hang up"));
    const first = h.op("first", PRIVATE, PRIORITY.send, [{ error: dropped }, { error: dropped }, { value: "first" }]);
    const second = h.op("second", PRIVATE, PRIORITY.send);
    expect(await Promise.all([h.clock.advance(5000), first, second])).toEqual([undefined, "first", "second"]);
    expect(h.names()).toEqual(["first", "first", "first", "second"]);
    expect(h.times("first")).toEqual([0, 500, 1500]);
  });

  it("does not retry other Bot API errors", async () => {
    const h = harness({ privateIntervalMs: 0 });
    const send = h.op("send", PRIVATE, PRIORITY.send, [{ error: apiError(400, "Bad Request: chat not found") }]);
    await h.clock.advance(60_000);
    expect(await send).toBeNull();
    expect(h.times("send")).toEqual([0]);
    expect(h.lines.find((l) => l.event === "telegram.failed")).toMatchObject({ error: { code: 400, description: "Bad Request: chat not found" } });
  });

  it("does not retry errors that are not Telegram's", async () => {
    const h = harness({ privateIntervalMs: 0 });
    const send = h.op("send", PRIVATE, PRIORITY.send, [{ error: new TypeError("bug") }]);
    await h.clock.advance(60_000);
    expect(await send).toBeNull();
    expect(h.times("send")).toEqual([0]);
  });
});

describe("a Telegram outage", () => {
  const BAD_GATEWAY = apiError(502, "Bad Gateway");
  const REFUSED = new HttpError("Network request for 'sendMessage' failed!", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:443"), { code: "ECONNREFUSED" }));
  const RESET = new HttpError("Network request for 'sendMessage' failed!", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));

  it("holds a send through a 90 s outage, backing off to the cap, and delivers it once when Telegram is back", async () => {
    const h = harness();
    h.telegram.failure = BAD_GATEWAY;
    const send = h.call("final", PRIVATE, PRIORITY.send);
    await h.clock.advance(90_000);
    expect(h.delivered).toEqual([]);
    h.telegram.failure = null;
    await h.clock.advance(30_000);
    expect(await send).toBe("final");
    // 1 s, doubling, capped at 30 s: seven failures in the 90 s, then the call goes through.
    expect(h.times("final")).toEqual([0, 1000, 3000, 7000, 15_000, 31_000, 61_000, 91_000]);
    expect(h.delivered).toEqual(["final"]);
    expect(h.events()).not.toContain("telegram.gave_up");
    // One warning when the lane starts waiting and one line when it recovers; the retries are debug.
    expect(h.lines.filter((l) => (l.level as number) >= 30).map((l) => l.event)).toEqual(["telegram.outage", "telegram.recovered"]);
    expect(h.lines.find((l) => l.event === "telegram.outage")).toMatchObject({ level: 40, chat_id: PRIVATE, method: "final", error: { code: 502 } });
    expect(h.lines.find((l) => l.event === "telegram.recovered")).toMatchObject({ chat_id: PRIVATE, down_ms: 91_000, failed_attempts: 7 });
    expect(h.events().filter((e) => e === "telegram.retry")).toHaveLength(7);
  });

  it("keeps a chat's messages in order through a 15-minute outage, each made once, about one try per 30 s", async () => {
    const h = harness();
    h.telegram.failure = REFUSED;
    // A run was showing progress when Telegram went away; then it ended and another began.
    const progress = ["working 1", "working 2", "working 3"].map((text) => h.call(text, PRIVATE, PRIORITY.edit, { key: "edit:42:1" }));
    const final = h.call("final of run 1", PRIVATE, PRIORITY.send);
    const cleanup = h.call("delete progress of run 1", PRIVATE, PRIORITY.delete, { key: "delete:42:1" });
    const starting = h.call("starting of run 2", PRIVATE, PRIORITY.send);
    const reply = h.call("reply to /new", PRIVATE, PRIORITY.send);
    await h.clock.advance(15 * 60_000);
    expect(h.delivered).toEqual([]);
    const tries = h.executions.length;
    expect(tries).toBeGreaterThan(25);
    expect(tries).toBeLessThan(40);

    h.telegram.failure = null;
    await h.clock.advance(60_000);
    expect(h.delivered).toEqual(["final of run 1", "starting of run 2", "reply to /new", "delete progress of run 1", "working 3"]);
    expect(await Promise.all([final, starting, reply, cleanup])).toEqual(["final of run 1", "starting of run 2", "reply to /new", "delete progress of run 1"]);
    // The progress edits coalesced: only the newest was made, and every caller got it.
    expect(await Promise.all(progress)).toEqual(["working 3", "working 3", "working 3"]);
    expect(h.events()).not.toContain("telegram.gave_up");
    expect(h.events().filter((e) => e === "telegram.outage")).toHaveLength(1);
    expect(h.events().filter((e) => e === "telegram.recovered")).toHaveLength(1);
  });

  it("keeps other chats moving while one chat's calls fail", async () => {
    const h = harness();
    const stuck = h.op("stuck", GROUP, PRIORITY.send, Array.from({ length: 10 }, () => ({ error: BAD_GATEWAY })));
    const others = [1, 2, 3].map((n) => h.call(`private ${n}`, PRIVATE, PRIORITY.send));
    await h.clock.advance(3000);
    expect(await Promise.all(others)).toEqual(["private 1", "private 2", "private 3"]);
    await h.clock.advance(600_000);
    expect(await stuck).toBe("stuck");
  });

  it("still fails a permanent refusal at once, during an outage or after one", async () => {
    const h = harness({ privateIntervalMs: 0 });
    const blocked = h.op("to a user who blocked the bot", OTHER_PRIVATE, PRIORITY.send, [{ error: apiError(403, "Forbidden: bot was blocked by the user") }]);
    const tooLong = h.op("too long", PRIVATE, PRIORITY.send, [
      { error: BAD_GATEWAY },
      { error: BAD_GATEWAY },
      { error: apiError(400, "Bad Request: message is too long") },
    ]);
    const next = h.op("next", PRIVATE, PRIORITY.send);
    await h.clock.advance(60_000);
    expect(await blocked).toBeNull();
    expect(h.times("to a user who blocked the bot")).toEqual([0]);
    expect(await tooLong).toBeNull();
    expect(h.times("too long")).toEqual([0, 1000, 3000]);
    expect(await next).toBe("next");
    expect(h.events().filter((e) => e === "telegram.failed")).toHaveLength(2);
    // The 400 was an answer: Telegram is up again, so the chat's back-off is over.
    expect(h.lines.find((l) => l.event === "telegram.recovered")).toMatchObject({ chat_id: PRIVATE, failed_attempts: 2 });
    expect(h.times("next")).toEqual([3000]);
  });

  it("honours retry_after in the middle of an outage, then backs off afresh", async () => {
    const h = harness({ privateIntervalMs: 0 });
    const send = h.op("send", PRIVATE, PRIORITY.send, [
      { error: BAD_GATEWAY },
      { error: BAD_GATEWAY },
      { error: tooManyRequests(10, "sendMessage") },
      { error: BAD_GATEWAY },
    ]);
    await h.clock.advance(60_000);
    expect(await send).toBe("send");
    expect(h.times("send")).toEqual([0, 1000, 3000, 13_000, 14_000]);
  });

  it("takes up to `jitter` of each pause off at random, never going over the cap", async () => {
    const h = harness({ privateIntervalMs: 0, random: () => 0.5, backoff: { initialMs: 1000, maxMs: 30_000, jitter: 0.25 } });
    const send = h.op("send", PRIVATE, PRIORITY.send, Array.from({ length: 7 }, () => ({ error: BAD_GATEWAY })));
    await h.clock.advance(120_000);
    expect(await send).toBe("send");
    // Each pause is 87.5 % of 1, 2, 4, 8, 16, 30, 30 s.
    expect(h.times("send")).toEqual([0, 875, 2625, 6125, 13_125, 27_125, 53_375, 79_625]);
  });

  it("caps waiting progress edits and deletes per chat and in all, dropping the oldest edits first and never a send", async () => {
    const h = harness({ privateIntervalMs: 0, caps: { perChat: 3, total: 5 } });
    h.telegram.failure = BAD_GATEWAY;
    const head = h.call("final", PRIVATE, PRIORITY.send);
    await h.clock.advance(0);
    // A settled state shown in place is never dropped, even when a later progress edit coalesces into it.
    const kept = h.call("cancelled", PRIVATE, PRIORITY.edit, { key: "edit:42:9", importance: "required" });
    const late = h.call("late progress", PRIVATE, PRIORITY.edit, { key: "edit:42:9" });
    const edits = [1, 2, 3, 4].map((n) => h.call(`edit ${n}`, PRIVATE, PRIORITY.edit, { key: `edit:42:${n}` }));
    const deletes = [1, 2].map((n) => h.call(`delete ${n}`, PRIVATE, PRIORITY.delete, { key: `delete:42:${n}` }));
    // Over 3 in the chat: edits 1, 2 and 3 went, oldest first, before any delete.
    expect(await Promise.all(edits.slice(0, 3))).toEqual([null, null, null]);
    const sends = Array.from({ length: 200 }, (_, i) => h.call(`send ${i}`, PRIVATE, PRIORITY.send));
    // Over 5 in all: the oldest edit anywhere (edit 4, in the first chat) goes.
    const other = [1, 2, 3].map((n) => h.call(`other edit ${n}`, OTHER_PRIVATE, PRIORITY.edit, { key: `edit:43:${n}` }));
    expect(await edits[3]).toBeNull();
    const otherDelete = h.call("other delete", OTHER_PRIVATE, PRIORITY.delete, { key: "delete:43:1" });
    expect(await other[0]).toBeNull();
    expect(h.lines.filter((l) => l.event === "telegram.outbox.dropped").map((l) => [l.method, l.cap])).toEqual([
      ["edit 1", "per_chat"],
      ["edit 2", "per_chat"],
      ["edit 3", "per_chat"],
      ["edit 4", "total"],
      ["other edit 1", "per_chat"],
    ]);

    h.telegram.failure = null;
    await h.clock.advance(60_000);
    expect(await head).toBe("final");
    expect((await Promise.all(sends)).every((result, i) => result === `send ${i}`)).toBe(true);
    expect(await Promise.all([...deletes, kept, late, other[1], other[2], otherDelete])).toEqual([
      "delete 1",
      "delete 2",
      "late progress",
      "late progress",
      "other edit 2",
      "other edit 3",
      "other delete",
    ]);
    expect(new Set(h.delivered).size).toBe(h.delivered.length);
  });

  it("warns once that a send may have landed when the connection broke after it went out, and retries it", async () => {
    const h = harness({ privateIntervalMs: 0 });
    const reset = h.op("reset send", PRIVATE, PRIORITY.send, [{ error: RESET }, { error: RESET }]);
    const refused = h.op("refused send", PRIVATE, PRIORITY.send, [{ error: REFUSED }, { error: REFUSED }]);
    const edit = h.op("reset edit", PRIVATE, PRIORITY.edit, [{ error: RESET }], "edit:42:1");
    await h.clock.advance(60_000);
    expect(await Promise.all([reset, refused, edit])).toEqual(["reset send", "refused send", "reset edit"]);
    // A refused connection sent nothing, and an edit made twice shows the same text: only the reset send is in doubt.
    expect(h.lines.filter((l) => l.event === "telegram.maybe_delivered").map((l) => l.method)).toEqual(["reset send"]);
  });

  it("ends a draining close at its timeout amid an outage, and says what was not delivered", async () => {
    const h = harness();
    h.telegram.failure = BAD_GATEWAY;
    const sends = [h.call("final a", PRIVATE, PRIORITY.send), h.call("final b", PRIVATE, PRIORITY.send)];
    let closed = false;
    const closing = h.outbox.close({ timeoutMs: 20_000 }).then(() => {
      closed = true;
    });
    await h.clock.advance(19_999);
    expect(closed).toBe(false);
    await h.clock.advance(1);
    await closing;
    expect(await Promise.all(sends)).toEqual([null, null]);
    expect(h.lines.find((l) => l.event === "telegram.outbox.closed")).toMatchObject({ level: 40, dropped: 2, required: 2 });
    const tries = h.executions.length;
    await h.clock.advance(600_000);
    expect(h.executions).toHaveLength(tries);
  });
});

describe("close", () => {
  it("drains pending ops at the usual pace, then refuses new ones", async () => {
    const h = harness();
    const sends = [1, 2, 3].map((n) => h.op(`send ${n}`, GROUP, PRIORITY.send));
    let closed = false;
    const closing = h.outbox.close({ drain: true, timeoutMs: 60_000 }).then(() => {
      closed = true;
    });
    await h.clock.advance(5999);
    expect(closed).toBe(false);
    await h.clock.advance(1);
    await closing;
    expect(await Promise.all(sends)).toEqual(["send 1", "send 2", "send 3"]);
    expect(h.times("send 3")).toEqual([6000]);
    expect(await h.op("late", GROUP, PRIORITY.send)).toBeNull();
    expect(h.names()).not.toContain("late");
  });

  it("keeps accepting while draining, so follow-up ops of pending ones still go out", async () => {
    const h = harness({ privateIntervalMs: 0 });
    let followUp: Promise<unknown> = Promise.resolve(undefined);
    void h.outbox.enqueue({
      chatId: PRIVATE,
      priority: PRIORITY.send,
      execute: () => {
        followUp = h.op("delete old", PRIVATE, PRIORITY.delete);
        return Promise.resolve("sent");
      },
    });
    await h.outbox.close();
    expect(await followUp).toBe("delete old");
  });

  it("gives up draining after the timeout and settles what is left with null", async () => {
    const h = harness();
    const stuck = h.op("stuck", GROUP, PRIORITY.send, [{ error: tooManyRequests(600, "sendMessage") }]);
    const behind = h.op("behind", GROUP, PRIORITY.send);
    const closing = h.outbox.close({ timeoutMs: 5000 });
    await h.clock.advance(5000);
    await closing;
    expect(await Promise.all([stuck, behind])).toEqual([null, null]);
    await h.clock.advance(600_000);
    expect(h.names()).toEqual(["stuck"]);
    expect(h.events()).toContain("telegram.outbox.drain_timeout");
  });

  it("without drain settles pending ops with null at once and lets the running one finish", async () => {
    const h = harness();
    const answered = gate();
    const running = h.op("running", PRIVATE, PRIORITY.send, [{ gate: answered.promise, value: "running" }]);
    const pending = h.op("pending", PRIVATE, PRIORITY.send);
    await h.clock.advance(0);
    await h.outbox.close({ drain: false });
    expect(h.outbox.closed).toBe(true);
    expect(await pending).toBeNull();
    answered.open();
    expect(await running).toBe("running");
    expect(h.names()).toEqual(["running"]);
  });

  it("fails every op with null when the outbox itself breaks", async () => {
    const clock = new FakeClock();
    const outbox = new Outbox({
      clock,
      privateIntervalMs: 0,
      classify: () => {
        throw new Error("classifier bug");
      },
    });
    const blocker = gate();
    const failing = outbox.enqueue({
      chatId: PRIVATE,
      priority: PRIORITY.send,
      execute: async () => {
        await blocker.promise;
        throw new Error("boom");
      },
    });
    const waiting = outbox.enqueue({ chatId: PRIVATE, priority: PRIORITY.send, execute: () => Promise.resolve("never") });
    blocker.open();
    expect(await Promise.all([failing, waiting])).toEqual([null, null]);
    expect(outbox.closed).toBe(true);
    expect(await outbox.enqueue({ chatId: PRIVATE, priority: PRIORITY.send, execute: () => Promise.resolve("late") })).toBeNull();
  });
});
