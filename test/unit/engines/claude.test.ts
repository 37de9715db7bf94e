import { describe, expect, it } from "vitest";
import { EventFactory } from "../../../src/core/events.js";
import type { RunRequest } from "../../../src/engines/backend.js";
import { claudeBackend } from "../../../src/engines/claude/index.js";
import { replayText } from "../../../src/engines/replay.js";
import { actionsOf, completedOf, eventLines, jsonl, readRecording, recordingExit, recordingNames, replaySharedRecording, sharedExitCode, sharedFixture, startedTokens } from "../../support/recordings.js";

/** The recordings' cwd (a placeholder kept in the JSON). */
const CWD = "$SCRATCH/engines/repo-claude";

const SESSION = "5e55-10n";
const INIT = { type: "system", subtype: "init", session_id: SESSION, model: "claude-test", cwd: "/repo", permissionMode: "default" };

function assistant(content: unknown[], parent: string | null = null): unknown {
  return { type: "assistant", message: { role: "assistant", content }, parent_tool_use_id: parent, session_id: SESSION };
}

function toolResult(id: string, content: unknown, isError?: boolean): unknown {
  const block = { type: "tool_result", tool_use_id: id, content, ...(isError === undefined ? {} : { is_error: isError }) };
  return { type: "user", message: { role: "user", content: [block] }, session_id: SESSION };
}

function result(fields: Record<string, unknown> = {}): unknown {
  return { type: "result", subtype: "success", is_error: false, session_id: SESSION, result: "done", num_turns: 1, ...fields };
}

const USAGE_84 = {
  input_tokens: 84,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  output_tokens: 14,
};

describe("claude fixtures (Claude Code 2.1.330)", () => {
  it("claude_text: started with model title and meta, answer and usage", async () => {
    const events = await replaySharedRecording(claudeBackend, "claude_text");
    expect(eventLines(events)).toEqual(["started 51a797ea-5a69-4b85-bf4f-b089ff6a0163 claude-opus-5-5", "completed ok=true"]);
    expect(events[0]).toMatchObject({
      meta: { cwd: CWD, permissionMode: "default", apiKeySource: "ANTHROPIC_API_KEY", output_style: "default", mcp_servers: [] },
    });
    const meta = (events[0] as { meta: Record<string, unknown> }).meta;
    expect(Object.keys(meta).sort()).toEqual(["apiKeySource", "cwd", "mcp_servers", "output_style", "permissionMode", "tools"]);
    expect(meta.tools).toContain("Bash");
    const done = completedOf(events);
    expect(done).toMatchObject({
      ok: true,
      answer: "hello from fake",
      error: null,
      resume: { engine: "claude", value: "51a797ea-5a69-4b85-bf4f-b089ff6a0163" },
      usage: { total_cost_usd: 0.000308, duration_ms: 173, duration_api_ms: 34, num_turns: 1, usage: { input_tokens: 42, output_tokens: 7 } },
    });
  });

  it("claude_tool: Bash tool_use → command action, completed by its tool_result", async () => {
    const events = await replaySharedRecording(claudeBackend, "claude_tool");
    expect(eventLines(events)).toEqual([
      "started db8c0583-61b1-447b-b76f-aad463bd7e6f claude-opus-5-5",
      "started command toolu_mwr0fyvhuiqrlm: echo hi",
      "completed command toolu_mwr0fyvhuiqrlm: echo hi ✓",
      "completed ok=true",
    ]);
    expect(actionsOf(events)[1]?.action.detail).toEqual({
      name: "Bash",
      input: { command: "echo hi", description: "Print hi" },
      tool_use_id: "toolu_mwr0fyvhuiqrlm",
      result_preview: "hi",
      result_len: 2,
      is_error: false,
    });
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "the command printed hi", usage: { num_turns: 2, usage: USAGE_84 } });
  });

  it("claude_edit: Write → file_change relative to cwd; a created file is an add", async () => {
    const events = await replaySharedRecording(claudeBackend, "claude_edit");
    expect(eventLines(events)).toEqual([
      "started 89f38891-abcb-4c19-8b99-2a033b5d67c4 claude-opus-5-5",
      "started file_change toolu_mwr0g168m0dpo7: hello.txt",
      "completed file_change toolu_mwr0g168m0dpo7: hello.txt ✓",
      "completed ok=true",
    ]);
    const path = "$SCRATCH/engines/repo-claude/hello.txt";
    expect(actionsOf(events)[0]?.action.detail.changes).toEqual([{ path, kind: "update" }]);
    expect(actionsOf(events)[1]?.action.detail).toMatchObject({ changes: [{ path, kind: "add" }], result_len: 134, is_error: false });
    expect(events[0]).toMatchObject({ meta: { permissionMode: "acceptEdits" } });
    expect(completedOf(events).answer).toBe("file written");
  });

  it("claude_resume: the resumed session keeps its id", async () => {
    const token = { engine: "claude", value: "51a797ea-5a69-4b85-bf4f-b089ff6a0163" };
    const events = await replaySharedRecording(claudeBackend, "claude_resume", { resume: token });
    expect(events[0]).toMatchObject({ type: "started", resume: token });
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "resumed with history", resume: token });
  });

  it("claude_error401: subtype success + is_error is a failure; the text is the error, not the answer", async () => {
    expect(sharedExitCode("claude_error401")).toBe(1);
    const events = await replaySharedRecording(claudeBackend, "claude_error401");
    expect(eventLines(events)).toEqual(["started b6419ceb-9997-43db-8071-72b00f7a4a63 claude-opus-5-5", "completed ok=false"]);
    expect(completedOf(events)).toMatchObject({
      ok: false,
      answer: "",
      error: "Invalid API key · Fix external API key (HTTP 401)",
      resume: { engine: "claude", value: "b6419ceb-9997-43db-8071-72b00f7a4a63" },
      usage: { total_cost_usd: 0, duration_ms: 150, num_turns: 1 },
    });
  });
});

