import { describe, expect, it } from "vitest";
import { EventFactory, type TakopiEvent } from "../../../src/core/events.js";
import type { RunRequest } from "../../../src/engines/backend.js";
import { JsonlStream, SessionMismatchError } from "../../../src/engines/jsonl-stream.js";
import { buildOpenCodeArgs, opencodeBackend } from "../../../src/engines/opencode/index.js";
import { openCodeErrorMessage } from "../../../src/engines/opencode/translator.js";
import { replayText, type ReplayOptions } from "../../../src/engines/replay.js";
import { actionsOf, completedOf, jsonl, parseJsonl, readRecording, recordingExit, recordingNames, sharedFixture, startedTokens } from "../../support/recordings.js";

/** cwd of the recorded 1.18 runs (fixtures/engines/*.cmd.txt). */
const CWD = "$SCRATCH/engines/repo-opencode";

async function replay(text: string, options: ReplayOptions = {}): Promise<TakopiEvent[]> {
  return replayText(opencodeBackend, text, { cwd: CWD, ...options });
}

const SES = "ses_test1";
const stepStart = { type: "step_start", sessionID: SES, part: { type: "step-start" } };
const text = (value: string, id?: string) => ({ type: "text", sessionID: SES, part: { type: "text", text: value, ...(id ? { id } : {}) } });
const stepFinish = (reason?: string) => ({
  type: "step_finish",
  sessionID: SES,
  part: { type: "step-finish", ...(reason ? { reason } : {}), tokens: { input: 10, output: 2, reasoning: 1, cache: { read: 3, write: 0 } }, cost: 0.5 },
});
const tool = (status: string, extra: Record<string, unknown> = {}, name = "bash", input: unknown = { command: "ls" }) => ({
  type: "tool_use",
  sessionID: SES,
  part: { type: "tool", tool: name, callID: "call_1", id: "prt_1", state: { status, input, ...extra } },
});

describe("opencode fixtures (opencode 1.18.33)", () => {
  it("text: started on step_start, answer and usage from step_finish(stop)", async () => {
    const events = await replay(sharedFixture("engines/opencode_text.jsonl"));
    expect(events.map((event) => event.type)).toEqual(["started", "completed"]);
    expect(events[0]).toMatchObject({ type: "started", title: "opencode", resume: { engine: "opencode", value: "ses_dffa9025affes0dINCc7dApFGe" } });
    expect(completedOf(events)).toEqual({
      type: "completed",
      engine: "opencode",
      ok: true,
      answer: "hello from fake",
      resume: { engine: "opencode", value: "ses_dffa9025affes0dINCc7dApFGe" },
      error: null,
      usage: { tokens: { input: 42, output: 7, reasoning: 0, cache_read: 0, cache_write: 0 } },
    });
  });

  it("tool: one completed bash action, then the answer of the second step", async () => {
    const events = await replay(sharedFixture("engines/opencode_tool.jsonl"));
    expect(startedTokens(events)).toEqual(["ses_dffa8d670ffe3p0seHcSTwU0UF"]);
    expect(actionsOf(events)).toEqual([
      {
        type: "action",
        engine: "opencode",
        action: {
          id: "call_mwr0heh6klq1tr",
          kind: "command",
          title: "echo hi",
          detail: { name: "bash", input: { command: "echo hi" }, callID: "call_mwr0heh6klq1tr", output_preview: "hi\n", exit_code: 0 },
        },
        phase: "completed",
        ok: true,
      },
    ]);
    const done = completedOf(events);
    expect(done).toMatchObject({ ok: true, answer: "the command printed hi", error: null });
    // Usage adds up both steps.
    expect(done.usage).toEqual({ tokens: { input: 84, output: 14, reasoning: 0, cache_read: 0, cache_write: 0 } });
  });

  it("edit: the write tool is a file change; a path-like state.title is backticked", async () => {
    const events = await replay(sharedFixture("engines/opencode_edit.jsonl"));
    const [edit] = actionsOf(events);
    expect(edit).toMatchObject({
      phase: "completed",
      ok: true,
      action: {
        id: "call_mwr0hh5khlvuij",
        kind: "file_change",
        title: "`hello.txt`",
        detail: {
          name: "write",
          changes: [{ path: "$SCRATCH/engines/repo-opencode/hello.txt", kind: "update" }],
          output_preview: "Wrote file successfully.",
          exit_code: null,
        },
      },
    });
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "file written" });
  });

  it("resume: the announced session must be the resumed one", async () => {
    const resume = { engine: "opencode", value: "ses_dffa9025affes0dINCc7dApFGe" };
    const events = await replay(sharedFixture("engines/opencode_resume.jsonl"), { resume });
    expect(startedTokens(events)).toEqual([resume.value]);
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "resumed with history", resume });
    await expect(replay(sharedFixture("engines/opencode_resume.jsonl"), { resume: { engine: "opencode", value: "ses_other" } })).rejects.toThrow(
      SessionMismatchError,
    );
  });

  it("error401: a lone error line fails the run with the API message and HTTP status (exit 1)", async () => {
    const events = await replay(sharedFixture("engines/opencode_error401.jsonl"), { exit: { exitCode: 1 } });
    expect(events.map((event) => event.type)).toEqual(["started", "completed"]);
    expect(completedOf(events)).toEqual({
      type: "completed",
      engine: "opencode",
      ok: false,
      answer: "",
      resume: { engine: "opencode", value: "ses_dffa8bb27ffe4mvVPsJU96fOEQ" },
      error: "Incorrect API key provided (fake-llm 401) (HTTP 401)",
    });
  });
});

