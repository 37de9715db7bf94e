import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EventFactory, type ResumeToken, type TakopiEvent } from "../../../src/core/events.js";
import type { ProcessExit, RunRequest } from "../../../src/engines/backend.js";
import { JsonlStream } from "../../../src/engines/jsonl-stream.js";
import { buildPiArgs, piBackend, piEnv } from "../../../src/engines/pi/index.js";
import { piMessageText } from "../../../src/engines/pi/translator.js";
import { newPiSessionPath, piSessionDir, piSessionDirName, quotePiToken, unquotePiToken } from "../../../src/engines/pi/session.js";
import { replayText } from "../../../src/engines/replay.js";
import { actionsOf, completedOf, jsonl, parseJsonl, readRecording, recordingExit, recordingNames, sharedFixture, startedTokens } from "../../support/recordings.js";

/** cwd of the recorded 0.73 runs (fixtures/engines/*.cmd.txt). */
const CWD = "$SCRATCH/engines/repo-pi";
const PRESET = "/home/me/.pi/agent/sessions/--repo--/2026-11-21T23-00-10-000Z_0123456789abcdef0123456789abcdef.jsonl";

interface RunOptions {
  presetToken?: string | null;
  resume?: ResumeToken | null;
  cwd?: string | null;
  exit?: Partial<ProcessExit>;
}

/** Like a live run: the same JsonlStream, with the preset token prepareRun would hand over. */
function run(text: string, options: RunOptions = {}): TakopiEvent[] {
  const stream = new JsonlStream(piBackend, {
    cwd: options.cwd === undefined ? CWD : options.cwd,
    resume: options.resume ?? null,
    presetToken: options.presetToken === undefined ? PRESET : options.presetToken,
  });
  const events: TakopiEvent[] = [];
  for (const line of text.split("\n")) events.push(...stream.line(line));
  events.push(...stream.end({ exitCode: 0, signal: null, stderrTail: "", ...options.exit }));
  return events;
}

const SESSION_ID = "01a20056-aaaa-7000-8000-000000000001";
const header = { type: "session", version: 3, id: SESSION_ID, timestamp: "2026-11-21T23:00:10.256Z", cwd: CWD };
const usage = { input: 42, output: 7, cacheRead: 0, cacheWrite: 0, totalTokens: 49, cost: { total: 0 } };
const assistant = (text: string | null, stopReason = "stop", errorMessage?: string) => ({
  role: "assistant",
  content: text === null ? [] : [{ type: "text", text }],
  provider: "fake",
  model: "fake-model",
  usage,
  stopReason,
  ...(errorMessage === undefined ? {} : { errorMessage }),
});
/** One agent run (one attempt) as pi 0.73 prints it. */
const attempt = (message: ReturnType<typeof assistant>) => [
  { type: "agent_start" },
  { type: "turn_start" },
  { type: "message_start", message: { ...message, content: [] } },
  { type: "message_end", message },
  { type: "turn_end", message, toolResults: [] },
  { type: "agent_end", messages: [message] },
];
const err500 = "500 The server had an error while processing your request";
const retryStart = (attempt: number, maxAttempts: number, errorMessage = err500) => ({
  type: "auto_retry_start",
  attempt,
  maxAttempts,
  delayMs: 200 * attempt,
  errorMessage,
});

