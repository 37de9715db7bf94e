import { describe, expect, it } from "vitest";
import type { ChatMessage, ChatSurface, MessageRef } from "../../../src/core/chat.js";
import { LiveProgress } from "../../../src/core/live-progress.js";

const REF: MessageRef = { chatId: 5, messageId: 50, threadId: null };

/** A chat whose live edits wait until the test lets them go out, like a paced outbox. */
class PacedSurface implements ChatSurface {
  readonly waiting: { produce: () => ChatMessage | null; done: (ref: MessageRef | null) => void }[] = [];
  readonly shown: string[] = [];
  send(): Promise<MessageRef | null> {
    return Promise.resolve(REF);
  }
  edit(_ref: MessageRef, message: ChatMessage): Promise<MessageRef | null> {
    this.shown.push(message.parts.header);
    return Promise.resolve(REF);
  }
  editLive(_ref: MessageRef, produce: () => ChatMessage | null): Promise<MessageRef | null> {
    return new Promise((done) => this.waiting.push({ produce, done }));
  }
  delete(): Promise<boolean> {
    return Promise.resolve(true);
  }
  /** The next waiting edit goes out now. */
  async release(): Promise<void> {
    const edit = this.waiting.shift();
    if (edit === undefined) throw new Error("no live edit is waiting");
    const message = edit.produce();
    if (message !== null) this.shown.push(message.parts.header);
    edit.done(REF);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function message(header: string): ChatMessage {
  return { parts: { header }, markup: "cancel" };
}

async function opened(surface: PacedSurface, render: () => ChatMessage): Promise<LiveProgress> {
  const progress = new LiveProgress(surface, { chatId: REF.chatId, reply: {}, render, onMessage: () => undefined });
  progress.open(message("starting"), null);
  await new Promise((resolve) => setImmediate(resolve));
  return progress;
}

describe("LiveProgress", () => {
  it("renders once per edit that goes out, from the newest state, however many changes came meanwhile", async () => {
    const surface = new PacedSurface();
    let state = 0;
    let renders = 0;
    const progress = await opened(surface, () => {
      renders += 1;
      return message(`step ${state}`);
    });

    for (state = 1; state <= 10_000; state++) progress.update();
    state = 10_000;
    expect(surface.waiting).toHaveLength(1);
    expect(renders).toBe(0);

    await surface.release();
    expect(renders).toBe(1);
    expect(surface.shown.at(-1)).toBe("step 10000");

    // A change after the edit went out needs an edit of its own.
    state = 10_001;
    progress.update();
    expect(surface.waiting).toHaveLength(1);
    await surface.release();
    expect(surface.shown.at(-1)).toBe("step 10001");
    expect(renders).toBe(2);
  });

  it("makes no call when the state looks the same as what is shown", async () => {
    const surface = new PacedSurface();
    const progress = await opened(surface, () => message("step 1"));
    progress.update();
    await surface.release();
    progress.update();
    await surface.release();
    expect(surface.shown).toEqual(["step 1"]);
  });

  it("stops live edits once settled: a waiting one shows nothing, the outcome goes out", async () => {
    const surface = new PacedSurface();
    let renders = 0;
    const progress = await opened(surface, () => {
      renders += 1;
      return message("working");
    });
    progress.update();
    const shown = await progress.settle(message("done"), "edit");
    await surface.release();
    expect(shown).toEqual(REF);
    expect(renders).toBe(0);
    expect(surface.shown).toEqual(["done"]);
  });

  it("makes the edit again when the chat service retries it, though nothing changed since", async () => {
    const surface = new PacedSurface();
    const progress = await opened(surface, () => message("step 1"));
    progress.update();
    const edit = surface.waiting[0];
    if (edit === undefined) throw new Error("no live edit is waiting");
    // The first attempt failed (Telegram down); the outbox calls produce again for its retry.
    expect(edit.produce()?.parts.header).toBe("step 1");
    expect(edit.produce()?.parts.header).toBe("step 1");
  });
});
