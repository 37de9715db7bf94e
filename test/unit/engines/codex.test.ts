import { describe, expect, it } from "vitest";
import { EventFactory } from "../../../src/core/events.js";
import type { RunRequest } from "../../../src/engines/backend.js";
import { codexBackend, displayCommand, findExecOnlyFlag } from "../../../src/engines/codex/index.js";
import { JsonlStream } from "../../../src/engines/jsonl-stream.js";
import { EngineRunner } from "../../../src/engines/runner.js";
import { createLogger } from "../../../src/util/log.js";
import { replayText } from "../../../src/engines/replay.js";
import { cleanStderr } from "../../../src/engines/stderr.js";
import { actionsOf, completedOf, eventLines, jsonl, readRecording, recordingExit, recordingNames, replaySharedRecording, sharedExitCode, sharedFixture, startedTokens } from "../../support/recordings.js";

const THREAD = { type: "thread.started", thread_id: "thread-1" };
const TURN = { type: "turn.started" };
const TURN_DONE = { type: "turn.completed", usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 2 } };

function message(id: string, text: string, phase?: string): unknown {
  return { type: "item.completed", item: { id, type: "agent_message", text, ...(phase === undefined ? {} : { phase }) } };
}

describe("codex fixtures (codex-cli 0.169.0)", () => {
  it("codex_text: started with the thread id, then the answer and usage", async () => {
    const events = await replaySharedRecording(codexBackend, "codex_text");
    expect(eventLines(events)).toEqual([
      "started 01a20056-8b92-7b51-b9c8-d6403fb39a97 codex",
      "started turn turn_0: turn started",
      "completed ok=true",
    ]);
    expect(completedOf(events)).toEqual({
      type: "completed",
      engine: "codex",
      ok: true,
      answer: "hello from fake",
      resume: { engine: "codex", value: "01a20056-8b92-7b51-b9c8-d6403fb39a97" },
      error: null,
      usage: { input_tokens: 42, cached_input_tokens: 0, cache_write_input_tokens: 0, output_tokens: 7, reasoning_output_tokens: 0 },
    });
  });

  it("codex_tool: the bash -lc wrapper is dropped from the title but kept in detail", async () => {
    const events = await replaySharedRecording(codexBackend, "codex_tool");
    expect(eventLines(events)).toEqual([
      "started 01a20056-9203-7110-8790-4c9bf71ea667 codex",
      "started turn turn_0: turn started",
      "started command item_0: echo hi",
      "completed command item_0: echo hi ✓",
      "completed ok=true",
    ]);
    expect(actionsOf(events)[2]?.action.detail).toEqual({ command: "/bin/bash -lc 'echo hi'", exit_code: 0, status: "completed" });
    expect(completedOf(events).answer).toBe("the command printed hi");
  });

  it("codex_edit: one file_change on completion, path relative to the run dir", async () => {
    const events = await replaySharedRecording(codexBackend, "codex_edit");
    expect(eventLines(events)).toEqual([
      "started 01a20056-9497-7e80-af52-c7ad37defa0e codex",
      "started turn turn_0: turn started",
      "completed file_change item_0: hello.txt ✓",
      "completed ok=true",
    ]);
    expect(actionsOf(events)[1]?.action.detail).toEqual({
      changes: [{ path: "$SCRATCH/engines/repo-codex/hello.txt", kind: "add" }],
      status: "completed",
      error: null,
    });
    expect(completedOf(events).answer).toBe("file written");
  });

  it("codex_resume: the resumed thread keeps its id", async () => {
    const token = { engine: "codex", value: "01a20056-8b92-7b51-b9c8-d6403fb39a97" };
    const events = await replaySharedRecording(codexBackend, "codex_resume", { resume: token });
    expect(events[0]).toMatchObject({ type: "started", resume: token });
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "resumed with history", resume: token });
  });

  it("codex_error401: the error line is a warning, turn.failed ends the run (rc=1 adds nothing)", async () => {
    const reason =
      "unexpected status 401 Unauthorized: Incorrect API key provided: fake (fake-llm 401), url: http://127.0.0.1:18080/s/error401/v1/responses";
    expect(sharedExitCode("codex_error401")).toBe(1);
    const events = await replaySharedRecording(codexBackend, "codex_error401");
    expect(eventLines(events)).toEqual([
      "started 01a20056-9905-75c2-bbe9-6cb094627b18 codex",
      "started turn turn_0: turn started",
      `completed warning codex.note.1: ${reason} ✗`,
      "completed ok=false",
    ]);
    expect(actionsOf(events)[1]).toMatchObject({ level: "warning", message: reason });
    expect(completedOf(events)).toMatchObject({
      ok: false,
      answer: "",
      error: reason,
      resume: { engine: "codex", value: "01a20056-9905-75c2-bbe9-6cb094627b18" },
    });
  });

  it("codex's stderr noise is recognised, so a clean run leaves no stderr tail", () => {
    for (const name of ["codex_text", "codex_tool", "codex_edit", "codex_resume", "codex_error401"]) {
      const raw = sharedFixture(`engines/${name}.stderr.txt`);
      expect(raw).toContain("WARNING: proceeding, even though we could not create PATH aliases");
      expect(cleanStderr(raw, codexBackend.stderrNoise ?? [])).toBe("");
    }
    expect(cleanStderr("Error: thread/resume failed\nReading additional input from stdin...", codexBackend.stderrNoise ?? [])).toBe(
      "Error: thread/resume failed",
    );
  });
});

