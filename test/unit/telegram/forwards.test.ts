// Forward coalescing on a fake clock: a prompt no forward follows runs inside
// prompt() with no timer; a prompt followed by forwards (same batch, or
// forwards already held) runs once, after the quiet window, with them in
// message-id order; forwards that miss their prompt come back as late
// forwards; a forward alone never runs; keys keep senders, chats and topics
// apart; /new and shutdown drop what is held. Times are the fake clock's.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  ForwardCoalescer,
  formatForwardedPrompt,
  isForwardCandidate,
  markForwardFollowers,
  type CoalescedPrompt,
  type LateForwards,
} from "../../../src/telegram/forwards.js";
import type { IncomingCallback, IncomingMessage } from "../../../src/telegram/incoming.js";
import { FakeClock } from "../../support/fake-clock.js";
import { incomingMessage } from "../../support/incoming.js";

const CHAT = -100;
const ADA = 11;
const BOB = 12;
const WINDOW = 1000;

let nextId = 100;

function msg(text: string, overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  const id = nextId++;
  return incomingMessage({ updateId: id, messageId: id, chatId: CHAT, chatType: "supergroup", isPrivate: false, senderId: ADA, text, ...overrides });
}

function fwd(text: string, overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  return msg(text, { isForward: true, ...overrides });
}

interface Harness {
  clock: FakeClock;
  coalescer: ForwardCoalescer<string>;
  dispatched: { at: number; prompt: string; forwards: string[] }[];
  late: { at: number; prompt: string; forwards: string[] }[];
  logs: () => Record<string, unknown>[];
}