describe("claude upstream fixture (Claude Code 2.0.75)", () => {
  const lines = sharedFixture("takopi-upstream/claude_stream_json_session.jsonl").split("\n");
  const second = lines.findIndex((line) => line.includes('"session_id":"bbbbbbbb'));
  const firstRun = lines.slice(0, second).join("\n");
  const secondRun = lines.slice(second).join("\n");

  it("session aaaa: two tools in one message, list content, answer from result", async () => {
    const events = await replayText(claudeBackend, firstRun, { cwd: "/home/alex/demo-project" });
    expect(eventLines(events)).toEqual([
      "started aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa claude-sonnet-4-5-20250929",
      "started command toolu_01BASH_LS_EXAMPLE: ls",
      "started file_change toolu_02: notes.md",
      "completed command toolu_01BASH_LS_EXAMPLE: ls ✓",
      "completed file_change toolu_02: notes.md ✓",
      "completed ok=true",
    ]);
    expect(events[0]).toMatchObject({
      meta: { mcp_servers: [{ name: "github", status: "connected" }, { name: "sentry", status: "error" }], cwd: "/home/alex/demo-project" },
    });
    expect(actionsOf(events)[2]?.action.detail).toMatchObject({ result_preview: "README.md\npyproject.toml\nsrc/\n", result_len: 30 });
    expect(completedOf(events)).toMatchObject({
      ok: true,
      answer: "I see README.md, pyproject.toml, and src/.",
      usage: { total_cost_usd: 0.012345, duration_ms: 2450, duration_api_ms: 2100, num_turns: 2 },
    });
  });

  it("the whole file stops at the first result", async () => {
    const events = await replayText(claudeBackend, lines.join("\n"));
    expect(completedOf(events).resume).toEqual({ engine: "claude", value: "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa" });
    expect(events.filter((event) => event.type === "started")).toHaveLength(1);
  });

  it("session bbbb: error_during_execution explains itself from errors[] and permission_denials[]", async () => {
    const events = await replayText(claudeBackend, secondRun);
    expect(eventLines(events)).toEqual([
      "started bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb claude-sonnet-4-5-20250929",
      "completed warning claude.note.1: permission denied: Write ✗",
      "completed ok=false",
    ]);
    expect(actionsOf(events)[0]?.action.detail).toEqual({ tool_name: "Write", tool_use_id: "toolu_01WRITE_SECRET_EXAMPLE", message: null });
    expect(events[0]).toMatchObject({ meta: { apiKeySource: "none" } });
    expect(completedOf(events)).toMatchObject({
      ok: false,
      answer: "",
      error: "claude run failed (error_during_execution): Permission denied: cannot write to /root/secret.txt",
      resume: { engine: "claude", value: "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb" },
    });
  });
});