describe("codex upstream fixtures (older codex)", () => {
  it("codex_exec_json_all_formats: every item type, first turn only", async () => {
    const events = await replayText(codexBackend, sharedFixture("takopi-upstream/codex_exec_json_all_formats.jsonl"));
    expect(eventLines(events)).toEqual([
      "started 0199a213-81c0-7800-8aa1-bbab2a035a53 codex",
      "started turn turn_0: turn started",
      "started note item_0: todo 0/3: Inspect repo structure",
      "updated note item_0: todo 1/3: Run tests",
      "completed note item_0: todo 3/3: done ✓",
      "started command item_1: pytest -q",
      "completed command item_1: pytest -q ✓",
      "started command item_2: pytest -q",
      "completed command item_2: pytest -q ✗",
      "completed file_change item_3: src/compute_answer.py, README.md ✓",
      "completed file_change item_4: src/compute_answer.py ✗",
      "started tool item_5: github.search_issues",
      "completed tool item_5: github.search_issues ✓",
      "started tool item_6: github.search_issues",
      "completed tool item_6: github.search_issues ✗",
      "completed web_search item_7: codex exec --json schema ✓",
      "completed note item_8: Root cause: compute_answer() returned 0. ✓",
      "completed warning item_10: command output truncated ✗",
      "completed ok=true",
    ]);
    const actions = actionsOf(events);
    expect(actions[1]?.action.detail).toEqual({ done: 0, total: 3 });
    expect(actions[7]?.action.detail).toEqual({ command: "pytest -q", exit_code: 1, status: "failed" });
    expect(actions[11]?.action.detail).toEqual({
      server: "github",
      tool: "search_issues",
      status: "completed",
      arguments: { q: "exec --json" },
      result_summary: { content_blocks: 1, has_structured: true },
    });
    expect(actions[13]?.action.detail).toMatchObject({ error_message: "tool timeout", status: "failed" });
    expect(actions[16]).toMatchObject({ level: "warning", message: "command output truncated" });
    expect(completedOf(events)).toMatchObject({
      ok: true,
      answer: "Updated src/compute_answer.py and tests pass.",
      usage: { input_tokens: 1840, cached_input_tokens: 256, output_tokens: 732 },
    });
  });

  it("codex_exec_json_phase_and_unknown: final_answer wins, commentary is a note, unknown items are skipped", async () => {
    const debug: string[] = [];
    const events = await replayText(codexBackend, sharedFixture("takopi-upstream/codex_exec_json_phase_and_unknown.jsonl"), {
      debug: (text, fields) => debug.push(`${text} ${JSON.stringify(fields ?? {})}`),
    });
    expect(eventLines(events)).toEqual([
      "started 0199a213-81c0-7800-8aa1-bbab2a035a53 codex",
      "started turn turn_0: turn started",
      "completed note item_1: Inspecting repository state. ✓",
      "completed ok=true",
    ]);
    expect(actionsOf(events)[1]?.action.detail).toEqual({ phase: "commentary" });
    expect(completedOf(events).answer).toBe("Implemented the requested changes.");
    expect(debug.filter((line) => line.includes("collab_tool_call"))).toHaveLength(2);
    expect(debug.some((line) => line.includes("future_item"))).toBe(true);
  });
});