describe("pi fixtures (pi 0.73.1)", () => {
  it("text: announces the header's full session id instead of the preset path", () => {
    const events = run(sharedFixture("engines/pi_text.jsonl"));
    expect(events[0]).toEqual({
      type: "started",
      engine: "pi",
      resume: { engine: "pi", value: "01a20056-ad90-77ca-82f2-f8a5e4e3008c" },
      title: "pi",
      meta: { cwd: CWD },
    });
    expect(events.map((event) => event.type)).toEqual(["started", "completed"]);
    expect(completedOf(events)).toMatchObject({
      ok: true,
      answer: "hello from fake",
      error: null,
      resume: { engine: "pi", value: "01a20056-ad90-77ca-82f2-f8a5e4e3008c" },
      usage: { input: 42, output: 7, totalTokens: 49 },
    });
  });

  it("tool: a bash tool execution is a command action", () => {
    const events = run(sharedFixture("engines/pi_tool.jsonl"));
    expect(startedTokens(events)).toEqual(["01a20056-beb0-76f1-a913-4240bed78bb5"]);
    expect(actionsOf(events).map((event) => [event.action.id, event.phase, event.action.kind, event.action.title, event.ok])).toEqual([
      ["call_mwr0gs97kixrkd", "started", "command", "echo hi", undefined],
      ["call_mwr0gs97kixrkd", "completed", "command", "echo hi", true],
    ]);
    expect(actionsOf(events)[1]?.action.detail).toEqual({
      tool_name: "bash",
      args: { command: "echo hi" },
      result: { content: [{ type: "text", text: "hi\n" }] },
      is_error: false,
    });
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "the command printed hi" });
  });

  it("edit: the write tool is a file change with a relativized title", () => {
    const events = run(sharedFixture("engines/pi_edit.jsonl"));
    const [start, end] = actionsOf(events);
    expect(start).toMatchObject({
      phase: "started",
      action: {
        id: "call_mwr0gtdvfnr87h",
        kind: "file_change",
        title: "hello.txt",
        detail: { tool_name: "write", changes: [{ path: `${CWD}/hello.txt`, kind: "update" }] },
      },
    });
    expect(end).toMatchObject({ phase: "completed", ok: true, action: { id: "call_mwr0gtdvfnr87h", kind: "file_change", title: "hello.txt" } });
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "file written" });
  });

  it("resume: keeps the resumed token, which the header repeats", () => {
    const resume = { engine: "pi", value: "01a20056-ad90-77ca-82f2-f8a5e4e3008c" };
    const events = run(sharedFixture("engines/pi_resume.jsonl"), { resume, presetToken: null });
    expect(startedTokens(events)).toEqual([resume.value]);
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "resumed with history", resume });
  });

  it("error401: exit 0 with a failed turn is a failed run carrying the 401 reason", () => {
    const events = run(sharedFixture("engines/pi_error401.jsonl"));
    expect(events.map((event) => event.type)).toEqual(["started", "completed"]);
    expect(completedOf(events)).toMatchObject({
      ok: false,
      answer: "",
      error: "401 Incorrect API key provided (fake-llm 401)",
      resume: { engine: "pi", value: "01a20056-d602-7739-85de-1f80fa024d3e" },
    });
  });

  it("replays without a preset token too (takopi replay)", async () => {
    const events = await replayText(piBackend, sharedFixture("engines/pi_text.jsonl"), { cwd: CWD });
    expect(startedTokens(events)).toEqual(["01a20056-ad90-77ca-82f2-f8a5e4e3008c"]);
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "hello from fake" });
  });
});

describe("pi fixtures (upstream takopi, pi without a session header)", () => {
  it("pi_stream_success: the preset path is the token; tools map with the `path` key", () => {
    const events = run(sharedFixture("takopi-upstream/pi_stream_success.jsonl"), { cwd: "/repo" });
    expect(events[0]).toEqual({ type: "started", engine: "pi", resume: { engine: "pi", value: PRESET }, title: "pi", meta: { cwd: "/repo" } });
    expect(actionsOf(events).map((event) => [event.action.id, event.phase, event.action.kind, event.action.title, event.ok])).toEqual([
      ["tool_1", "started", "command", "ls -la", undefined],
      ["tool_1", "completed", "command", "ls -la", true],
      ["tool_2", "started", "file_change", "notes.md", undefined],
      ["tool_2", "completed", "file_change", "notes.md", true],
    ]);
    expect(completedOf(events)).toMatchObject({
      ok: true,
      answer: "Done. Added notes.md.",
      resume: { engine: "pi", value: PRESET },
      usage: { input: 12, output: 6, totalTokens: 18 },
    });
  });

  it("pi_stream_error: the failed turn's text and error", () => {
    const events = run(sharedFixture("takopi-upstream/pi_stream_error.jsonl"));
    expect(startedTokens(events)).toEqual([PRESET]);
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "Request failed.", error: "Upstream error" });
  });

  it("pi_print_mode_events: the first successful agent_end completes the run", () => {
    const events = run(sharedFixture("takopi-upstream/pi_print_mode_events.jsonl"));
    expect(actionsOf(events).map((event) => [event.action.id, event.phase, event.action.title])).toEqual([
      ["toolu_01HXYZREAD", "started", "read: `README.md`"],
      ["toolu_01HXYZREAD", "completed", "read: `README.md`"],
    ]);
    expect(completedOf(events)).toMatchObject({
      ok: true,
      answer: "Main CLI commands include `pi --mode <mode>` for output format and `pi --print` for non-interactive runs.",
      usage: { totalTokens: 808 },
    });
  });

  it("without a header or preset token there is no session to announce", async () => {
    const events = await replayText(piBackend, sharedFixture("takopi-upstream/pi_stream_success.jsonl"), { cwd: "/repo" });
    expect(startedTokens(events)).toEqual([]);
    expect(completedOf(events)).toMatchObject({ ok: true, resume: null });
  });
});