describe("claude recordings in test/fixtures/engines", () => {
  const names = recordingNames("claude");

  it.runIf(names.length > 0).each(names)("%s replays to exactly one completed, last", async (name) => {
    const text = readRecording(name);
    const events = await replayText(claudeBackend, text, { exit: recordingExit(name) });
    completedOf(events);
    const init = /"subtype":"init"[^\n]*?"session_id":"([^"]+)"|"session_id":"([^"]+)"[^\n]*?"subtype":"init"/.exec(text);
    expect(startedTokens(events)).toEqual(init === null ? [] : [init[1] ?? init[2]]);
  });

  it.runIf(names.includes("claude_sigint_tool.jsonl"))("claude_sigint_tool: aborted tools end as a failed run", async () => {
    const name = "claude_sigint_tool.jsonl";
    const events = await replayText(claudeBackend, readRecording(name), { exit: recordingExit(name) });
    const done = completedOf(events);
    expect(done.ok).toBe(false);
    expect(done.answer).toBe("");
  });

  it.runIf(names.includes("claude_reason.jsonl"))("claude_reason: thinking is a note, the text is the answer", async () => {
    const events = await replayText(claudeBackend, readRecording("claude_reason.jsonl"));
    expect(actionsOf(events).some((event) => event.action.id === "claude.thinking.1" && event.action.kind === "note")).toBe(true);
    expect(completedOf(events).ok).toBe(true);
  });
});