describe("codex recordings in test/fixtures/engines", () => {
  const names = recordingNames("codex");

  it.runIf(names.length > 0).each(names)("%s replays to exactly one completed, last", async (name) => {
    const text = readRecording(name);
    const events = await replayText(codexBackend, text, { exit: recordingExit(name) });
    completedOf(events);
    // exec: `thread.started.thread_id`; app-server: the `thread/started` the runner announces.
    const threadIds = [...text.matchAll(/"thread_id":"([^"]+)"|"thread\/started","params":\{"thread":\{"id":"([^"]+)"/g)].map((match) => match[1] ?? match[2]);
    expect(startedTokens(events)).toEqual(threadIds.slice(0, 1));
  });

  it.runIf(names.includes("codex_reason.jsonl"))("codex_reason: the reasoning summary is a note", async () => {
    const events = await replayText(codexBackend, readRecording("codex_reason.jsonl"));
    const notes = actionsOf(events).filter((event) => event.action.kind === "note" && event.phase === "completed");
    expect(notes.some((event) => event.action.title.includes("Planning"))).toBe(true);
    expect(completedOf(events).ok).toBe(true);
  });
});

describe("codex final answer selection", () => {
  it("prefers the last final_answer message over later phase-less ones", async () => {
    const events = await replayText(
      codexBackend,
      jsonl(THREAD, TURN, message("a", "draft"), message("b", "the answer", "final_answer"), message("c", "afterthought"), TURN_DONE),
    );
    expect(completedOf(events).answer).toBe("the answer");
  });

  it("uses the last phase-less message when no final_answer exists (legacy streams)", async () => {
    const events = await replayText(codexBackend, jsonl(THREAD, TURN, message("a", "first"), message("b", "second"), TURN_DONE));
    expect(completedOf(events).answer).toBe("second");
  });

  it("never answers with commentary", async () => {
    const events = await replayText(codexBackend, jsonl(THREAD, TURN, message("a", "looking around", "commentary"), TURN_DONE));
    expect(completedOf(events).answer).toBe("");
    expect(eventLines(events)).toContain("completed note a: looking around ✓");
  });

  it("turn.started forgets the previous turn's messages", async () => {
    const events = await replayText(codexBackend, jsonl(THREAD, TURN, message("a", "old"), TURN, TURN_DONE));
    expect(eventLines(events).slice(1, 3)).toEqual(["started turn turn_0: turn started", "started turn turn_1: turn started"]);
    expect(completedOf(events).answer).toBe("");
  });

  it("reads the legacy item_type/assistant_message shape", async () => {
    const legacy = { type: "item.completed", item: { id: "item_0", item_type: "assistant_message", text: "Legacy hello" } };
    const command = {
      type: "item.completed",
      item: { id: "item_1", item_type: "command_execution", command: ["bash", "-lc", "echo legacy"], exit_code: 0 },
    };
    const events = await replayText(codexBackend, jsonl(THREAD, TURN, legacy, command, TURN_DONE));
    expect(eventLines(events)).toContain("completed command item_1: echo legacy ✓");
    expect(completedOf(events).answer).toBe("Legacy hello");
  });

  it("turn.failed keeps the answer so far and reports the message", async () => {
    const failed = { type: "turn.failed", error: { message: "Aborted: npm is missing" } };
    const events = await replayText(codexBackend, jsonl(THREAD, TURN, message("a", "partial"), failed));
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "partial", error: "Aborted: npm is missing" });
  });
});

