import { describe, expect, it } from "vitest";
import { EventFactory, type TakopiEvent } from "../../../src/core/events.js";
import { KEPT_ACTIONS, MAX_OPEN_ACTIONS, ProgressTracker } from "../../../src/core/progress.js";
import {
  actionCompleted,
  actionStarted,
  actionUpdated,
  formatResume,
  SAMPLE_EVENTS,
  SESSION_ID,
  sessionStarted,
} from "../render/events.js";

function track(events: TakopiEvent[]): ProgressTracker {
  const tracker = new ProgressTracker("codex");
  for (const event of events) tracker.noteEvent(event);
  return tracker;
}

describe("ProgressTracker", () => {
  it("remembers the session and counts distinct actions", () => {
    const snapshot = track(SAMPLE_EVENTS).snapshot();
    expect(snapshot.engine).toBe("codex");
    expect(snapshot.resume).toEqual({ engine: "codex", value: SESSION_ID });
    expect(snapshot.actionCount).toBe(2);
    expect(snapshot.actions.map((state) => [state.action.id, state.displayPhase, state.ok])).toEqual([
      ["a-1", "completed", true],
      ["a-2", "completed", true],
    ]);
  });

  it("builds the resume line with the given formatter and carries the context line", () => {
    const snapshot = track(SAMPLE_EVENTS).snapshot({ formatResume, contextLine: "`ctx: z80 @feat/name`" });
    expect(snapshot.resumeLine).toBe(`\`codex resume ${SESSION_ID}\``);
    expect(snapshot.contextLine).toBe("`ctx: z80 @feat/name`");
  });

  it("has no resume line without a formatter or before the session is known", () => {
    expect(track(SAMPLE_EVENTS).snapshot().resumeLine).toBeNull();
    const fresh = new ProgressTracker("codex").snapshot({ formatResume });
    expect(fresh.resumeLine).toBeNull();
    expect(fresh.contextLine).toBeNull();
  });

  it("collapses updates of one action into one line (test_progress_renderer_collapses_action_updates)", () => {
    const tracker = new ProgressTracker("codex");
    const events = [
      actionStarted("a-1", "command", "echo one"),
      actionStarted("a-1", "command", "echo two"),
      actionCompleted("a-1", "command", "echo two", { ok: true, detail: { exit_code: 0 } }),
    ];
    const changed = events.map((event) => tracker.noteEvent(event));
    expect(changed).toEqual([true, true, true]);
    const snapshot = tracker.snapshot();
    expect(snapshot.actionCount).toBe(1);
    expect(snapshot.actions).toHaveLength(1);
    expect(snapshot.actions[0]?.action.title).toBe("echo two");
    expect(snapshot.actions[0]?.displayPhase).toBe("completed");
  });

  it("shows a re-started action as updated until it completes", () => {
    const tracker = track([actionStarted("a", "command", "one"), actionStarted("a", "command", "two")]);
    expect(tracker.snapshot().actions[0]?.displayPhase).toBe("updated");
    tracker.noteEvent(actionUpdated("b", "tool", "t"));
    expect(tracker.snapshot().actions[1]?.displayPhase).toBe("updated");
  });

  it("starts a completed id afresh in its old place (test_progress_renderer_handles_duplicate_action_ids)", () => {
    const tracker = track([
      actionStarted("dup", "command", "echo first"),
      actionCompleted("dup", "command", "echo first", { ok: true }),
      actionStarted("other", "command", "ls"),
      actionStarted("dup", "command", "echo second"),
    ]);
    const snapshot = tracker.snapshot();
    expect(snapshot.actionCount).toBe(2);
    expect(snapshot.actions.map((state) => [state.action.title, state.displayPhase])).toEqual([
      ["echo second", "started"],
      ["ls", "started"],
    ]);
  });

  it("ignores turn actions, actions without an id and completed events", () => {
    const tracker = new ProgressTracker("codex");
    expect(tracker.noteEvent(sessionStarted("codex", "abc", "Session"))).toBe(true);
    expect(tracker.noteEvent(actionStarted("", "command", "echo"))).toBe(false);
    expect(tracker.noteEvent(actionStarted("turn-1", "turn", "turn"))).toBe(false);
    expect(tracker.noteEvent({ type: "completed", engine: "codex", ok: true, answer: "done" })).toBe(false);
    expect(tracker.snapshot().actionCount).toBe(0);
  });

  it("shows warnings about the stream but does not count them as steps (a garbage line is not work)", () => {
    const events = new EventFactory("codex");
    const tracker = track([sessionStarted("codex", SESSION_ID), actionStarted("a-1", "command", "npm test"), events.note("invalid JSON from codex; ignoring line"), events.note("invalid JSON from codex; ignoring line")]);
    const snapshot = tracker.snapshot();
    expect(snapshot.actionCount).toBe(1);
    expect(snapshot.actions.map((state) => state.action.kind)).toEqual(["command", "warning", "warning"]);
  });

  it("keeps only the newest actions, however many there were, and counts them all", () => {
    const tracker = new ProgressTracker("codex");
    for (let i = 0; i < 10_000; i++) {
      tracker.noteEvent(actionStarted(`c-${i}`, "command", `step ${i}`));
      tracker.noteEvent(actionCompleted(`c-${i}`, "command", `step ${i}`));
    }
    const snapshot = tracker.snapshot();
    expect(snapshot.actionCount).toBe(10_000);
    expect(tracker.actionCount).toBe(10_000);
    expect(snapshot.actions).toHaveLength(KEPT_ACTIONS);
    expect(snapshot.actions.at(0)?.action.id).toBe(`c-${10_000 - KEPT_ACTIONS}`);
    expect(snapshot.actions.at(-1)).toMatchObject({ action: { id: "c-9999" }, displayPhase: "completed" });
  });

  it("remembers an action still running after it scrolled off, so its end is no new step", () => {
    const tracker = new ProgressTracker("codex");
    tracker.noteEvent(actionStarted("long", "command", "npm test"));
    for (let i = 0; i < KEPT_ACTIONS + 5; i++) tracker.noteEvent(actionCompleted(`f-${i}`, "file_change", `f${i}.ts`));
    expect(tracker.noteEvent(actionCompleted("long", "command", "npm test"))).toBe(false);
    const snapshot = tracker.snapshot();
    expect(snapshot.actionCount).toBe(KEPT_ACTIONS + 6);
    expect(snapshot.actions.some((state) => state.action.id === "long")).toBe(false);
  });

  it("forgets the oldest running actions past its limit: only those count again if they ever end", () => {
    const tracker = new ProgressTracker("codex");
    for (let i = 0; i <= MAX_OPEN_ACTIONS + KEPT_ACTIONS; i++) tracker.noteEvent(actionStarted(`o-${i}`, "tool", `t${i}`));
    const started = tracker.actionCount;
    tracker.noteEvent(actionCompleted("o-0", "tool", "t0"));
    tracker.noteEvent(actionCompleted(`o-${KEPT_ACTIONS + 5}`, "tool", "still remembered"));
    expect(tracker.actionCount).toBe(started + 1);
  });
});