describe("opencode fixtures (upstream takopi, older OpenCode)", () => {
  it("opencode_run_json: completes at step_finish(stop); the later error line is dropped", async () => {
    const events = await replay(sharedFixture("takopi-upstream/opencode_run_json.jsonl"));
    expect(startedTokens(events)).toEqual(["ses_1f2e3d4c5b6aAbCdEfGhIjKlMn"]);
    expect(actionsOf(events).map((event) => [event.action.id, event.action.kind, event.action.title, event.ok])).toEqual([
      ["01J3Z2K7S0XQ9Y8W7V6U5T4R3S", "command", "Check ripgrep version", true],
    ]);
    // The old metadata spelled the exit code `exitCode`.
    expect(actionsOf(events)[0]?.action.detail.exit_code).toBe(0);
    expect(completedOf(events)).toMatchObject({
      ok: true,
      answer: "Found ripgrep 13.0.0.",
      usage: { total_cost_usd: 0.0123, tokens: { input: 534, output: 128, reasoning: 64, cache_read: 0, cache_write: 0 } },
    });
  });

  it("opencode_stream_success: state.title replaces the command; only the second step has text", async () => {
    const events = await replay(sharedFixture("takopi-upstream/opencode_stream_success.jsonl"));
    expect(startedTokens(events)).toEqual(["ses_494719016ffe85dkDMj0FPRbHK"]);
    expect(actionsOf(events).map((event) => [event.action.id, event.action.kind, event.action.title, event.ok])).toEqual([
      ["r9bQWsNLvOrJGIOz", "command", "Print hello to stdout", true],
    ]);
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "```\nhello\n```" });
  });

  it("opencode_stream_success_no_reason: a final step_finish without reason succeeds at EOF", async () => {
    const events = await replay(sharedFixture("takopi-upstream/opencode_stream_success_no_reason.jsonl"));
    expect(startedTokens(events)).toEqual(["ses_no_reason"]);
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "All done.", resume: { engine: "opencode", value: "ses_no_reason" }, error: null });
  });

  it("opencode_stream_error: a 429 error fails the run", async () => {
    const events = await replay(sharedFixture("takopi-upstream/opencode_stream_error.jsonl"));
    expect(startedTokens(events)).toEqual(["ses_error123"]);
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "", error: "Rate limit exceeded (HTTP 429)" });
  });
});

describe("opencode recordings (opencode 1.18.33, test/fixtures/engines)", () => {
  const recording = (name: string): { text: string; sessionId: string } => {
    const text = readRecording(name);
    const first = JSON.parse(text.split("\n")[0] ?? "") as { sessionID: string };
    return { text, sessionId: first.sessionID };
  };

  it.each(["opencode_sigterm_stream.jsonl", "opencode_sigterm_tool.jsonl"])("%s: a SIGTERM'd run (only step_start) fails with the signal", async (name) => {
    const { text, sessionId } = recording(name);
    const events = await replay(text, { cwd: "$REPO", exit: { exitCode: null, signal: "SIGTERM" } });
    expect(events.map((event) => event.type)).toEqual(["started", "action", "completed"]);
    expect(startedTokens(events)).toEqual([sessionId]);
    expect(actionsOf(events)[0]).toMatchObject({ action: { kind: "warning", title: "opencode failed (signal=SIGTERM)." }, ok: false });
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "", error: "opencode failed (signal=SIGTERM).", resume: { engine: "opencode", value: sessionId } });
  });

  it("opencode_reason: answers normally (this capture printed no reasoning part)", async () => {
    const { text, sessionId } = recording("opencode_reason.jsonl");
    const events = await replay(text, { cwd: "$REPO" });
    expect(startedTokens(events)).toEqual([sessionId]);
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "hello from fake" });
  });
});