describe("codex stream errors", () => {
  it("turns Reconnecting... n/m into one info action that completes once codex moves on", async () => {
    const events = await replayText(
      codexBackend,
      jsonl(
        THREAD,
        TURN,
        { type: "error", message: "Reconnecting... 1/2 (stream disconnected before completion: boom)" },
        { type: "error", message: "Reconnecting... 2/2 (stream disconnected before completion: boom)" },
        message("a", "done"),
        TURN_DONE,
      ),
    );
    const reconnect = actionsOf(events).filter((event) => event.action.id === "codex.reconnect");
    expect(reconnect.map((event) => [event.phase, event.level, event.ok ?? null])).toEqual([
      ["started", "info", null],
      ["updated", "info", null],
      ["completed", "info", true],
    ]);
    expect(reconnect[0]?.action).toEqual({
      id: "codex.reconnect",
      kind: "note",
      title: "Reconnecting... 1/2 (stream disconnected before completion: boom)",
      detail: { attempt: 1, max: 2, reason: "stream disconnected before completion: boom" },
    });
    expect(reconnect[1]?.action.detail).toMatchObject({ attempt: 2, max: 2 });
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "done" });
  });

  it("accepts the older Reconnecting format without a reason", async () => {
    const events = await replayText(codexBackend, jsonl(THREAD, { type: "error", message: "Reconnecting... 3/5" }));
    expect(actionsOf(events)[0]).toMatchObject({
      phase: "updated",
      level: "info",
      action: { id: "codex.reconnect", kind: "note", detail: { attempt: 3, max: 5 } },
    });
  });

  it("other top-level errors are non-fatal warnings", async () => {
    const events = await replayText(
      codexBackend,
      jsonl({ type: "error", message: "Failed to load optional config file" }, THREAD, TURN, message("a", "fine"), TURN_DONE),
    );
    expect(eventLines(events)).toEqual([
      "completed warning codex.note.1: Failed to load optional config file ✗",
      "started thread-1 codex",
      "started turn turn_0: turn started",
      "completed ok=true",
    ]);
    expect(completedOf(events).answer).toBe("fine");
  });

  it("a Model metadata error item is a warning action, not a failure", async () => {
    const item = {
      type: "item.completed",
      item: { id: "item_0", type: "error", message: "Model metadata for `gpt-fake` not found. Defaulting to fallback metadata" },
    };
    const events = await replayText(codexBackend, jsonl(THREAD, TURN, item, message("item_1", "hi"), TURN_DONE));
    expect(actionsOf(events)[1]).toMatchObject({
      phase: "completed",
      ok: false,
      level: "warning",
      action: { id: "item_0", kind: "warning", title: "Model metadata for `gpt-fake` not found. Defaulting to fallback metadata" },
    });
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "hi" });
  });

  it("unknown event and item types produce no events (debug only)", async () => {
    const debug: string[] = [];
    const events = await replayText(
      codexBackend,
      jsonl(
        THREAD,
        { type: "thread.archived", whatever: 1 },
        { type: "item.started", item: { id: "x", type: "hologram", beams: 3 } },
        { type: "item.completed", item: { id: "y" } },
        { type: "turn.completed", usage: {} },
      ),
      { debug: (text) => debug.push(text) },
    );
    expect(eventLines(events)).toEqual(["started thread-1 codex", "completed ok=true"]);
    expect(debug).toEqual([
      "codex: ignoring unknown event type",
      "codex: ignoring item type",
      "codex: ignoring item type",
    ]);
  });

  it("a known type that fails its schema costs one warning", async () => {
    const events = await replayText(
      codexBackend,
      jsonl(
        { type: "thread.started" },
        THREAD,
        { type: "item.completed", item: { id: "c1", type: "command_execution" } },
        { type: "item.completed", item: "nope" },
        TURN_DONE,
      ),
    );
    expect(eventLines(events)).toEqual([
      "completed warning codex.note.1: invalid thread.started event from codex; ignoring it ✗",
      "started thread-1 codex",
      "completed warning codex.note.2: invalid command_execution item from codex; ignoring it ✗",
      "completed warning codex.note.3: invalid item.completed event from codex; ignoring it ✗",
      "completed ok=true",
    ]);
    expect(actionsOf(events)[0]?.action.detail).toMatchObject({ type: "thread.started" });
    expect(String(actionsOf(events)[1]?.action.detail.error)).toContain("command");
  });

  it("translate never throws on odd JSON values", () => {
    const events = new EventFactory("codex");
    const translator = codexBackend.createTranslator({ cwd: "/repo", resume: null, presetToken: null, title: null, meta: null, events, debug: () => undefined });
    const odd: unknown[] = [
      null,
      0,
      -1.5,
      "turn.started",
      true,
      [],
      [THREAD],
      {},
      { type: 7 },
      { type: null },
      { type: "thread.started", thread_id: 12 },
      { type: "turn.completed", usage: "lots" },
      { type: "turn.failed", error: "boom" },
      { type: "turn.failed" },
      { type: "error" },
      { type: "error", message: { nested: true } },
      { type: "item.updated" },
      { type: "item.completed", item: null },
      { type: "item.completed", item: [] },
      { type: "item.completed", item: { type: 5 } },
      { type: "item.completed", item: { id: "a", type: "agent_message", text: null } },
      { type: "item.completed", item: { id: "b", type: "file_change", changes: "x" } },
      { type: "item.completed", item: { id: "c", type: "file_change", changes: [null, 1, { path: 3 }] } },
      { type: "item.completed", item: { id: "d", type: "mcp_tool_call", server: 1, error: 5, result: [] } },
      { type: "item.completed", item: { id: "e", type: "todo_list", items: [null, "x", { text: 5, completed: "yes" }] } },
      { type: "item.completed", item: { id: "f", type: "web_search", query: 5, action: "open" } },
      { type: "item.completed", item: { id: "g", type: "command_execution", command: [1, 2] } },
      { type: "item.completed", item: { id: "h", type: "reasoning", text: 5 } },
      { type: "item.completed", item: { id: "i", type: "error" } },
      { type: "turn.rate_limited", retry_after_ms: "soon" },
    ];
    for (const value of odd) expect(() => translator.translate(value)).not.toThrow();
    expect(() => translator.translate({ type: "thread.started", thread_id: "other-thread" })).not.toThrow();
    expect(() => translator.finish({ exitCode: null, signal: null, stderrTail: "" })).not.toThrow();
  });

  it("a second, different thread id is left to the stream wrapper's session check", async () => {
    await expect(replayText(codexBackend, jsonl(THREAD, { type: "thread.started", thread_id: "thread-2" }))).rejects.toThrow(
      "codex emitted session id thread-2 but expected thread-1",
    );
    const again = await replayText(codexBackend, jsonl(THREAD, TURN, THREAD, TURN_DONE));
    expect(again.filter((event) => event.type === "started")).toHaveLength(1);
  });

  it("a resumed run that announces another thread is rejected", async () => {
    await expect(replayText(codexBackend, jsonl(THREAD), { resume: { engine: "codex", value: "thread-0" } })).rejects.toThrow(
      "codex emitted session id thread-1 but expected thread-0",
    );
  });
});

