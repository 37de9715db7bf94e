import { describe, expect, it } from "vitest";
import { codexBackend } from "../../../src/engines/codex/index.js";
import { replayText } from "../../../src/engines/replay.js";
import { actionsOf, completedOf, eventLines, jsonl, readRecording } from "../../support/recordings.js";

const THREAD = "thread-1";
const TURN = "turn-1";
const started = { method: "thread/started", params: { thread: { id: THREAD } } };
const turnStarted = { method: "turn/started", params: { threadId: THREAD, turn: { id: TURN, status: "inProgress" } } };

function item(phase: "started" | "completed", value: Record<string, unknown>): unknown {
  return { method: `item/${phase}`, params: { threadId: THREAD, turnId: TURN, item: value } };
}
function turnCompleted(status: string, error: unknown = null): unknown {
  return { method: "turn/completed", params: { threadId: THREAD, turn: { id: TURN, status, error } } };
}
function usage(last: Record<string, number>): unknown {
  return { method: "thread/tokenUsage/updated", params: { threadId: THREAD, turnId: TURN, tokenUsage: { total: { inputTokens: 999 }, last } } };
}
const answer = (text: string, id = "msg_1"): unknown => item("completed", { type: "agentMessage", id, text, phase: null });

describe("codex app-server recordings (codex-cli 0.169.0, scripts/capture-codex-appserver.ts)", () => {
  it("text: the same events as an exec run, and the turn's usage", async () => {
    const events = await replayText(codexBackend, readRecording("codex_appserver_text.jsonl"));
    const lines = eventLines(events);
    expect(lines[0]).toMatch(/^started \S+ codex$/);
    expect(lines.slice(1)).toEqual(["started turn turn_0: turn started", "completed ok=true"]);
    const completed = completedOf(events);
    expect(completed).toMatchObject({ ok: true, answer: "hello from fake" });
    expect(typeof completed.usage?.input_tokens).toBe("number");
    expect(typeof completed.usage?.output_tokens).toBe("number");
  });

  it("tool: the command as exec shows it, with exit code, and usage summed over the turn's requests", async () => {
    const events = await replayText(codexBackend, readRecording("codex_appserver_tool.jsonl"), { cwd: "$REPO" });
    const done = actionsOf(events).find((event) => event.action.kind === "command" && event.phase === "completed");
    expect(done).toMatchObject({ ok: true, action: { title: "echo hi", detail: { exit_code: 0, status: "completed" } } });
    // Two requests of 42 input tokens each, as `codex exec` reports the same turn (codex_tool.jsonl).
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "the command printed hi", usage: { input_tokens: 84, output_tokens: 14 } });
  });

  it("edit: the file change names the file", async () => {
    const events = await replayText(codexBackend, readRecording("codex_appserver_edit.jsonl"), { cwd: "$REPO" });
    const change = actionsOf(events).find((event) => event.action.kind === "file_change" && event.phase === "completed");
    expect(change?.action.title).toMatch(/hello\.txt/);
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "file written" });
  });

  it("reason: the reasoning summary is a note", async () => {
    const events = await replayText(codexBackend, readRecording("codex_appserver_reason.jsonl"));
    expect(actionsOf(events).some((event) => event.action.kind === "note" && event.action.title.includes("Planning"))).toBe(true);
  });

  it("error401: a failed run whose error is codex's message", async () => {
    const events = await replayText(codexBackend, readRecording("codex_appserver_error401.jsonl"));
    expect(completedOf(events).ok).toBe(false);
    expect(completedOf(events).error).toMatch(/401/);
  });

  it("cancel: a stream cut before turn/completed ends failed, saying so", async () => {
    const events = await replayText(codexBackend, readRecording("codex_appserver_cancel.jsonl"));
    expect(completedOf(events)).toMatchObject({ ok: false, error: "codex app-server ended without finishing its turn" });
  });
});

describe("codex app-server translation", () => {
  it("drops a partial answer that never completed (a steered or interrupted message)", async () => {
    const partial = [
      item("started", { type: "agentMessage", id: "msg_1", text: "" }),
      { method: "item/agentMessage/delta", params: { threadId: THREAD, turnId: TURN, itemId: "msg_1", delta: "half an ans" } },
    ];
    const events = await replayText(codexBackend, jsonl(started, turnStarted, ...partial, answer("the whole answer", "msg_2"), turnCompleted("completed")));
    expect(completedOf(events).answer).toBe("the whole answer");
  });

  it("announces the thread once, though codex may send thread/started again", async () => {
    const events = await replayText(codexBackend, jsonl(started, started, turnStarted, answer("hi"), turnCompleted("completed")));
    expect(events.filter((event) => event.type === "started")).toHaveLength(1);
  });

  it("a failed turn carries turn.error; an interrupted one says it was interrupted", async () => {
    const failed = await replayText(codexBackend, jsonl(started, turnStarted, turnCompleted("failed", { message: "quota exceeded" })));
    expect(completedOf(failed)).toMatchObject({ ok: false, error: "quota exceeded", resume: { engine: "codex", value: THREAD } });
    const interrupted = await replayText(codexBackend, jsonl(started, turnStarted, turnCompleted("interrupted")));
    expect(completedOf(interrupted)).toMatchObject({ ok: false, error: "codex turn was interrupted" });
  });

  it("an error notification is a warning, and a failed command keeps its exit code", async () => {
    const command = { type: "commandExecution", id: "call_1", command: "/bin/bash -lc false", status: "failed", exitCode: 1 };
    const error = { method: "error", params: { threadId: THREAD, turnId: TURN, error: { message: "stream disconnected" }, willRetry: true } };
    const events = await replayText(codexBackend, jsonl(started, turnStarted, error, item("completed", command), answer("done"), turnCompleted("completed")));
    const actions = actionsOf(events);
    expect(actions.find((event) => event.action.kind === "warning")?.action.title).toBe("stream disconnected");
    expect(actions.find((event) => event.action.kind === "command")).toMatchObject({ ok: false, action: { detail: { exit_code: 1, status: "failed" } } });
  });

  it("usage is the sum of the turn's requests, counted from turn/started", async () => {
    const events = await replayText(
      codexBackend,
      jsonl(started, usage({ inputTokens: 5, outputTokens: 5 }), turnStarted, usage({ inputTokens: 10, outputTokens: 1, totalTokens: 11 }), usage({ inputTokens: 20, outputTokens: 2, totalTokens: 22 }), answer("hi"), turnCompleted("completed")),
    );
    expect(completedOf(events).usage).toEqual({ input_tokens: 30, output_tokens: 3 });
  });

  it("file changes read the kind from `{type}`", async () => {
    const change = { type: "fileChange", id: "call_2", status: "completed", changes: [{ path: "/repo/a.txt", kind: { type: "add" }, diff: "+hi" }] };
    const events = await replayText(codexBackend, jsonl(started, turnStarted, item("completed", change), answer("ok"), turnCompleted("completed")), { cwd: "/repo" });
    const action = actionsOf(events).find((event) => event.action.kind === "file_change");
    expect(action?.action.title).toMatch(/a\.txt/);
    expect(JSON.stringify(action?.action.detail)).toMatch(/add/);
  });
});