describe("opencode translation", () => {
  it("concatenates text parts of one step and separates steps with a blank line", async () => {
    const events = await replay(
      jsonl(
        stepStart,
        text("Let me look.", "p1"),
        text(" Checking files.", "p2"),
        tool("completed", { output: "a\n", metadata: { exit: 0 } }),
        stepFinish("tool-calls"),
        stepStart,
        text("Found", "p3"),
        text(" two files.", "p4"),
        stepFinish("stop"),
      ),
    );
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "Let me look. Checking files.\n\nFound two files." });
  });

  it("a step_finish(tool-calls) does not complete the run", async () => {
    const events = await replay(jsonl(stepStart, text("partial"), stepFinish("tool-calls"), stepStart, text("final"), stepFinish("stop")));
    expect(completedOf(events)).toMatchObject({ answer: "partial\n\nfinal" });
    expect(completedOf(events).usage).toEqual({ total_cost_usd: 1, tokens: { input: 20, output: 4, reasoning: 2, cache_read: 6, cache_write: 0 } });
  });

  it("a text part printed twice replaces its text instead of repeating it", async () => {
    const events = await replay(jsonl(stepStart, text("draft", "p1"), text("final text", "p1"), stepFinish("stop")));
    expect(completedOf(events).answer).toBe("final text");
  });

  it("a reasoning part becomes a completed note action", async () => {
    const reasoning = { type: "reasoning", sessionID: SES, part: { id: "prt_r1", type: "reasoning", text: "**Planning** the answer\n" } };
    const events = await replay(jsonl(stepStart, reasoning, text("done"), stepFinish("stop")));
    expect(actionsOf(events)).toEqual([
      {
        type: "action",
        engine: "opencode",
        action: { id: "prt_r1", kind: "note", title: "**Planning** the answer", detail: {} },
        phase: "completed",
        ok: true,
      },
    ]);
    expect(completedOf(events).answer).toBe("done");
  });

  it("pending/running tools start an action that the completed state finishes", async () => {
    const events = await replay(
      jsonl(stepStart, tool("pending"), tool("running", { title: "List files" }), tool("completed", { output: "x", metadata: { exit: 0 } }), stepFinish("stop")),
    );
    expect(actionsOf(events).map((event) => [event.action.id, event.phase, event.action.title, event.ok])).toEqual([
      ["call_1", "started", "ls", undefined],
      ["call_1", "started", "List files", undefined],
      ["call_1", "completed", "ls", true],
    ]);
  });

  it("a non-zero exit code or an error state fails the tool action", async () => {
    const failing = tool("completed", { output: "boom", metadata: { exit: 2 } });
    const errored = { ...tool("error", { error: "permission denied" }), part: { ...tool("error", { error: "permission denied" }).part, callID: "call_2" } };
    const events = await replay(jsonl(stepStart, failing, errored, stepFinish("stop")));
    const [first, second] = actionsOf(events);
    expect(first).toMatchObject({ phase: "completed", ok: false, action: { id: "call_1", detail: { exit_code: 2, output_preview: "boom" } } });
    expect(second).toMatchObject({
      phase: "completed",
      ok: false,
      message: "permission denied",
      action: { id: "call_2", detail: { error: "permission denied", exit_code: null } },
    });
  });

  it("truncates the output preview to 500 characters", async () => {
    const events = await replay(jsonl(stepStart, tool("completed", { output: "x".repeat(600) }), stepFinish("stop")));
    expect(actionsOf(events)[0]?.action.detail.output_preview).toBe("x".repeat(500));
  });

  it("maps tool names with opencode's path keys; task is a plain tool", async () => {
    const read = tool("completed", {}, "read", { filePath: `${CWD}/src/a.ts` });
    const task = { ...tool("completed", {}, "task", { description: "explore the repo" }), part: { ...tool("completed", {}, "task", { description: "explore the repo" }).part, callID: "call_t" } };
    const events = await replay(jsonl(stepStart, read, task, stepFinish("stop")));
    expect(actionsOf(events).map((event) => [event.action.kind, event.action.title])).toEqual([
      ["tool", "read: `src/a.ts`"],
      ["tool", "explore the repo"],
    ]);
  });

  it("backticks a state.title only when it is the tool's path and has no backticks", async () => {
    const withTitle = (title: string, callID: string) => {
      const line = tool("completed", { title }, "read", { filePath: `${CWD}/src/a.ts` });
      return { ...line, part: { ...line.part, callID } };
    };
    const events = await replay(
      jsonl(stepStart, withTitle("src/a.ts", "c1"), withTitle(`${CWD}/src/a.ts`, "c2"), withTitle("`src/a.ts`", "c3"), withTitle("Read a file", "c4"), stepFinish("stop")),
    );
    expect(actionsOf(events).map((event) => event.action.title)).toEqual(["`src/a.ts`", `\`${CWD}/src/a.ts\``, "`src/a.ts`", "Read a file"]);
  });

  it("falls back to part.id for the action id and skips tools without any id", async () => {
    const noCall = tool("completed");
    const byPartId = { ...noCall, part: { ...noCall.part, callID: undefined } };
    const noIds = { ...noCall, part: { ...noCall.part, callID: undefined, id: undefined } };
    const events = await replay(jsonl(stepStart, byPartId, noIds, stepFinish("stop")));
    expect(actionsOf(events).map((event) => event.action.id)).toEqual(["prt_1"]);
  });

  it("takes the session id from the first line that has one", async () => {
    const events = await replay(jsonl({ type: "step_start", part: {} }, { ...text("hi"), sessionID: "ses_late" }, stepFinish("stop")));
    expect(startedTokens(events)).toEqual(["ses_late"]);
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "hi", resume: { engine: "opencode", value: "ses_late" } });
  });

  it("ignores unknown types and warns once per malformed known line", async () => {
    const events = await replay(jsonl(stepStart, { type: "session_idle", sessionID: SES }, { type: "text", sessionID: SES, part: { text: 42 } }, stepFinish("stop")));
    expect(actionsOf(events)).toHaveLength(1);
    expect(actionsOf(events)[0]).toMatchObject({
      phase: "completed",
      ok: false,
      level: "warning",
      action: { id: "opencode.note.1", kind: "warning", title: "opencode sent a malformed text event; ignoring it" },
    });
    expect(completedOf(events).ok).toBe(true);
  });

  it("never throws on odd JSON values", () => {
    const translator = opencodeBackend.createTranslator({
      cwd: null,
      resume: null,
      presetToken: null,
      title: null,
      meta: null,
      events: new EventFactory("opencode"),
      debug: () => undefined,
    });
    const odd: unknown[] = [
      null,
      0,
      -1.5,
      "text",
      true,
      [],
      [{ type: "text" }],
      {},
      { type: 5 },
      { type: "tool_use" },
      { type: "tool_use", part: 5 },
      { type: "tool_use", part: { state: null } },
      { type: "tool_use", sessionID: 7, part: { callID: 1, tool: [], state: { status: 3, input: "x", metadata: [] } } },
      { type: "text", part: { text: null } },
      { type: "reasoning", part: {} },
      { type: "step_finish", part: { reason: 1, tokens: { input: "many", cache: 3 }, cost: "free" } },
      { type: "step_finish", part: null },
      { type: "error", error: [1, 2] },
      { type: "error", error: { data: null, name: 3 } },
      { type: "error" },
    ];
    for (const value of odd) expect(() => translator.translate(value)).not.toThrow();
    expect(() => translator.finish({ exitCode: 0, signal: null, stderrTail: "" })).not.toThrow();
  });
});