describe("claude translation", () => {
  it("system/permission_denied becomes a warning that names the tool and says why", async () => {
    const denied = {
      type: "system",
      subtype: "permission_denied",
      tool_name: "Write",
      tool_use_id: "toolu_w",
      message: "Claude requested permissions to write to /repo/x, but you haven't granted it yet.",
    };
    const events = await replayText(
      claudeBackend,
      jsonl(
        INIT,
        assistant([{ type: "tool_use", id: "toolu_w", name: "Write", input: { file_path: "/repo/x", content: "" } }]),
        toolResult("toolu_w", "Claude requested permissions to write to /repo/x, but you haven't granted it yet.", true),
        denied,
        result({ permission_denials: [{ tool_name: "Write", tool_use_id: "toolu_w", tool_input: {} }] }),
      ),
      { cwd: "/repo" },
    );
    expect(eventLines(events)).toEqual([
      `started ${SESSION} claude-test`,
      "started file_change toolu_w: x",
      "completed file_change toolu_w: x ✗",
      "completed warning claude.note.1: permission denied: Write ✗",
      "completed ok=true",
    ]);
    expect(actionsOf(events)[2]).toMatchObject({
      level: "warning",
      action: { detail: { tool_name: "Write", tool_use_id: "toolu_w", message: denied.message } },
    });
  });

  it("thinking blocks are numbered notes; empty thinking is skipped", async () => {
    const events = await replayText(
      claudeBackend,
      jsonl(
        INIT,
        { type: "system", subtype: "thinking_tokens", estimated_tokens: 6 },
        assistant([{ type: "thinking", thinking: "**Planning** the answer", signature: "sig1" }]),
        assistant([{ type: "thinking", thinking: "   ", signature: "sig2" }]),
        assistant([{ type: "thinking", thinking: "second thought" }]),
        assistant([{ type: "text", text: "answer" }]),
        result({ result: "" }),
      ),
    );
    expect(eventLines(events)).toEqual([
      `started ${SESSION} claude-test`,
      "completed note claude.thinking.1: **Planning** the answer ✓",
      "completed note claude.thinking.2: second thought ✓",
      "completed ok=true",
    ]);
    expect(actionsOf(events)[0]?.action.detail).toEqual({ signature: "sig1" });
    expect(completedOf(events).answer).toBe("answer");
  });

  it("a Task tool is a subagent; the subagent's own text is never the answer", async () => {
    const events = await replayText(
      claudeBackend,
      jsonl(
        INIT,
        assistant([
          { type: "text", text: "Let me delegate." },
          { type: "tool_use", id: "task1", name: "Task", input: { description: "find the bug", prompt: "look" } },
        ]),
        assistant([{ type: "tool_use", id: "inner", name: "Grep", input: { pattern: "TODO" } }], "task1"),
        assistant([{ type: "text", text: "subagent report" }], "task1"),
        toolResult("task1", [{ type: "text", text: "found it" }]),
        result({ result: "" }),
      ),
    );
    expect(eventLines(events)).toEqual([
      `started ${SESSION} claude-test`,
      "started subagent task1: find the bug",
      "started tool inner: grep: TODO",
      "completed subagent task1: find the bug ✓",
      "completed ok=true",
    ]);
    expect(actionsOf(events)[1]?.action.detail).toMatchObject({ parent_tool_use_id: "task1" });
    expect(completedOf(events).answer).toBe("Let me delegate.");
  });

  it("tool results: list content joined, preview capped at 2000 chars, errors not ok, unknown ids synthesized", async () => {
    const long = "x".repeat(2500);
    const events = await replayText(
      claudeBackend,
      jsonl(
        INIT,
        assistant([{ type: "tool_use", id: "r1", name: "Read", input: { file_path: "/repo/a.ts" } }]),
        toolResult("r1", [{ type: "text", text: "line1" }, { type: "image", source: {} }, { type: "text", text: "line2" }]),
        assistant([{ type: "tool_use", id: "b1", name: "Bash", input: { command: "cat /repo/big" } }]),
        toolResult("b1", long, true),
        toolResult("ghost", null),
      ),
      { cwd: "/repo" },
    );
    expect(eventLines(events)).toEqual([
      `started ${SESSION} claude-test`,
      "started tool r1: read: `a.ts`",
      "completed tool r1: read: `a.ts` ✓",
      "started command b1: cat big",
      "completed command b1: cat big ✗",
      "completed tool ghost: tool result ✓",
      "completed ok=false",
    ]);
    const actions = actionsOf(events);
    expect(actions[1]?.action.detail).toMatchObject({ result_preview: "line1\nline2", result_len: 11, is_error: false });
    expect(actions[3]?.action.detail).toMatchObject({ result_preview: "x".repeat(2000), result_len: 2500, is_error: true });
    expect(actions[4]?.action.detail).toEqual({ tool_use_id: "ghost", result_preview: "", result_len: 0, is_error: false });
  });

  it("an ok result with an empty text answers with the last assistant text", async () => {
    const events = await replayText(claudeBackend, jsonl(INIT, assistant([{ type: "text", text: "first" }]), assistant([{ type: "text", text: "last" }]), result({ result: "" })));
    expect(completedOf(events)).toMatchObject({ ok: true, answer: "last", error: null });
  });

  it("a failed result without text names its subtype and HTTP status", async () => {
    const events = await replayText(
      claudeBackend,
      jsonl(INIT, assistant([{ type: "text", text: "partial" }]), result({ subtype: "error_max_turns", is_error: true, result: "", api_error_status: 500 })),
    );
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "", error: "claude run failed (error_max_turns) (HTTP 500)" });
  });

  it("a result without is_error falls back to the subtype", async () => {
    const ok = await replayText(claudeBackend, jsonl(INIT, { type: "result", subtype: "success", session_id: SESSION, result: "fine" }));
    expect(completedOf(ok)).toMatchObject({ ok: true, answer: "fine" });
    const bad = await replayText(claudeBackend, jsonl(INIT, { type: "result", subtype: "error_during_execution", session_id: SESSION }));
    expect(completedOf(bad)).toMatchObject({ ok: false, error: "claude run failed (error_during_execution)" });
  });

  it("an unknown resume id (a lone result line) fails with the session it named", async () => {
    const token = { engine: "claude", value: "no-such-session" };
    const events = await replayText(
      claudeBackend,
      jsonl({ type: "result", subtype: "error_during_execution", is_error: true, session_id: "no-such-session", errors: [{ message: "No conversation found" }] }),
      { resume: token, exit: { exitCode: 1 } },
    );
    expect(eventLines(events)).toEqual(["completed ok=false"]);
    expect(completedOf(events)).toMatchObject({ error: "claude run failed (error_during_execution): No conversation found", resume: token });
  });

  it("ignores other system subtypes, partial-message and control events; unknown types only debug", async () => {
    const debug: string[] = [];
    const events = await replayText(
      claudeBackend,
      jsonl(
        INIT,
        { type: "system", subtype: "api_retry", attempt: 1, max_retries: 10 },
        { type: "system", subtype: "status" },
        { type: "stream_event", event: { type: "message_start" } },
        { type: "control_request", request: {} },
        { type: "rate_limit_event", info: {} },
        assistant([{ type: "server_tool_use", id: "s1" }]),
        { type: "user", message: { role: "user", content: "[Request interrupted by user for tool use]" } },
        result(),
      ),
      { debug: (text) => debug.push(text) },
    );
    expect(eventLines(events)).toEqual([`started ${SESSION} claude-test`, "completed ok=true"]);
    expect(debug).toEqual([
      "claude: ignoring system event",
      "claude: ignoring system event",
      "claude: ignoring unknown event type",
      "claude: ignoring assistant content block",
    ]);
  });

  it("a known type that fails its schema costs one warning", async () => {
    const events = await replayText(
      claudeBackend,
      jsonl(
        { type: "system", subtype: "init", model: "m" },
        INIT,
        { type: "assistant", message: "hello" },
        assistant([{ type: "tool_use", name: "Bash" }]),
        result(),
      ),
    );
    expect(eventLines(events)).toEqual([
      "completed warning claude.note.1: invalid system/init event from claude; ignoring it ✗",
      `started ${SESSION} claude-test`,
      "completed warning claude.note.2: invalid assistant event from claude; ignoring it ✗",
      "completed warning claude.note.3: invalid tool_use block event from claude; ignoring it ✗",
      "completed ok=true",
    ]);
  });

  it("translate never throws on odd JSON values", () => {
    const events = new EventFactory("claude");
    const translator = claudeBackend.createTranslator({ cwd: "/repo", resume: null, presetToken: null, title: null, meta: null, events, debug: () => undefined });
    const odd: unknown[] = [
      null,
      42,
      "result",
      false,
      [],
      [INIT],
      {},
      { type: 1 },
      { type: "system" },
      { type: "system", subtype: 5 },
      { type: "system", subtype: "init", session_id: 5 },
      { type: "system", subtype: "permission_denied", tool_name: ["x"] },
      { type: "assistant" },
      { type: "assistant", message: { content: "text" } },
      { type: "assistant", message: { content: [null, 1, "x", { type: "text" }, { type: "thinking" }, { type: "tool_use", id: "t", name: "Edit", input: "nope" }] } },
      { type: "user", message: null },
      { type: "user", message: { content: [null, { type: "tool_result" }, { type: "tool_result", tool_use_id: "t", content: { odd: true } }] } },
      { type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t2", content: [1, null, { text: 3 }] }] }, tool_use_result: "x" },
      { type: "result", is_error: "yes", errors: "many", usage: [], permission_denials: [null, 1, { tool_name: 2 }] },
    ];
    for (const value of odd) expect(() => translator.translate(value)).not.toThrow();
    expect(() => translator.translate(INIT)).not.toThrow();
    expect(() => translator.translate({ ...INIT, session_id: "another" })).not.toThrow();
    expect(() => translator.finish({ exitCode: null, signal: null, stderrTail: "" })).not.toThrow();
  });

  it("a second, different session id is left to the stream wrapper's session check", async () => {
    await expect(replayText(claudeBackend, jsonl(INIT, { ...INIT, session_id: "another" }))).rejects.toThrow(
      `claude emitted session id another but expected ${SESSION}`,
    );
  });
});

