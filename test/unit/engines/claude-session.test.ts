/**
 * The pure parts of claude's stream-json session: which configs ask the
 * chat, how a `can_use_tool` request is shown, how an answer goes back to
 * claude, and the input bookkeeping that decides which `result` ends a run.
 * The session against the real CLI is test/integration/claude-session.test.ts.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { Decider, InteractionAnswer, InteractionRequest } from "../../../src/core/interaction.js";
import claudeBackend, { asksPermission } from "../../../src/engines/claude/index.js";
import { SessionApprovals } from "../../../src/engines/claude/approvals.js";
import { interactionFor, permissionResult, ruleApproves, sessionRuleFor } from "../../../src/engines/claude/permissions.js";
import { CanUseToolSchema, type CanUseTool } from "../../../src/engines/claude/protocol.js";
import { SessionInput } from "../../../src/engines/claude/session-input.js";
import { ClaudeSessionRunner } from "../../../src/engines/claude/session-runner.js";
import { engineCapabilities } from "../../../src/engines/backend.js";

const config = (table: Record<string, unknown>) => claudeBackend.configSchema.parse(table);
const args = (table: Record<string, unknown>) => claudeBackend.prepareRun({ prompt: "hi", resume: null, cwd: "/repo" }, config(table), {}).invocation.args;
const canUse = (request: Record<string, unknown>): CanUseTool => CanUseToolSchema.parse(request);
const alice: Decider = { userId: 7, name: "@alice" };
const nobody: Decider = { userId: null, name: null };

describe("claude permission prompts: which runs ask the chat", () => {
  it("default, acceptEdits and plan route claude's questions to takopi (--permission-prompt-tool stdio)", () => {
    for (const mode of ["default", "acceptEdits", "plan"]) {
      expect(asksPermission(config({ permission_mode: mode }))).toBe(true);
      expect(args({ permission_mode: mode }).slice(-4)).toEqual(["--permission-mode", mode, "--permission-prompt-tool", "stdio"]);
      expect(args({ permission_mode: mode, allowed_tools: ["Read"] }).slice(-2)).toEqual(["--settings", '{"permissions":{"ask":["Bash"]}}']);
    }
  });

  it("no mode, a mode that never asks, or dangerously_skip_permissions: claude -p decides alone", () => {
    expect(asksPermission(config({}))).toBe(false);
    expect(asksPermission(config({ permission_mode: "bypassPermissions" }))).toBe(false);
    expect(asksPermission(config({ permission_mode: "default", dangerously_skip_permissions: true }))).toBe(false);
    expect(args({})).not.toContain("--permission-prompt-tool");
  });

  it("allowed_tools stay pre-approved; without Bash among them every Bash call asks, read-only ones too", () => {
    expect(args({ permission_mode: "default" })).toContain("--allowedTools");
    expect(args({ permission_mode: "default" })).not.toContain("--settings");
    expect(args({ permission_mode: "default", allowed_tools: ["Bash(git status:*)"] })).not.toContain("--settings");
    const none = args({ permission_mode: "default", allowed_tools: [] });
    expect(none).not.toContain("--allowedTools");
    expect(none.slice(-2)).toEqual(["--settings", '{"permissions":{"ask":["Bash"]}}']);
    expect(args({ allowed_tools: [] })).not.toContain("--settings");
  });

  it("declares approvals and steering, and runs every prompt as a session", () => {
    expect(engineCapabilities(claudeBackend)).toEqual({ reasoning: ["low", "medium", "high", "xhigh", "max"], approvals: true, steer: true });
    expect(claudeBackend.createRunner?.({ backend: claudeBackend, config: config({}) })).toBeInstanceOf(ClaudeSessionRunner);
  });
});

describe("claude can_use_tool as an interaction request", () => {
  const context = { cwd: "/repo", plan: null };

  it("Bash: the command, the run's directory and claude's description", () => {
    const request = canUse({ tool_name: "Bash", input: { command: "touch x", description: "Create x" }, description: "Create x" });
    expect(interactionFor(request, context)).toEqual({ kind: "command", command: "touch x", cwd: "/repo", reason: "Create x" });
  });

  it("Write and Edit: the file and a short diff", () => {
    expect(interactionFor(canUse({ tool_name: "Write", input: { file_path: "/repo/a.txt", content: "one\ntwo\n" } }), context)).toEqual({
      kind: "files",
      files: ["/repo/a.txt"],
      diff: "+one\n+two",
      reason: null,
    });
    const edit = interactionFor(canUse({ tool_name: "Edit", input: { file_path: "/repo/a.txt", old_string: "one", new_string: "uno" } }), context);
    expect(edit).toMatchObject({ kind: "files", diff: "-one\n+uno" });
    const long = interactionFor(canUse({ tool_name: "Write", input: { file_path: "/repo/big", content: "x".repeat(5000) } }), context);
    expect(long.kind === "files" && long.diff !== null && long.diff.length < 1600).toBe(true);
  });

  it("AskUserQuestion: each question keyed by its text, with its options", () => {
    const request = canUse({
      tool_name: "AskUserQuestion",
      input: { questions: [{ question: "Which color?", header: "Color", options: [{ label: "Red", description: "warm" }, { label: "Blue" }], multiSelect: true }] },
    });
    expect(interactionFor(request, context)).toEqual({
      kind: "question",
      questions: [{ id: "Which color?", header: "Color", question: "Which color?", options: [{ label: "Red", description: "warm" }, { label: "Blue", description: null }], multiSelect: true }],
    });
  });

  it("ExitPlanMode: the plan claude showed with the call (its request carries none)", () => {
    const request = canUse({ tool_name: "ExitPlanMode", input: {} });
    expect(interactionFor(request, { cwd: "/repo", plan: "1. do it" })).toEqual({ kind: "plan", plan: "1. do it" });
    expect(interactionFor(request, context)).toEqual({ kind: "plan", plan: "(claude did not show the plan)" });
  });

  it("any other tool: its name and its input on one line", () => {
    expect(interactionFor(canUse({ tool_name: "WebFetch", input: { url: "https://example.com" } }), context)).toEqual({
      kind: "tool",
      tool: "WebFetch",
      summary: '{"url":"https://example.com"}',
    });
  });
});

describe("answers as claude permission results", () => {
  const bash = canUse({
    tool_name: "Bash",
    input: { command: "touch x" },
    permission_suggestions: [{ type: "addRules", rules: [{ toolName: "Bash", ruleContent: "touch x" }], behavior: "allow", destination: "localSettings" }],
  });
  const asked: InteractionRequest = { kind: "command", command: "touch x", cwd: "/repo", reason: null };
  const answer = (decision: "approve" | "approve_session" | "deny" | "stop", by = alice, note?: string): InteractionAnswer => ({
    kind: "approval",
    decision,
    by,
    ...(note !== undefined ? { note } : {}),
  });

  it("approve: allow with the input as it was", () => {
    expect(permissionResult(bash, asked, answer("approve"))).toEqual({ behavior: "allow", updatedInput: { command: "touch x" } });
  });

  it("approve for the session: claude's own rule, kept for this session only (never written to the project's settings)", () => {
    expect(permissionResult(bash, asked, answer("approve_session"))).toEqual({
      behavior: "allow",
      updatedInput: { command: "touch x" },
      updatedPermissions: [{ type: "addRules", rules: [{ toolName: "Bash", ruleContent: "touch x" }], behavior: "allow", destination: "session" }],
    });
    const bare = canUse({ tool_name: "WebFetch", input: {} });
    expect(permissionResult(bare, asked, answer("approve_session"))).toMatchObject({ updatedPermissions: [{ rules: [{ toolName: "WebFetch" }], destination: "session" }] });
  });

  it("deny lets the turn go on with a message saying who refused; stop also interrupts the turn", () => {
    expect(permissionResult(bash, asked, answer("deny", alice, "not now"))).toEqual({ behavior: "deny", message: "Denied from the chat by @alice: not now" });
    expect(permissionResult(bash, asked, answer("deny", nobody, "nobody answered in 600 s"))).toEqual({ behavior: "deny", message: "Denied by takopi: nobody answered in 600 s" });
    expect(permissionResult(bash, asked, answer("stop"))).toEqual({ behavior: "deny", message: "Stopped from the chat by @alice.", interrupt: true });
  });

  it("answers to questions go back under the question text; no answer is a deny", () => {
    const ask = canUse({ tool_name: "AskUserQuestion", input: { questions: [{ question: "Which?" }] } });
    const question: InteractionRequest = { kind: "question", questions: [] };
    expect(permissionResult(ask, question, { kind: "answers", answers: { "Which?": ["Red", "Blue"] }, by: alice })).toEqual({
      behavior: "allow",
      updatedInput: { questions: [{ question: "Which?" }], answers: { "Which?": "Red, Blue" } },
    });
    expect(permissionResult(ask, question, { kind: "answers", answers: {}, by: nobody })).toMatchObject({ behavior: "deny" });
  });

  it("a plan approved leaves plan mode; kept, the note is claude's feedback", () => {
    const exit = canUse({ tool_name: "ExitPlanMode", input: {} });
    const plan: InteractionRequest = { kind: "plan", plan: "p" };
    expect(permissionResult(exit, plan, { kind: "plan", approve: true, by: alice })).toEqual({ behavior: "allow", updatedInput: {} });
    expect(permissionResult(exit, plan, { kind: "plan", approve: false, by: alice, note: "add tests" })).toEqual({ behavior: "deny", message: "Keep planning: add tests" });
  });
});

describe("approvals for a session, remembered by takopi", () => {
  const bash = (command: string) => canUse({ tool_name: "Bash", input: { command } });

  it("a Bash command is approved exactly; another tool as a whole; questions and plans never", () => {
    expect(sessionRuleFor(bash("npm test"))).toEqual({ toolName: "Bash", ruleContent: "npm test" });
    expect(ruleApproves(sessionRuleFor(bash("npm test")), bash("npm test"))).toBe(true);
    expect(ruleApproves(sessionRuleFor(bash("npm test")), bash("npm test && rm -rf /"))).toBe(false);
    const write = canUse({ tool_name: "Write", input: { file_path: "/repo/a" } });
    expect(ruleApproves(sessionRuleFor(write), canUse({ tool_name: "Write", input: { file_path: "/repo/b" } }))).toBe(true);
    expect(ruleApproves({ toolName: "AskUserQuestion" }, canUse({ tool_name: "AskUserQuestion", input: {} }))).toBe(false);
  });

  it("per session, and bounded", () => {
    const approvals = new SessionApprovals();
    approvals.add("s1", { toolName: "Bash", ruleContent: "ls" });
    expect(approvals.covers("s1", bash("ls"))).toBe(true);
    expect(approvals.covers("s2", bash("ls"))).toBe(false);
    expect(approvals.covers(null, bash("ls"))).toBe(false);
    for (let i = 0; i < 1000; i++) approvals.add(`other-${i}`, { toolName: "Read" });
    expect(approvals.covers("s1", bash("ls"))).toBe(false);
  });
});

describe("the session's input: which result ends the run", () => {
  function input(): { session: SessionInput; written: () => string[] } {
    const pipe = new PassThrough();
    const chunks: string[] = [];
    pipe.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
    const session = new SessionInput(pipe, `${JSON.stringify({ type: "user", message: { role: "user", content: "prompt" } })}\n`);
    return { session, written: () => chunks.join("").split("\n").filter(Boolean) };
  }
  const echo = (content: unknown) => ({ type: "user", isReplay: true, message: { role: "user", content } });

  it("writes the prompt at once; one turn, one result: the run is over", async () => {
    const { session, written } = input();
    session.taken(echo("prompt"));
    expect(session.turnEnded()).toBe(true);
    await Promise.resolve();
    expect(written()).toHaveLength(1);
  });

  it("a steer taken in during the turn (after a tool) ends with the same result", () => {
    const { session } = input();
    session.taken(echo("prompt"));
    session.toolStarted("toolu_1");
    expect(session.steer("also this")).toBe("after_tool");
    session.toolEnded("toolu_1");
    session.taken(echo("also this"));
    expect(session.turnEnded()).toBe(true);
  });

  it("a steer not taken in by the result waits for the next turn's result", () => {
    const { session } = input();
    session.taken(echo("prompt"));
    expect(session.steer("next")).toBe("joined");
    expect(session.turnEnded()).toBe(false);
    session.taken(echo([{ type: "text", text: "next" }]));
    expect(session.turnEnded()).toBe(true);
  });

  it("a turn that failed before echoing the prompt still ends the run", () => {
    const { session } = input();
    expect(session.turnEnded()).toBe(true);
  });

  it("once closed it takes no steer", () => {
    const { session } = input();
    session.close();
    expect(session.open).toBe(false);
    expect(() => session.steer("late")).toThrow("closing");
  });
});