describe("codex finish (stdout closed without turn.completed)", () => {
  it("rc≠0: a warning note and a failed completed carrying the stderr tail and the answer so far", async () => {
    const events = await replayText(codexBackend, jsonl(THREAD, TURN, message("a", "half an answer")), {
      exit: { exitCode: 1, stderrTail: "Error: thread/resume failed: no rollout found" },
    });
    expect(eventLines(events).slice(-2)).toEqual(["completed warning codex.note.1: codex exec failed (rc=1). ✗", "completed ok=false"]);
    expect(completedOf(events)).toMatchObject({
      ok: false,
      answer: "half an answer",
      error: "codex exec failed (rc=1).\nError: thread/resume failed: no rollout found",
      resume: { engine: "codex", value: "thread-1" },
    });
  });

  it("rc≠0 before any output: the resumed token is kept", async () => {
    const token = { engine: "codex", value: "01a20056-8b92-7b51-b9c8-d6403fb39a97" };
    const events = await replayText(codexBackend, "", { resume: token, exit: { exitCode: 1, stderrTail: "" } });
    expect(completedOf(events)).toMatchObject({ ok: false, error: "codex exec failed (rc=1).", resume: token });
  });

  it("a SIGTERM'd run (stdout ends at item.started) is a failed run, not a crash", async () => {
    const started = {
      type: "item.started",
      item: { id: "item_0", type: "command_execution", command: "/bin/bash -lc 'sleep 30'", aggregated_output: "", exit_code: null, status: "in_progress" },
    };
    const events = await replayText(codexBackend, jsonl(THREAD, TURN, started), { exit: { exitCode: null, signal: "SIGTERM" } });
    expect(eventLines(events)).toEqual([
      "started thread-1 codex",
      "started turn turn_0: turn started",
      "started command item_0: sleep 30",
      "completed warning codex.note.1: codex exec failed (signal=SIGTERM). ✗",
      "completed ok=false",
    ]);
    expect(completedOf(events)).toMatchObject({ error: "codex exec failed (signal=SIGTERM).", resume: { value: "thread-1" } });
  });

  it("rc=0 without a thread id is an error", async () => {
    const events = await replayText(codexBackend, jsonl(TURN));
    expect(completedOf(events)).toMatchObject({
      ok: false,
      error: "codex exec finished but no session_id/thread_id was captured",
      resume: null,
    });
  });

  it("rc=0 with a thread id but no turn.completed is incomplete: the answer so far, the error, the session", async () => {
    const events = await replayText(codexBackend, jsonl(THREAD, TURN, message("a", "all done")));
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "all done", resume: { value: "thread-1" } });
    expect(completedOf(events).error).toMatch(/ended without finishing its turn \(no turn\.completed/);
    expect(completedOf(events).usage).toBeUndefined();
  });
});