describe("opencode error messages", () => {
  it.each([
    [{ error: { name: "APIError", data: { message: "bad key", statusCode: 401 } } }, "bad key (HTTP 401)"],
    [{ error: { name: "APIError", data: { message: "upstream down" } } }, "upstream down"],
    [{ error: { name: "ProviderAuthError", message: "no auth" } }, "no auth"],
    [{ error: { name: "UnknownError" } }, "UnknownError"],
    [{ error: {} }, "opencode error"],
    [{ error: "plain text" }, "plain text"],
    [{ message: "from message", error: "ignored" }, "from message"],
    [{ error: null }, "opencode error"],
    [{}, "opencode error"],
    [{ error: 42 }, "42"],
  ])("%j → %s", (line, expected) => {
    expect(openCodeErrorMessage(line)).toBe(expected);
  });
});

describe("opencode finish()", () => {
  it("a cancelled run (SIGTERM after step_start) fails with the signal and keeps the session", async () => {
    const events = await replay(jsonl(stepStart), { exit: { exitCode: null, signal: "SIGTERM" } });
    expect(events.map((event) => event.type)).toEqual(["started", "action", "completed"]);
    expect(actionsOf(events)[0]).toMatchObject({ action: { title: "opencode failed (signal=SIGTERM)." }, ok: false });
    expect(completedOf(events)).toMatchObject({ ok: false, error: "opencode failed (signal=SIGTERM).", resume: { engine: "opencode", value: SES } });
  });

  it("a non-zero exit keeps the text so far and appends the stderr tail to the error", async () => {
    const events = await replay(jsonl(stepStart, text("half an answer")), { exit: { exitCode: 1, stderrTail: "Error: Session not found" } });
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "half an answer", error: "opencode failed (rc=1).\nError: Session not found" });
  });

  it("exit 0 without any session id", async () => {
    const events = await replay("");
    expect(events).toEqual([
      { type: "completed", engine: "opencode", ok: false, answer: "", resume: null, error: "opencode finished but no session_id was captured" },
    ]);
  });

  it("exit 0 with a session but no step_finish", async () => {
    const events = await replay(jsonl(stepStart, text("cut short")));
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "cut short", error: "opencode finished without a result event" });
  });

  it("exit 0 after a step_finish without reason succeeds", async () => {
    const events = await replay(jsonl(stepStart, text("ok"), stepFinish()));
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "ok", error: null });
  });
});