function harness(options: { windowMs?: number | (() => number); dispatch?: (ready: CoalescedPrompt<string>) => void } = {}): Harness {
  const clock = new FakeClock();
  const dispatched: Harness["dispatched"] = [];
  const late: Harness["late"] = [];
  const lines: string[] = [];
  const log = pino({ level: "trace", base: null }, { write: (line: string) => lines.push(line) });
  const coalescer = new ForwardCoalescer<string>({
    windowMs: options.windowMs ?? WINDOW,
    clock,
    log,
    dispatch:
      options.dispatch ??
      ((ready) => {
        dispatched.push({ at: clock.now(), prompt: ready.prompt, forwards: ready.forwards.map((f) => f.text) });
      }),
    lateForwards: (l: LateForwards<string>) => {
      late.push({ at: clock.now(), prompt: l.prompt, forwards: l.forwards.map((f) => f.text) });
    },
  });
  return { clock, coalescer, dispatched, late, logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("a prompt no forward follows", () => {
  it("is dispatched inside prompt(), before any time passes", () => {
    const h = harness();
    const m = msg("fix the bug");
    h.coalescer.prompt(m, "fix the bug");
    expect(h.dispatched).toEqual([{ at: 0, prompt: "fix the bug", forwards: [] }]);
  });

  it("runs each of several quick prompts at once, none replacing another", () => {
    const h = harness();
    h.coalescer.prompt(msg("one"), "one");
    h.clock.tick(10);
    h.coalescer.prompt(msg("two"), "two");
    expect(h.dispatched.map((d) => [d.at, d.prompt])).toEqual([
      [0, "one"],
      [10, "two"],
    ]);
  });

  it("is dispatched at once without a sender or with the window at 0", () => {
    const h = harness();
    h.coalescer.prompt(msg("anon", { senderId: null, forwardFollows: true }), "anon");
    expect(h.dispatched).toHaveLength(1);
    const off = harness({ windowMs: 0 });
    off.coalescer.prompt(msg("p", { forwardFollows: true }), "p");
    expect(off.dispatched).toHaveLength(1);
    expect(off.coalescer.forward(fwd("f"))).toBe(false);
    off.clock.tick(10 * WINDOW);
    expect(off.late).toEqual([]);
  });
});

describe("a prompt followed by forwards in its batch", () => {
  it("runs once, after the window of quiet, with the forwards in message-id order", () => {
    const h = harness();
    const prompt = msg("summarize these", { forwardFollows: true });
    const first = fwd("first");
    const second = fwd("second");
    h.coalescer.prompt(prompt, "summarize these");
    // Delivered out of order; the run sees them in message-id order.
    h.coalescer.forward(second);
    h.coalescer.forward(first);
    expect(h.dispatched).toEqual([]);
    h.clock.tick(WINDOW - 1);
    expect(h.dispatched).toEqual([]);
    h.clock.tick(1);
    expect(h.dispatched).toEqual([{ at: WINDOW, prompt: "summarize these", forwards: ["first", "second"] }]);
  });

  it("restarts the window with each forward", () => {
    const h = harness();
    h.coalescer.prompt(msg("p", { forwardFollows: true }), "p");
    h.coalescer.forward(fwd("a"));
    h.clock.tick(900);
    h.coalescer.forward(fwd("b"));
    h.clock.tick(900);
    expect(h.dispatched).toEqual([]);
    h.clock.tick(100);
    expect(h.dispatched).toEqual([{ at: 1900, prompt: "p", forwards: ["a", "b"] }]);
  });

  it("runs a held prompt first when the same sender sends another prompt", () => {
    const h = harness();
    h.coalescer.prompt(msg("first", { forwardFollows: true }), "first");
    h.coalescer.forward(fwd("a"));
    h.clock.tick(100);
    h.coalescer.prompt(msg("second"), "second");
    expect(h.dispatched).toEqual([
      { at: 100, prompt: "first", forwards: ["a"] },
      { at: 100, prompt: "second", forwards: [] },
    ]);
    h.clock.tick(10 * WINDOW);
    expect(h.dispatched).toHaveLength(2);
  });

  it("runs after the window even if the expected forward never comes", () => {
    const h = harness();
    h.coalescer.prompt(msg("p", { forwardFollows: true }), "p");
    h.clock.tick(WINDOW);
    expect(h.dispatched).toEqual([{ at: WINDOW, prompt: "p", forwards: [] }]);
  });
});

describe("forwards already pending", () => {
  it("are taken by a prompt that arrives within the window", () => {
    const h = harness();
    h.coalescer.forward(fwd("context"));
    h.clock.tick(300);
    h.coalescer.prompt(msg("what is this?"), "what is this?");
    expect(h.dispatched).toEqual([]);
    h.clock.tick(WINDOW);
    expect(h.dispatched).toEqual([{ at: 1300, prompt: "what is this?", forwards: ["context"] }]);
  });

  it("never start a run on their own", () => {
    const h = harness();
    expect(h.coalescer.forward(fwd("lonely"))).toBe(true);
    h.clock.tick(100 * WINDOW);
    expect(h.dispatched).toEqual([]);
    expect(h.late).toEqual([]);
    expect(h.coalescer.size).toBe(0);
    // Once dropped, a later prompt runs at once and alone.
    h.coalescer.prompt(msg("later"), "later");
    expect(h.dispatched).toEqual([{ at: 100 * WINDOW, prompt: "later", forwards: [] }]);
  });
});

describe("forwards that miss their prompt (next batch)", () => {
  it("come back as late forwards of the prompt already dispatched, collected over the window", () => {
    const h = harness();
    h.coalescer.prompt(msg("look at this"), "look at this");
    expect(h.dispatched).toHaveLength(1);
    h.clock.tick(50);
    h.coalescer.forward(fwd("one"));
    h.coalescer.forward(fwd("two"));
    expect(h.late).toEqual([]);
    h.clock.tick(WINDOW);
    expect(h.late).toEqual([{ at: 1050, prompt: "look at this", forwards: ["one", "two"] }]);
    expect(h.dispatched).toHaveLength(1);
  });

  it("after the window they belong to nothing and are ignored", () => {
    const h = harness();
    h.coalescer.prompt(msg("p"), "p");
    h.clock.tick(WINDOW);
    h.coalescer.forward(fwd("too late"));
    h.clock.tick(10 * WINDOW);
    expect(h.late).toEqual([]);
    expect(h.dispatched).toHaveLength(1);
  });

  it("following a coalesced group still join its prompt, as late forwards", () => {
    const h = harness();
    h.coalescer.prompt(msg("p", { forwardFollows: true }), "p");
    h.coalescer.forward(fwd("a"));
    h.clock.tick(WINDOW);
    h.coalescer.forward(fwd("b"));
    h.clock.tick(WINDOW);
    expect(h.dispatched).toEqual([{ at: WINDOW, prompt: "p", forwards: ["a"] }]);
    expect(h.late).toEqual([{ at: 2 * WINDOW, prompt: "p", forwards: ["b"] }]);
  });

  it("are handed on before a new prompt of the same sender runs", () => {
    const h = harness();
    h.coalescer.prompt(msg("p1"), "p1");
    h.coalescer.forward(fwd("late one"));
    h.coalescer.prompt(msg("p2"), "p2");
    expect(h.late).toEqual([{ at: 0, prompt: "p1", forwards: ["late one"] }]);
    expect(h.dispatched.map((d) => d.prompt)).toEqual(["p1", "p2"]);
  });
});

describe("keys", () => {
  it("keeps senders, chats and topics apart", () => {
    const h = harness();
    h.coalescer.prompt(msg("ada", { forwardFollows: true }), "ada");
    h.coalescer.forward(fwd("from bob", { senderId: BOB }));
    h.coalescer.forward(fwd("other chat", { chatId: CHAT - 1 }));
    h.coalescer.forward(fwd("other topic", { threadId: 7 }));
    h.coalescer.forward(fwd("mine"));
    h.clock.tick(WINDOW);
    expect(h.dispatched).toEqual([{ at: WINDOW, prompt: "ada", forwards: ["mine"] }]);
  });
});

describe("what is not a forward candidate", () => {
  it("refuses forwarded files, voice, album items and empty text", () => {
    const h = harness();
    h.coalescer.prompt(msg("p", { forwardFollows: true }), "p");
    expect(h.coalescer.forward(fwd("doc caption", { hasAttachment: true }))).toBe(false);
    expect(h.coalescer.forward(fwd("album", { mediaGroupId: "g" }))).toBe(false);
    expect(h.coalescer.forward(fwd("  "))).toBe(false);
    expect(h.coalescer.forward(msg("not forwarded"))).toBe(false);
    expect(h.coalescer.forward(fwd("anon", { senderId: null }))).toBe(false);
    h.clock.tick(WINDOW);
    expect(h.dispatched).toEqual([{ at: WINDOW, prompt: "p", forwards: [] }]);
  });
});

describe("flush, cancel and close", () => {
  it("flush runs a held prompt now (a command from the same sender must not overtake it)", () => {
    const h = harness();
    const prompt = msg("p", { forwardFollows: true });
    h.coalescer.prompt(prompt, "p");
    h.coalescer.forward(fwd("a"));
    expect(h.coalescer.flush(prompt)).toBe(true);
    expect(h.dispatched).toEqual([{ at: 0, prompt: "p", forwards: ["a"] }]);
    expect(h.coalescer.flush(prompt)).toBe(false);
  });

  it("cancel drops a held prompt and its forwards without running them (/new)", () => {
    const h = harness();
    const prompt = msg("p", { forwardFollows: true });
    h.coalescer.prompt(prompt, "p");
    h.coalescer.forward(fwd("a"));
    expect(h.coalescer.cancel(prompt)).toBe(2);
    h.clock.tick(10 * WINDOW);
    expect(h.dispatched).toEqual([]);
    expect(h.clock.pending).toBe(0);
  });

  it("close stops every timer; nothing runs afterwards", () => {
    const h = harness();
    h.coalescer.prompt(msg("p", { forwardFollows: true }), "p");
    h.coalescer.forward(fwd("orphan", { senderId: BOB }));
    h.coalescer.close();
    expect(h.clock.pending).toBe(0);
    h.clock.tick(10 * WINDOW);
    h.coalescer.prompt(msg("after close"), "after close");
    expect(h.dispatched).toEqual([]);
  });

  it("survives a dispatch that throws, logging it", () => {
    let calls = 0;
    const h = harness({
      dispatch: () => {
        calls += 1;
        throw new Error("boom");
      },
    });
    h.coalescer.prompt(msg("a"), "a");
    h.coalescer.prompt(msg("b", { senderId: BOB }), "b");
    expect(calls).toBe(2);
    expect(h.logs().filter((l) => l.event === "telegram.dispatch_failed")).toHaveLength(2);
  });

  it("reads the window on every message, so a reload applies at once", () => {
    let window = WINDOW;
    const h = harness({ windowMs: () => window });
    window = 0;
    h.coalescer.prompt(msg("p", { forwardFollows: true }), "p");
    expect(h.dispatched).toHaveLength(1);
  });
});

describe("markForwardFollowers", () => {
  it("marks a message whose next message from the same sender, chat and topic is a forward", () => {
    const prompt = msg("look");
    const other = msg("bob", { senderId: BOB });
    const forward = fwd("content");
    const press: IncomingCallback = {
      kind: "callback",
      updateId: 1,
      id: "c",
      chatId: CHAT,
      chatType: "supergroup",
      isPrivate: false,
      messageId: 1,
      threadId: null,
      senderId: ADA,
      senderUsername: null,
      data: null,
      repliedTo: null,
    };
    const marked = markForwardFollowers([prompt, other, press, forward]);
    expect(marked.map((u) => (u.kind === "message" ? u.forwardFollows : null))).toEqual([true, false, null, false]);
    // The input is left alone.
    expect(prompt.forwardFollows).toBe(false);
  });

  it("does not mark a prompt when another prompt of the sender comes between it and the forward", () => {
    const marked = markForwardFollowers([msg("one"), msg("two"), fwd("f")]);
    expect(marked.map((u) => u.forwardFollows)).toEqual([false, true, false]);
  });

  it("ignores forwards that cannot join a prompt, and other topics", () => {
    const marked = markForwardFollowers([msg("p"), fwd("file", { hasAttachment: true }), msg("q"), fwd("t", { threadId: 3 })]);
    expect(marked.map((u) => u.forwardFollows)).toEqual([false, false, false, false]);
  });
});

describe("helpers", () => {
  it("formats the prompt with the forwards after blank lines", () => {
    expect(formatForwardedPrompt("p", [])).toBe("p");
    expect(
      formatForwardedPrompt("p", [
        { messageId: 1, text: "a" },
        { messageId: 2, text: "b" },
      ]),
    ).toBe("p\n\na\n\nb");
    expect(formatForwardedPrompt("  ", [{ messageId: 1, text: "a" }])).toBe("a");
  });

  it("isForwardCandidate wants forwarded text without files", () => {
    expect(isForwardCandidate(fwd("x"))).toBe(true);
    expect(isForwardCandidate(fwd("x", { voice: { fileId: "v", fileUniqueId: null, mimeType: null, fileSize: null, duration: 1 }, hasAttachment: true }))).toBe(false);
  });
});
