import { describe, expect, it } from "vitest";
import type { IncomingMessage } from "../../../../src/telegram/incoming.js";
import { MediaGroupBuffer } from "../../../../src/telegram/files/media-groups.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { incomingMessage } from "../../../support/incoming.js";

function buffer(clock: FakeClock) {
  const handled: IncomingMessage[][] = [];
  const albums = new MediaGroupBuffer({ debounceMs: () => 1000, handle: (items) => handled.push(items), clock });
  return { albums, handled };
}

const item = (chatId: number, group: string, messageId: number) => incomingMessage({ chatId, messageId, mediaGroupId: group, hasAttachment: true });

describe("MediaGroupBuffer", () => {
  it("hands an album on once, after a quiet period that every item restarts, in message-id order", () => {
    const clock = new FakeClock();
    const { albums, handled } = buffer(clock);
    albums.add(item(1, "g", 12));
    clock.tick(900);
    albums.add(item(1, "g", 11));
    clock.tick(900);
    expect(handled).toEqual([]);
    clock.tick(100);
    expect(handled.map((items) => items.map((message) => message.messageId))).toEqual([[11, 12]]);
    clock.tick(5000);
    expect(handled).toHaveLength(1);
  });

  it("keeps albums of different chats and groups apart, and takes a redelivered item once", () => {
    const clock = new FakeClock();
    const { albums, handled } = buffer(clock);
    albums.add(item(1, "g", 1));
    albums.add(item(2, "g", 1));
    albums.add(item(1, "h", 2));
    albums.add(item(1, "g", 1));
    clock.tick(1000);
    // The redelivery restarted the first album's wait, so it comes last.
    expect(handled.map((items) => items.map((message) => `${message.chatId}:${message.mediaGroupId}:${message.messageId}`))).toEqual([["2:g:1"], ["1:h:2"], ["1:g:1"]]);
  });

  it("hands on every waiting album at once when flushed (shutdown), and nothing twice", () => {
    const clock = new FakeClock();
    const { albums, handled } = buffer(clock);
    albums.add(item(1, "g", 1));
    albums.add(item(1, "h", 2));
    albums.flushAll();
    expect(handled).toHaveLength(2);
    expect(albums.pending).toBe(0);
    clock.tick(1000);
    expect(handled).toHaveLength(2);
  });
});