describe("codex command titles", () => {
  it.each([
    ["/bin/bash -lc 'echo hi'", "echo hi"],
    ["bash -lc 'ls -la src'", "ls -la src"],
    ["/usr/bin/zsh -c \"git status\"", "git status"],
    ["bash -lc 'echo it'\\''s'", "echo it's"],
    ["bash -lc pytest", "pytest"],
    ["bash -lc 'a' 'b'", "bash -lc 'a' 'b'"],
    ["bash -lc \"echo $HOME\"", "bash -lc \"echo $HOME\""],
    ["bash -lc 'unterminated", "bash -lc 'unterminated"],
    ["bash -lc ls; rm x", "bash -lc ls; rm x"],
    ["pytest -q", "pytest -q"],
    ["python -c 'print(1)'", "python -c 'print(1)'"],
  ])("%s → %s", (command, shown) => {
    expect(displayCommand(command)).toBe(shown);
  });

  it("removes the run dir from titles but not from detail.command", async () => {
    const item = { type: "item.started", item: { id: "c", type: "command_execution", command: "/bin/bash -lc 'cat /repo/src/a.ts'", status: "in_progress" } };
    const events = await replayText(codexBackend, jsonl(THREAD, item), { cwd: "/repo" });
    expect(actionsOf(events)[0]?.action).toEqual({
      id: "c",
      kind: "command",
      title: "cat src/a.ts",
      detail: { command: "/bin/bash -lc 'cat /repo/src/a.ts'" },
    });
  });

  it("a declined command is not ok", async () => {
    const item = { type: "item.completed", item: { id: "c", type: "command_execution", command: "rm -rf /", exit_code: null, status: "declined" } };
    const events = await replayText(codexBackend, jsonl(THREAD, item));
    expect(actionsOf(events)[0]).toMatchObject({ ok: false, action: { detail: { status: "declined", exit_code: null } } });
  });
});