describe("claude finish (stdout closed without result)", () => {
  it("rc≠0: a warning note and a failed completed with the stderr tail", async () => {
    const events = await replayText(claudeBackend, jsonl(INIT, assistant([{ type: "text", text: "working" }])), {
      exit: { exitCode: 1, stderrTail: "No conversation found with session ID: x" },
    });
    expect(eventLines(events)).toEqual([`started ${SESSION} claude-test`, "completed warning claude.note.1: claude failed (rc=1). ✗", "completed ok=false"]);
    expect(completedOf(events)).toMatchObject({
      ok: false,
      answer: "",
      error: "claude failed (rc=1).\nNo conversation found with session ID: x",
      resume: { engine: "claude", value: SESSION },
    });
  });

  it("SIGTERM: exit 143 after the init line (the real cancel shape)", async () => {
    const events = await replayText(claudeBackend, jsonl(INIT), { exit: { exitCode: 143 } });
    expect(completedOf(events)).toMatchObject({ ok: false, error: "claude failed (rc=143).", resume: { value: SESSION } });
  });

  it("killed by a signal: the signal is named", async () => {
    const events = await replayText(
      claudeBackend,
      jsonl(INIT, assistant([{ type: "tool_use", id: "b", name: "Bash", input: { command: "sleep 60" } }])),
      { exit: { exitCode: null, signal: "SIGKILL" } },
    );
    expect(eventLines(events).slice(-2)).toEqual(["completed warning claude.note.1: claude failed (signal=SIGKILL). ✗", "completed ok=false"]);
    expect(completedOf(events).error).toBe("claude failed (signal=SIGKILL).");
  });

  it("rc=0 with a session but no result: failed, with the last text as the answer", async () => {
    const events = await replayText(claudeBackend, jsonl(INIT, assistant([{ type: "text", text: "almost" }])));
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "almost", error: "claude finished without a result event" });
  });

  it("rc=0 without any session", async () => {
    const events = await replayText(claudeBackend, "");
    expect(completedOf(events)).toMatchObject({ ok: false, answer: "", error: "claude finished but no session_id was captured", resume: null });
  });
});

