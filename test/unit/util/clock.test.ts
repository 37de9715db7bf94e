// The real clock's waits: a sleep ends early (and never rejects) when its
// signal aborts, and a cancelled schedule never fires.
import { describe, expect, it } from "vitest";
import { systemClock } from "../../../src/util/clock.js";

describe("systemClock", () => {
  it("ends a sleep at once when its signal aborts, before or during the wait", async () => {
    const start = performance.now();
    await systemClock.sleep(60_000, AbortSignal.abort());
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort();
    await sleeping;
    expect(performance.now() - start).toBeLessThan(5_000);
  });

  it("sleeps at least the time asked", async () => {
    const start = systemClock.monotonic();
    await systemClock.sleep(20);
    expect(systemClock.monotonic() - start).toBeGreaterThanOrEqual(19);
  });

  it("fires a schedule unless it was cancelled", async () => {
    const fired: string[] = [];
    systemClock.schedule(0, () => fired.push("kept"));
    const cancel = systemClock.schedule(0, () => fired.push("cancelled"));
    cancel();
    await systemClock.sleep(20);
    expect(fired).toEqual(["kept"]);
  });

  it("tells wall-clock time as Unix milliseconds", () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(1_000);
  });
});