describe("opencode prepareRun", () => {
  const request = (overrides: Partial<RunRequest> = {}): RunRequest => ({ prompt: "say hello", resume: null, cwd: "/repo", ...overrides });

  it("builds a new-session invocation with the prompt on stdin", () => {
    const env = { PATH: "/bin", HOME: "/home/me" };
    const run = opencodeBackend.prepareRun(request(), {}, env);
    expect(run).toEqual({
      invocation: { command: "opencode", args: ["run", "--format", "json", "--thinking"], stdin: "say hello", env: { PATH: "/bin", HOME: "/home/me" } },
      translatorContext: { presetToken: null, title: null },
    });
    expect(run.invocation.env).not.toBe(env);
  });

  it("titles the session with the model when one is chosen", () => {
    expect(opencodeBackend.prepareRun(request(), { model: "fake/fake-model" }, {}).translatorContext.title).toBe("fake/fake-model");
    expect(opencodeBackend.prepareRun(request({ options: { model: "x/y" } }), { model: "fake/fake-model" }, {}).translatorContext.title).toBe("x/y");
    const stream = new JsonlStream(opencodeBackend, { cwd: CWD, resume: null, title: "fake/fake-model" });
    const started = sharedFixture("engines/opencode_text.jsonl").split("\n").flatMap((line) => stream.line(line));
    expect(started[0]).toMatchObject({ type: "started", title: "fake/fake-model" });
  });

  it("adds --session when resuming and --model from config or the run options", () => {
    const resume = { engine: "opencode", value: "ses_abc123" };
    expect(buildOpenCodeArgs(request({ resume }), { model: "fake/fake-model" })).toEqual([
      "run",
      "--format",
      "json",
      "--thinking",
      "--session",
      "ses_abc123",
      "--model",
      "fake/fake-model",
    ]);
    expect(buildOpenCodeArgs(request({ options: { model: "openai/gpt-5" } }), { model: "fake/fake-model" })).toEqual([
      "run",
      "--format",
      "json",
      "--thinking",
      "--model",
      "openai/gpt-5",
    ]);
  });

  it("sends a prompt starting with a dash on stdin, where it cannot be read as a flag", () => {
    const invocation = opencodeBackend.prepareRun(request({ prompt: "--help me" }), {}, {}).invocation;
    expect(invocation.args).toEqual(["run", "--format", "json", "--thinking"]);
    expect(invocation.stdin).toBe("--help me");
  });

  it("a 160 KiB prompt goes whole on stdin and leaves argv short", () => {
    const prompt = `summarize these\n\n${"forwarded message text. ".repeat(7000)}`;
    expect(prompt.length).toBeGreaterThan(160 * 1024);
    const invocation = opencodeBackend.prepareRun(request({ prompt, resume: { engine: "opencode", value: "ses_abc123" } }), {}, {}).invocation;
    expect(invocation.stdin).toBe(prompt);
    expect(invocation.args).toEqual(["run", "--format", "json", "--thinking", "--session", "ses_abc123"]);
  });

  it("describes the CLI", () => {
    expect(opencodeBackend.id).toBe("opencode");
    expect(opencodeBackend.cliCommand).toBe("opencode");
    expect(opencodeBackend.installHint).toBe("npm install -g opencode-ai");
  });

  it("validates its config table", () => {
    expect(opencodeBackend.configSchema.parse({})).toEqual({});
    expect(opencodeBackend.configSchema.parse({ model: "a/b" })).toEqual({ model: "a/b" });
    expect(opencodeBackend.configSchema.safeParse({ model: 5 }).success).toBe(false);
  });
});