describe("pi recordings (pi 0.73.1, test/fixtures/engines)", () => {
  const recording = (name: string): { text: string; sessionId: string } => {
    const text = readRecording(name);
    const header = JSON.parse(text.split("\n")[0] ?? "") as { id: string };
    return { text, sessionId: header.id };
  };
  const ERR500 = "500 The server had an error while processing your request (fake-llm 500)";

  it("pi_error500_retry: every attempt fails → retry notes, then one failed completed (exit 0)", () => {
    const { text, sessionId } = recording("pi_error500_retry.jsonl");
    const events = run(text, { cwd: "$REPO" });
    expect(events.map((event) => event.type)).toEqual(["started", "action", "action", "completed"]);
    expect(startedTokens(events)).toEqual([sessionId]);
    expect(actionsOf(events).map((event) => [event.action.kind, event.action.title, event.ok, event.level])).toEqual([
      ["note", `retrying after error (attempt 1/2): ${ERR500}`, true, "info"],
      ["note", `retrying after error (attempt 2/2): ${ERR500}`, true, "info"],
    ]);
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "", error: ERR500, resume: { engine: "pi", value: sessionId } });
  });

  it("pi_sigterm_tool: exit 143 while a tool runs → the tool stays started, the run fails", () => {
    const { text, sessionId } = recording("pi_sigterm_tool.jsonl");
    const events = run(text, { cwd: "$REPO", exit: { exitCode: 143 } });
    expect(events.map((event) => event.type)).toEqual(["started", "action", "action", "completed"]);
    expect(actionsOf(events).map((event) => [event.phase, event.action.kind, event.action.title])).toEqual([
      ["started", "command", 'node -e "setTimeout(()=>{},30000)" && echo hi'],
      ["completed", "warning", "pi failed (rc=143)."],
    ]);
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "", error: "pi failed (rc=143).", resume: { engine: "pi", value: sessionId } });
  });

  it("pi_reason: thinking blocks are not part of the answer", () => {
    const { text, sessionId } = recording("pi_reason.jsonl");
    const events = run(text, { cwd: "$REPO" });
    expect(startedTokens(events)).toEqual([sessionId]);
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "hello from fake", usage: { totalTokens: 49 } });
  });
});