describe("codex argv", () => {
  const config = codexBackend.configSchema.parse({});
  const request = (extra: Partial<RunRequest> = {}): RunRequest => ({ prompt: "fix it", resume: null, cwd: "/repo", ...extra });

  it("new session with defaults: prompt on stdin, trailing -", () => {
    const prepared = codexBackend.prepareRun(request(), config, { PATH: "/bin", HOME: "/home/me" });
    expect(prepared.invocation).toEqual({
      command: "codex",
      args: ["-c", "notify=[]", "exec", "--json", "--skip-git-repo-check", "--color=never", "-"],
      stdin: "fix it",
      env: { PATH: "/bin", HOME: "/home/me" },
    });
    expect(prepared.translatorContext).toEqual({ presetToken: null, title: null });
  });

  it("profile, model, reasoning and resume go in spec order", () => {
    const withProfile = codexBackend.configSchema.parse({ extra_args: ["-c", "x=1"], profile: "work", model: "gpt-config" });
    const prepared = codexBackend.prepareRun(
      request({ resume: { engine: "codex", value: "thread-9" }, options: { model: "gpt-chat", reasoning: "high" } }),
      withProfile,
      {},
    );
    expect(prepared.invocation.args).toEqual([
      "-c",
      "x=1",
      "--profile",
      "work",
      "--model",
      "gpt-chat",
      "-c",
      "model_reasoning_effort=high",
      "exec",
      "--json",
      "--skip-git-repo-check",
      "--color=never",
      "resume",
      "thread-9",
      "-",
    ]);
  });

  it("the config model is used without a chat override", () => {
    const prepared = codexBackend.prepareRun(request(), codexBackend.configSchema.parse({ model: "gpt-5.5" }), {});
    expect(prepared.invocation.args.slice(0, 4)).toEqual(["-c", "notify=[]", "--model", "gpt-5.5"]);
  });

  it("copies the environment instead of sharing it", () => {
    const env = { PATH: "/bin" };
    const prepared = codexBackend.prepareRun(request(), config, env);
    expect(prepared.invocation.env).toEqual(env);
    expect(prepared.invocation.env).not.toBe(env);
  });

  it("refuses a token from another engine", () => {
    expect(() => codexBackend.prepareRun(request({ resume: { engine: "claude", value: "x" } }), config, {})).toThrow(
      "resume token is for engine 'claude', not 'codex'",
    );
  });

  it("names the CLI and how to install it", () => {
    expect(codexBackend.id).toBe("codex");
    expect(codexBackend.cliCommand).toBe("codex");
    expect(codexBackend.installHint).toBe("npm install -g @openai/codex");
  });
});

describe("codex config", () => {
  it("{} gives the defaults", () => {
    expect(codexBackend.configSchema.parse({})).toEqual({ extra_args: ["-c", "notify=[]"], backend: "app-server", approval_policy: "never" });
  });

  it("backend is app-server or exec; anything else is an error naming both", () => {
    expect(codexBackend.configSchema.parse({ backend: "exec" })).toMatchObject({ backend: "exec" });
    const bad = codexBackend.configSchema.safeParse({ backend: "appserver" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe('backend must be one of: "app-server", "exec"');
  });

  it("approval_policy is never by default, on-request or untrusted; anything else is an error naming them", () => {
    expect(codexBackend.configSchema.parse({})).toMatchObject({ approval_policy: "never", backend: "app-server" });
    expect(codexBackend.configSchema.parse({ approval_policy: "untrusted" })).toMatchObject({ approval_policy: "untrusted" });
    const bad = codexBackend.configSchema.safeParse({ approval_policy: "on-failure" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe('approval_policy must be one of: "never", "on-request", "untrusted"');
  });

  it("an approval policy with the exec backend is warned about once, at runner creation: exec cannot ask", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "warn", destination: { write: (line: string) => lines.push(line) } });
    expect(codexBackend.createRunner?.({ backend: codexBackend, config: codexBackend.configSchema.parse({ backend: "exec", approval_policy: "on-request" }), log })).toBeNull();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('approval_policy = "on-request" needs backend = "app-server"; codex exec cannot ask');
    codexBackend.createRunner?.({ backend: codexBackend, config: codexBackend.configSchema.parse({ backend: "exec" }), log });
    expect(lines).toHaveLength(1);
  });

  it("the codex backend declares approvals and steer; only the app-server runner can steer", async () => {
    expect(codexBackend.capabilities).toMatchObject({ approvals: true, steer: true });
    const exec = new EngineRunner({ backend: codexBackend, config: codexBackend.configSchema.parse({ backend: "exec" }) });
    expect("steer" in exec).toBe(false);
    const server = codexBackend.createRunner?.({ backend: codexBackend, config: codexBackend.configSchema.parse({ backend: "app-server" }) });
    expect(typeof server?.steer).toBe("function");
    await server?.shutdown?.();
  });

  it("the exec backend is EngineRunner's (no runner of its own); app-server has one", () => {
    const options = { backend: codexBackend, config: codexBackend.configSchema.parse({ backend: "exec" }) };
    expect(codexBackend.createRunner?.(options)).toBeNull();
    const server = codexBackend.createRunner?.({ ...options, config: codexBackend.configSchema.parse({ backend: "app-server" }) });
    expect(server?.engine).toBe("codex");
  });

  it("defaults are not shared between parses", () => {
    const first = codexBackend.configSchema.parse({});
    first.extra_args.push("--oops");
    expect(codexBackend.configSchema.parse({}).extra_args).toEqual(["-c", "notify=[]"]);
  });

  it.each(["--json", "--skip-git-repo-check", "--output-schema", "--output-last-message", "--color", "-o", "--color=always", "--output-schema=x.json", "--output-last-message=out.txt"])(
    "rejects the exec-only flag %s",
    (flag) => {
      const result = codexBackend.configSchema.safeParse({ extra_args: ["-c", "a=1", flag] });
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((issue) => issue.message)).toContain(`exec-only flag '${flag}' is managed by takopi`);
      expect(findExecOnlyFlag(["-c", "a=1", flag])).toBe(flag);
    },
  );

  it("accepts ordinary global flags", () => {
    expect(findExecOnlyFlag(["-c", "notify=[]", "--sandbox", "workspace-write", "--colorful"])).toBeNull();
    expect(codexBackend.configSchema.parse({ extra_args: [], profile: "p" })).toEqual({ extra_args: [], profile: "p", backend: "app-server", approval_policy: "never" });
  });

  it("rejects wrong types", () => {
    expect(codexBackend.configSchema.safeParse({ extra_args: "-c notify=[]" }).success).toBe(false);
    expect(codexBackend.configSchema.safeParse({ extra_args: ["-c", 1] }).success).toBe(false);
    expect(codexBackend.configSchema.safeParse({ profile: 3 }).success).toBe(false);
    expect(codexBackend.configSchema.safeParse({ model: "" }).success).toBe(false);
  });
});