describe("opencode resume lines", () => {
  it("formats as inline code and rejects other engines' tokens", () => {
    expect(opencodeBackend.formatResume({ engine: "opencode", value: "ses_abc" })).toBe("`opencode --session ses_abc`");
    expect(() => opencodeBackend.formatResume({ engine: "codex", value: "ses_abc" })).toThrow("resume token is for engine 'codex'");
  });

  it("extracts --session and run -s forms, the last one winning", () => {
    const text = "`opencode --session ses_first`\nsome reply\n`opencode run -s ses_Second2`\n";
    expect(opencodeBackend.extractResume(text)).toEqual({ engine: "opencode", value: "ses_Second2" });
    expect(opencodeBackend.extractResume("  OpenCode --session ses_x1  ")).toEqual({ engine: "opencode", value: "ses_x1" });
    expect(opencodeBackend.extractResume("opencode run --session ses_abc")).toEqual({ engine: "opencode", value: "ses_abc" });
  });

  it("does not match other tokens or mid-sentence mentions", () => {
    expect(opencodeBackend.extractResume("opencode --session abc")).toBeNull();
    expect(opencodeBackend.extractResume("run `opencode --session ses_abc` later")).toBeNull();
    expect(opencodeBackend.extractResume("opencode --session")).toBeNull();
    expect(opencodeBackend.isResumeLine("`opencode --session ses_abc`")).toBe(true);
    expect(opencodeBackend.isResumeLine("codex resume ses_abc")).toBe(false);
  });

  it("round-trips a token", () => {
    const token = { engine: "opencode", value: "ses_dffa9025affes0dINCc7dApFGe" };
    expect(opencodeBackend.extractResume(`answer\n\n${opencodeBackend.formatResume(token)}`)).toEqual(token);
  });
});

/**
 * Streams recorded into the repo (test/fixtures/engines/opencode_*.jsonl, e.g. reasoning
 * and cancel scenarios, with `<name>.meta.json` giving the exit). Expectations are read
 * from each recording itself, so new recordings are checked as they arrive.
 */
describe("opencode recordings in test/fixtures/engines", () => {
  const files = recordingNames("opencode");

  it("has our own opencode recordings", () => {
    expect(files.length).toBeGreaterThan(0);
  });
  it.each(files)("%s", async (name) => {
    const text = readRecording(name);
    const lines = parseJsonl(text);
    const exit = recordingExit(name);
    const events = await replay(text, { exit });
    const done = completedOf(events);
    const session = lines.find((line) => typeof line.sessionID === "string")?.sessionID;
    expect(startedTokens(events)).toEqual(session === undefined ? [] : [session]);
    const stopAt = lines.findIndex((line) => line.type === "step_finish" && isRecord(line.part) && line.part.reason === "stop");
    const errorAt = lines.findIndex((line) => line.type === "error");
    const end = stopAt === -1 ? lines.length : stopAt;
    const reasoning = lines.slice(0, end).filter((line) => line.type === "reasoning" && isRecord(line.part) && typeof line.part.text === "string" && line.part.text.trim() !== "");
    expect(actionsOf(events).filter((event) => event.action.kind === "note")).toHaveLength(reasoning.length);
    if (stopAt !== -1 && (errorAt === -1 || stopAt < errorAt)) expect(done.ok).toBe(true);
    else if (errorAt !== -1 || exit.exitCode !== 0) expect(done.ok).toBe(false);
  });
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