describe("pi retries", () => {
  it("a successful retry after a failed attempt completes ok, with a retry note in between", () => {
    const events = run(
      jsonl(header, ...attempt(assistant(null, "error", err500)), retryStart(1, 2), ...attempt(assistant("recovered")), { type: "auto_retry_end", success: true, attempt: 1 }),
    );
    expect(events.map((event) => event.type)).toEqual(["started", "action", "completed"]);
    expect(actionsOf(events)[0]).toEqual({
      type: "action",
      engine: "pi",
      action: {
        id: "pi.note.1",
        kind: "note",
        title: `retrying after error (attempt 1/2): ${err500}`,
        detail: { attempt: 1, max_attempts: 2, delay_ms: 200, error: err500 },
      },
      phase: "completed",
      ok: true,
      message: `retrying after error (attempt 1/2): ${err500}`,
      level: "info",
    });
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "recovered", error: null, resume: { engine: "pi", value: SESSION_ID } });
  });

  it("all attempts failing give exactly one failed completed with the final error", () => {
    const events = run(
      jsonl(
        header,
        ...attempt(assistant(null, "error", err500)),
        retryStart(1, 2),
        ...attempt(assistant(null, "error", `${err500} (2)`)),
        retryStart(2, 2, `${err500} (2)`),
        ...attempt(assistant("partial", "error", `${err500} (3)`)),
        { type: "auto_retry_end", success: false, attempt: 2, finalError: `${err500} (3)` },
      ),
    );
    expect(events.map((event) => event.type)).toEqual(["started", "action", "action", "completed"]);
    expect(actionsOf(events).map((event) => event.action.title)).toEqual([
      `retrying after error (attempt 1/2): ${err500}`,
      `retrying after error (attempt 2/2): ${err500} (2)`,
    ]);
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "partial", error: `${err500} (3)` });
  });

  it("a failed attempt without a following retry is reported at EOF", () => {
    const events = run(jsonl(header, ...attempt(assistant(null, "error", "401 bad key"))));
    expect(completedOf(events)).toMatchObject({ ok: false, error: "401 bad key", resume: { engine: "pi", value: SESSION_ID } });
  });

  it("a failed attempt's text is not the answer of the retry", () => {
    const events = run(jsonl(header, ...attempt(assistant("oops", "error", err500)), retryStart(1, 3), ...attempt(assistant(null))));
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "" });
  });

  it("a stream that ends while a retry is pending fails with the retry's reason", () => {
    const events = run(jsonl(header, ...attempt(assistant(null, "error", err500)), retryStart(1, 3), { type: "agent_start" }));
    expect(completedOf(events)).toMatchObject({
      ok: false,
      error: `pi finished without an agent_end event while retrying after: ${err500}`,
    });
  });

  it("auto_retry_end(success:false) without a held attempt still fails the run", () => {
    const events = run(jsonl(header, { type: "auto_retry_end", success: false, attempt: 3 }));
    expect(completedOf(events)).toMatchObject({ ok: false, error: "pi retries failed" });
  });

  it("an aborted turn without a message uses the stop reason", () => {
    const events = run(jsonl(header, ...attempt(assistant(null, "aborted"))));
    expect(completedOf(events)).toMatchObject({ ok: false, error: "pi run aborted" });
  });
});

describe("pi finish()", () => {
  it("a cancelled run (exit 143 mid-stream) fails, keeping text and session", () => {
    const lines = sharedFixture("engines/pi_text.jsonl").split("\n").slice(0, 8).join("\n");
    const events = run(lines, { exit: { exitCode: 143 } });
    expect(events.map((event) => event.type)).toEqual(["started", "action", "completed"]);
    expect(actionsOf(events)[0]).toMatchObject({ action: { id: "pi.note.1", title: "pi failed (rc=143)." }, ok: false, level: "warning" });
    expect(completedOf(events)).toMatchObject({
      ok: false,
      answer: "",
      error: "pi failed (rc=143).",
      resume: { engine: "pi", value: "01a20056-ad90-77ca-82f2-f8a5e4e3008c" },
    });
  });

  it("a run killed by a signal reports the signal", () => {
    const events = run(jsonl(header, { type: "agent_start" }), { exit: { exitCode: null, signal: "SIGTERM" } });
    expect(completedOf(events)).toMatchObject({ ok: false, error: "pi failed (signal=SIGTERM)." });
  });

  it("a failing pi that printed nothing keeps the preset token for the resume line", () => {
    const events = run("", { exit: { exitCode: 1, stderrTail: "No session found matching 'x'" } });
    expect(startedTokens(events)).toEqual([]);
    expect(completedOf(events)).toMatchObject({
      ok: false,
      error: "pi failed (rc=1).\nNo session found matching 'x'",
      resume: { engine: "pi", value: PRESET },
    });
  });

  it("exit 0 without agent_end", () => {
    const events = run(jsonl(header, { type: "agent_start" }, { type: "message_end", message: assistant("so far") }));
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "so far", error: "pi finished without an agent_end event", usage: { totalTokens: 49 } });
  });
});