describe("codex resume lines", () => {
  it("formats as inline code", () => {
    expect(codexBackend.formatResume({ engine: "codex", value: "01a20056-8b92-7b51-b9c8-d6403fb39a97" })).toBe(
      "`codex resume 01a20056-8b92-7b51-b9c8-d6403fb39a97`",
    );
    expect(() => codexBackend.formatResume({ engine: "claude", value: "x" })).toThrow("resume token is for engine 'claude'");
  });

  it("extracts the last resume line, with or without backticks", () => {
    const text = "old answer\n`codex resume first-id`\n\nreply\n  codex resume second-id  \n";
    expect(codexBackend.extractResume(text)).toEqual({ engine: "codex", value: "second-id" });
    expect(codexBackend.extractResume("`codex resume abc`")).toEqual({ engine: "codex", value: "abc" });
    expect(codexBackend.extractResume("CODEX RESUME abc")).toEqual({ engine: "codex", value: "abc" });
  });

  it("ignores mid-sentence mentions and malformed lines", () => {
    expect(codexBackend.extractResume("run codex resume abc to continue")).toBeNull();
    expect(codexBackend.extractResume("`codex resume`")).toBeNull();
    expect(codexBackend.extractResume("`claude --resume abc`")).toBeNull();
    expect(codexBackend.extractResume("codex resume a b")).toBeNull();
  });

  it("recognises resume lines for stripping", () => {
    expect(codexBackend.isResumeLine("`codex resume abc`")).toBe(true);
    expect(codexBackend.isResumeLine("please codex resume abc")).toBe(false);
  });
});

describe("codex session title", () => {
  it("is the configured profile when there is one, else codex", () => {
    const title = (config: unknown) => {
      const prepared = codexBackend.prepareRun({ prompt: "hi", resume: null, cwd: "/repo" }, codexBackend.configSchema.parse(config), {});
      const stream = new JsonlStream(codexBackend, { cwd: "/repo", resume: null, title: prepared.translatorContext.title ?? null });
      const [started] = stream.line('{"type":"thread.started","thread_id":"t-1"}');
      return started?.type === "started" ? started.title : undefined;
    };
    expect(title({ profile: "work" })).toBe("work");
    expect(title({})).toBe("codex");
  });
});