describe("claude argv and environment", () => {
  const defaults = claudeBackend.configSchema.parse({});
  const request = (extra: Partial<RunRequest> = {}): RunRequest => ({ prompt: "say hello", resume: null, cwd: "/repo", ...extra });

  it("defaults: the prompt on stdin as a stream-json user message, not in argv; default allowed tools", () => {
    const prepared = claudeBackend.prepareRun(request(), defaults, { PATH: "/bin" });
    expect(prepared.invocation).toEqual({
      command: "claude",
      args: ["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--replay-user-messages", "--allowedTools", "Bash,Read,Edit,Write"],
      stdin: `${JSON.stringify({ type: "user", message: { role: "user", content: "say hello" }, parent_tool_use_id: null, session_id: "" })}\n`,
      env: { PATH: "/bin" },
    });
    expect(prepared.translatorContext).toEqual({ presetToken: null, title: null });
  });

  it("every option, in order", () => {
    const config = claudeBackend.configSchema.parse({
      model: "claude-config",
      allowed_tools: ["Bash", "WebSearch"],
      dangerously_skip_permissions: true,
      permission_mode: "acceptEdits",
    });
    const prepared = claudeBackend.prepareRun(
      request({ prompt: "--help me", resume: { engine: "claude", value: "sess-1" }, options: { model: "claude-chat", reasoning: "high" } }),
      config,
      {},
    );
    expect(prepared.invocation.args).toEqual([
      "-p",
      "--input-format",
      "stream-json",
      "--output-format",
      "stream-json",
      "--verbose",
      "--replay-user-messages",
      "--resume",
      "sess-1",
      "--model",
      "claude-chat",
      "--effort",
      "high",
      "--allowedTools",
      "Bash,WebSearch",
      "--permission-mode",
      "acceptEdits",
      "--dangerously-skip-permissions",
    ]);
    // A prompt that looks like a flag is stdin text: nothing for --allowedTools or the parser to take.
    expect(JSON.parse(prepared.invocation.stdin ?? "")).toMatchObject({ type: "user", message: { content: "--help me" } });
  });

  it("a 160 KiB prompt goes whole on stdin and leaves argv short", () => {
    const prompt = `summarize these\n\n${"forwarded message text. ".repeat(7000)}`;
    expect(prompt.length).toBeGreaterThan(160 * 1024);
    const invocation = claudeBackend.prepareRun(request({ prompt }), defaults, {}).invocation;
    expect(invocation.stdin?.endsWith("\n")).toBe(true);
    expect(invocation.stdin?.slice(0, -1)).not.toContain("\n");
    expect(JSON.parse(invocation.stdin ?? "")).toMatchObject({ message: { content: prompt } });
    expect(invocation.args.join(" ").length).toBeLessThan(200);
  });

  it("an empty allowed_tools list omits the flag; the config model is the default", () => {
    const config = claudeBackend.configSchema.parse({ allowed_tools: [], model: "claude-config" });
    expect(claudeBackend.prepareRun(request(), config, {}).invocation.args).toEqual([
      "-p",
      "--input-format",
      "stream-json",
      "--output-format",
      "stream-json",
      "--verbose",
      "--replay-user-messages",
      "--model",
      "claude-config",
    ]);
  });

  it("a reasoning override becomes --effort, after the model", () => {
    const args = claudeBackend.prepareRun(request({ options: { model: "claude-x", reasoning: "xhigh" } }), defaults, {}).invocation.args;
    expect(args.slice(7, 11)).toEqual(["--model", "claude-x", "--effort", "xhigh"]);
    expect(claudeBackend.capabilities?.reasoning).toEqual(["low", "medium", "high", "xhigh", "max"]);
  });

  it("strips ANTHROPIC_API_KEY unless use_api_billing", () => {
    const env = { PATH: "/bin", ANTHROPIC_API_KEY: "sk-ant-secret", ANTHROPIC_BASE_URL: "http://x" };
    const stripped = claudeBackend.prepareRun(request(), defaults, env).invocation.env;
    expect(stripped).toEqual({ PATH: "/bin", ANTHROPIC_BASE_URL: "http://x" });
    expect(env.ANTHROPIC_API_KEY).toBe("sk-ant-secret");
    const billing = claudeBackend.configSchema.parse({ use_api_billing: true });
    expect(claudeBackend.prepareRun(request(), billing, env).invocation.env).toEqual(env);
  });

  it("refuses a token from another engine", () => {
    expect(() => claudeBackend.prepareRun(request({ resume: { engine: "codex", value: "x" } }), defaults, {})).toThrow(
      "resume token is for engine 'codex', not 'claude'",
    );
  });

  it("names the CLI and how to install it", () => {
    expect(claudeBackend.id).toBe("claude");
    expect(claudeBackend.cliCommand).toBe("claude");
    expect(claudeBackend.installHint).toBe("npm install -g @anthropic-ai/claude-code");
  });
});