describe("pi translation", () => {
  it("never rewrites a resumed token, even when the header's id differs", () => {
    const resume = { engine: "pi", value: "/home/me/.pi/agent/sessions/--repo--/old.jsonl" };
    const events = run(sharedFixture("engines/pi_text.jsonl"), { resume, presetToken: null });
    expect(startedTokens(events)).toEqual([resume.value]);
    expect(completedOf(events).resume).toEqual(resume);
  });

  it("announces started before the first event when there is no header", () => {
    const events = run(jsonl({ type: "agent_start" }, ...attempt(assistant("hi")).slice(1)), { cwd: null });
    expect(events[0]).toEqual({ type: "started", engine: "pi", resume: { engine: "pi", value: PRESET }, title: "pi" });
  });

  it("a resumed run of a header-less pi announces the resumed token", () => {
    const resume = { engine: "pi", value: "/home/me/.pi/agent/sessions/--repo--/old.jsonl" };
    const events = run(sharedFixture("takopi-upstream/pi_stream_success.jsonl"), { resume, presetToken: null });
    expect(startedTokens(events)).toEqual([resume.value]);
    expect(completedOf(events)).toMatchObject({ ok: true, resume });
  });

  it("puts the configured model and provider in started.meta", () => {
    const home = mkdtempSync(join(tmpdir(), "takopi-pi-meta-"));
    try {
      const prepared = piBackend.prepareRun(
        { prompt: "hi", resume: { engine: "pi", value: "01a2-abc" }, cwd: CWD, options: { model: "run-model" } },
        piBackend.configSchema.parse({ provider: "fake", model: "config-model" }),
        { PI_CODING_AGENT_DIR: home },
      );
      expect(prepared.translatorContext.meta).toEqual({ model: "run-model", provider: "fake" });
      const stream = new JsonlStream(piBackend, { cwd: CWD, resume: { engine: "pi", value: "01a2-abc" }, meta: prepared.translatorContext.meta ?? null });
      const [started] = stream.line(JSON.stringify({ type: "agent_start" }));
      expect(started).toMatchObject({ type: "started", meta: { cwd: CWD, model: "run-model", provider: "fake" } });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("uses the header's cwd in meta when the run has none", () => {
    const events = run(jsonl(header), { cwd: null });
    expect(events[0]).toMatchObject({ type: "started", meta: { cwd: CWD } });
  });

  it("synthesizes an action for a tool end without a start", () => {
    const events = run(jsonl(header, { type: "tool_execution_end", toolCallId: "t9", toolName: "grep", result: "x", isError: true }));
    expect(actionsOf(events)[0]).toEqual({
      type: "action",
      engine: "pi",
      action: { id: "t9", kind: "tool", title: "grep", detail: { result: "x", is_error: true } },
      phase: "completed",
      ok: false,
    });
  });

  it("the last assistant message of agent_end decides text and error", () => {
    const toolTurn = { ...assistant("Let me check."), stopReason: "toolUse" };
    const events = run(jsonl(header, { type: "message_end", message: toolTurn }, { type: "agent_end", messages: [toolTurn, { role: "toolResult", content: [] }, assistant("Checked.")] }));
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "Checked." });
  });

  it("extracts and trims text blocks only", () => {
    expect(piMessageText([{ type: "thinking", thinking: "hmm" }, { type: "text", text: "  a" }, { type: "toolCall" }, { type: "text", text: "b  " }])).toBe("ab");
    expect(piMessageText([{ type: "text", text: "   " }])).toBeNull();
    expect(piMessageText(" plain ")).toBe("plain");
    expect(piMessageText(null)).toBeNull();
  });

  it("ignores unknown types and warns once per malformed known line", () => {
    const events = run(jsonl(header, { type: "brand_new_event" }, { type: "tool_execution_start", toolName: "bash" }, ...attempt(assistant("ok"))));
    expect(actionsOf(events)).toHaveLength(1);
    expect(actionsOf(events)[0]).toMatchObject({
      ok: false,
      level: "warning",
      action: { id: "pi.note.1", kind: "warning", title: "pi sent a malformed tool_execution_start event; ignoring it" },
    });
    expect(completedOf(events).ok).toBe(true);
  });

  it("never throws on odd JSON values", () => {
    const translator = piBackend.createTranslator({ cwd: null, resume: null, presetToken: null, title: null, meta: null, events: new EventFactory("pi"), debug: () => undefined });
    const odd: unknown[] = [
      null,
      1,
      "x",
      false,
      [],
      [{ type: "session" }],
      {},
      { type: null },
      { type: "session" },
      { type: "session", id: 5 },
      { type: "tool_execution_start", toolCallId: "", args: 3 },
      { type: "tool_execution_start", toolCallId: "a", toolName: 7, args: [1] },
      { type: "tool_execution_end", toolCallId: 1 },
      { type: "message_end" },
      { type: "message_end", message: { role: "assistant", content: [null, 1, { type: "text", text: 5 }], usage: [], stopReason: 9 } },
      { type: "agent_end", messages: "x" },
      { type: "agent_end", messages: [null, 3, { role: 4 }] },
      { type: "auto_retry_start", attempt: "one" },
      { type: "auto_retry_end" },
      { type: "auto_retry_end", success: "no" },
    ];
    for (const value of odd) expect(() => translator.translate(value)).not.toThrow();
    expect(() => translator.finish({ exitCode: 0, signal: null, stderrTail: "" })).not.toThrow();
  });
});

describe("pi prepareRun", () => {
  let temp: string | null = null;
  const scratch = (): string => (temp = mkdtempSync(join(tmpdir(), "takopi-pi-")));
  afterEach(() => {
    if (temp !== null) rmSync(temp, { recursive: true, force: true });
    temp = null;
  });
  const request = (overrides: Partial<RunRequest> = {}): RunRequest => ({ prompt: "say hello", resume: null, cwd: "/project", ...overrides });

  it("invents the session file under $PI_CODING_AGENT_DIR, creates its directory and presets it", () => {
    const base = scratch();
    const env = { PI_CODING_AGENT_DIR: join(base, "agent"), HOME: "/nowhere" };
    const prepared = piBackend.prepareRun(request(), { extra_args: [] }, env);
    const token = prepared.translatorContext.presetToken;
    expect(token).not.toBeNull();
    const path = token ?? "";
    expect(dirname(path)).toBe(join(base, "agent", "sessions", "--project--"));
    expect(path).toMatch(/\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z_[0-9a-f]{32}\.jsonl$/);
    expect(existsSync(dirname(path))).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(prepared.invocation).toEqual({
      command: "pi",
      args: ["--print", "--mode", "json", "--session", path],
      stdin: "say hello",
      env: { PI_CODING_AGENT_DIR: join(base, "agent"), HOME: "/nowhere", NO_COLOR: "1", CI: "1" },
    });
  });

  it("expands ~ in $PI_CODING_AGENT_DIR and defaults to ~/.pi/agent", () => {
    const home = scratch();
    expect(piSessionDir("/work/repo", { HOME: home, PI_CODING_AGENT_DIR: "~/custom" })).toBe(join(home, "custom", "sessions", "--work-repo--"));
    expect(piSessionDir("/work/repo", { HOME: home })).toBe(join(home, ".pi", "agent", "sessions", "--work-repo--"));
    expect(piSessionDir("/work/repo", { HOME: home, PI_CODING_AGENT_SESSION_DIR: "~/flat" })).toBe(join(home, "flat"));
    const path = newPiSessionPath("/work/repo", { HOME: home }, { now: new Date("2026-01-02T03:04:05.678Z"), id: "f".repeat(32) });
    expect(path).toBe(join(home, ".pi", "agent", "sessions", "--work-repo--", `2026-01-02T03-04-05-678Z_${"f".repeat(32)}.jsonl`));
    expect(existsSync(dirname(path))).toBe(true);
  });

  it("session path prefers run base dir (not the process cwd)", () => {
    const base = scratch();
    const prepared = piBackend.prepareRun(request({ cwd: "/srv/projects/app" }), { extra_args: [] }, { PI_CODING_AGENT_DIR: base });
    expect(dirname(prepared.translatorContext.presetToken ?? "")).toBe(join(base, "sessions", "--srv-projects-app--"));
    expect(process.cwd()).not.toBe("/srv/projects/app");
  });

  it("files the session under the physical run dir, like pi's own lookup", () => {
    const base = scratch();
    mkdirSync(join(base, "real", "repo"), { recursive: true });
    symlinkSync(join(base, "real"), join(base, "link"));
    const env = { PI_CODING_AGENT_DIR: join(base, "agent") };
    const path = newPiSessionPath(join(base, "link", "repo"), env);
    expect(dirname(path)).toBe(join(base, "agent", "sessions", piSessionDirName(join(realpathSync(base), "real", "repo"))));
  });

  it("session path sanitizes windows separators", () => {
    const name = piSessionDirName("C:\\foo\\bar");
    expect(name).toBe("--C--foo-bar--");
    expect(name).not.toContain("\\");
    expect(name).not.toContain(":");
    expect(piSessionDirName("\\\\server\\share")).toBe("--server-share--");
  });

  it("resumes with --session <token> and presets nothing", () => {
    const resume = { engine: "pi", value: "01a20056-ad90-77ca-82f2-f8a5e4e3008c" };
    const prepared = piBackend.prepareRun(request({ resume }), { extra_args: [] }, { HOME: "/nonexistent-home-for-test" });
    expect(prepared.translatorContext.presetToken).toBeNull();
    expect(prepared.invocation.args).toEqual(["--print", "--mode", "json", "--session", resume.value]);
    expect(prepared.invocation.stdin).toBe("say hello");
    expect(existsSync("/nonexistent-home-for-test")).toBe(false);
  });

  it("orders extra args, provider, model (run options win) and session", () => {
    const config = { extra_args: ["--no-extensions", "--tools", "read,bash"], provider: "fake", model: "fake-model" };
    expect(buildPiArgs(request(), config, "tok")).toEqual([
      "--no-extensions",
      "--tools",
      "read,bash",
      "--print",
      "--mode",
      "json",
      "--provider",
      "fake",
      "--model",
      "fake-model",
      "--session",
      "tok",
    ]);
    expect(buildPiArgs(request({ options: { model: "other" } }), config, "tok")).toContain("other");
    expect(buildPiArgs(request({ options: { model: "other" } }), config, "tok")).not.toContain("fake-model");
  });

  it("sends prompts that pi's argv parser would take apart on stdin, as written", () => {
    // As arguments, `-v` is a flag and `@notes.md` a file to attach; on stdin both are text.
    for (const prompt of ["--version please", "-v", "@notes.md what is in it?"]) {
      const invocation = piBackend.prepareRun(request({ prompt, resume: { engine: "pi", value: "tok" } }), { extra_args: [] }, {}).invocation;
      expect(invocation.args).toEqual(["--print", "--mode", "json", "--session", "tok"]);
      expect(invocation.stdin).toBe(prompt);
    }
  });

  it("a 160 KiB prompt goes whole on stdin and leaves argv short", () => {
    const prompt = `summarize these\n\n${"forwarded message text. ".repeat(7000)}`;
    expect(prompt.length).toBeGreaterThan(160 * 1024);
    const invocation = piBackend.prepareRun(request({ prompt, resume: { engine: "pi", value: "tok" } }), { extra_args: [] }, {}).invocation;
    expect(invocation.stdin).toBe(prompt);
    expect(invocation.args.join(" ").length).toBeLessThan(100);
  });

  it("sets NO_COLOR and CI only when absent", () => {
    const env = { NO_COLOR: "0", PATH: "/bin" };
    expect(piEnv(env)).toEqual({ NO_COLOR: "0", CI: "1", PATH: "/bin" });
    expect(env).toEqual({ NO_COLOR: "0", PATH: "/bin" });
  });

  it("describes the CLI and validates its config", () => {
    expect(piBackend.id).toBe("pi");
    expect(piBackend.cliCommand).toBe("pi");
    expect(piBackend.installHint).toBe("npm install -g @mariozechner/pi-coding-agent");
    expect(piBackend.configSchema.parse({})).toEqual({ extra_args: [] });
    expect(piBackend.configSchema.parse({ extra_args: ["-a"], model: "m", provider: "p" })).toEqual({ extra_args: ["-a"], model: "m", provider: "p" });
    expect(piBackend.configSchema.safeParse({ extra_args: "-a" }).success).toBe(false);
    expect(piBackend.configSchema.safeParse({ provider: 1 }).success).toBe(false);
  });
});

describe("pi resume lines", () => {
  it("formats, quoting tokens with whitespace or double quotes", () => {
    expect(piBackend.formatResume({ engine: "pi", value: "01a20056-ad90" })).toBe("`pi --session 01a20056-ad90`");
    expect(piBackend.formatResume({ engine: "pi", value: "/home/me/my sessions/a.jsonl" })).toBe('`pi --session "/home/me/my sessions/a.jsonl"`');
    expect(quotePiToken('say "hi"')).toBe('"say \\"hi\\""');
    expect(() => piBackend.formatResume({ engine: "codex", value: "x" })).toThrow("resume token is for engine 'codex'");
  });

  it("extracts plain, backticked and quoted tokens; the last one wins", () => {
    expect(piBackend.extractResume("pi --session abc")).toEqual({ engine: "pi", value: "abc" });
    expect(piBackend.extractResume('`pi --session "/a b/c.jsonl"`')).toEqual({ engine: "pi", value: "/a b/c.jsonl" });
    expect(piBackend.extractResume("`pi --session '/a b/c.jsonl'`")).toEqual({ engine: "pi", value: "/a b/c.jsonl" });
    expect(piBackend.extractResume("`pi --session first`\ntext\n`pi --session second`")).toEqual({ engine: "pi", value: "second" });
    expect(piBackend.extractResume("see pi --session x above")).toBeNull();
    expect(piBackend.extractResume("pi --session")).toBeNull();
  });

  it("round-trips tokens with spaces and quotes", () => {
    for (const value of ["01a20056-ad90-77ca-82f2-f8a5e4e3008c", "/tmp/with space/s.jsonl", 'odd "quoted" name', "C:\\Users\\me\\s.jsonl"]) {
      const token = { engine: "pi", value };
      expect(piBackend.extractResume(`answer\n${piBackend.formatResume(token)}`)).toEqual(token);
    }
  });

  it("unquotes only one matching pair", () => {
    expect(unquotePiToken(' "abc" ')).toBe("abc");
    expect(unquotePiToken("\"abc'")).toBe("\"abc'");
    expect(unquotePiToken('"')).toBe('"');
    expect(piBackend.isResumeLine("`pi --session abc`")).toBe(true);
    expect(piBackend.isResumeLine("pi --resume abc")).toBe(false);
  });
});

/**
 * Streams recorded into the repo (test/fixtures/engines/pi_*.jsonl, e.g. retry and
 * cancel scenarios, with `<name>.meta.json` giving the exit). Expectations are read
 * from each recording itself, so new recordings are checked as they arrive.
 */
describe("pi recordings in test/fixtures/engines", () => {
  const files = recordingNames("pi");

  it("has our own pi recordings", () => {
    expect(files.length).toBeGreaterThan(0);
  });
  it.each(files)("%s", (name) => {
    const text = readRecording(name);
    const lines = parseJsonl(text);
    const exit = recordingExit(name);
    const events = run(text, { exit });
    const done = completedOf(events);
    const header = lines.find((line) => line.type === "session");
    if (typeof header?.id === "string") expect(startedTokens(events)).toEqual([header.id]);
    const retryEnd = lines.find((line) => line.type === "auto_retry_end");
    const retryStarts = lines.filter((line) => line.type === "auto_retry_start").length;
    const retryNotes = actionsOf(events).filter((event) => event.action.title.startsWith("retrying after error"));
    if (exit.exitCode !== 0) {
      expect(done.ok).toBe(false);
    } else if (retryEnd?.success === false) {
      expect(retryNotes).toHaveLength(retryStarts);
      expect(done).toMatchObject({ ok: false, error: retryEnd.finalError });
    } else if (retryEnd?.success === true) {
      expect(retryNotes).toHaveLength(retryStarts);
      expect(done.ok).toBe(true);
    }
    if (!lines.some((line) => line.type === "agent_end")) expect(done.ok).toBe(false);
  });
});
