import { describe, expect, it } from "vitest";
import { SessionLocks } from "../../../src/engines/session-locks.js";

describe("SessionLocks", () => {
  it("serializes holders of one key and frees the key afterwards", async () => {
    const locks = new SessionLocks();
    const order: string[] = [];
    const releaseA = await locks.acquire("k");
    const b = locks.acquire("k").then((release) => {
      order.push("B");
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([]);
    order.push("A done");
    releaseA();
    (await b)();
    expect(order).toEqual(["A done", "B"]);
    expect(locks.isBusy("k")).toBe(false);
  });

  it("a waiter that is cancelled leaves at once and does not block those behind it", async () => {
    const locks = new SessionLocks();
    const releaseA = await locks.acquire("k");
    const controller = new AbortController();
    const b = locks.acquire("k", controller.signal);
    let cGot = false;
    const c = locks.acquire("k").then((release) => {
      cGot = true;
      return release;
    });
    controller.abort(new Error("cancelled"));
    await expect(b).rejects.toThrow("cancelled");
    expect(cGot).toBe(false); // A still holds it
    releaseA();
    (await c)();
    expect(cGot).toBe(true);
    expect(locks.isBusy("k")).toBe(false);
  });
});