describe("claude config", () => {
  it("{} gives the defaults", () => {
    expect(claudeBackend.configSchema.parse({})).toEqual({
      allowed_tools: ["Bash", "Read", "Edit", "Write"],
      dangerously_skip_permissions: false,
      use_api_billing: false,
    });
  });

  it("rejects wrong types", () => {
    expect(claudeBackend.configSchema.safeParse({ allowed_tools: "Bash" }).success).toBe(false);
    expect(claudeBackend.configSchema.safeParse({ dangerously_skip_permissions: "yes" }).success).toBe(false);
    expect(claudeBackend.configSchema.safeParse({ use_api_billing: 1 }).success).toBe(false);
    expect(claudeBackend.configSchema.safeParse({ model: 5 }).success).toBe(false);
    expect(claudeBackend.configSchema.safeParse({ permission_mode: "" }).success).toBe(false);
  });
});

describe("claude resume lines", () => {
  it("formats as inline code", () => {
    expect(claudeBackend.formatResume({ engine: "claude", value: "51a797ea-5a69-4b85-bf4f-b089ff6a0163" })).toBe(
      "`claude --resume 51a797ea-5a69-4b85-bf4f-b089ff6a0163`",
    );
    expect(() => claudeBackend.formatResume({ engine: "codex", value: "x" })).toThrow("resume token is for engine 'codex'");
  });

  it("extracts --resume and -r, last one wins, backticks optional", () => {
    expect(claudeBackend.extractResume("`claude --resume one`\nthen\nclaude -r two")).toEqual({ engine: "claude", value: "two" });
    expect(claudeBackend.extractResume("claude --resume abc")).toEqual({ engine: "claude", value: "abc" });
  });

  it("ignores mid-sentence mentions and malformed lines", () => {
    expect(claudeBackend.extractResume("try claude --resume abc later")).toBeNull();
    expect(claudeBackend.extractResume("`claude --resume`")).toBeNull();
    expect(claudeBackend.extractResume("`codex resume abc`")).toBeNull();
    expect(claudeBackend.isResumeLine("  `claude -r abc`  ")).toBe(true);
    expect(claudeBackend.isResumeLine("claude --continue")).toBe(false);
  });
});
