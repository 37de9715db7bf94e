import { describe, expect, it } from "vitest";
import type { InteractionAnswer, InteractionRequest } from "../../../src/core/interaction.js";
import { PendingRequests, type ClosedBy } from "../../../src/telegram/interaction/pending.js";
import { askData, closedMarkdown, outcomeLine, parseAskData, requestKeyboard, requestMarkdown, type AskAction } from "../../../src/telegram/interaction/render.js";
import { renderMarkdown } from "../../../src/telegram/markdown.js";
import { FakeClock } from "../../support/fake-clock.js";

const COMMAND: InteractionRequest = { kind: "command", command: "rm -rf build && echo ```done```", cwd: "/repo", reason: "clean up" };
const QUESTION: InteractionRequest = {
  kind: "question",
  questions: [
    { id: "color", header: "Color", question: "Which color?", multiSelect: false, options: [{ label: "Red", description: "warm" }, { label: "Blue", description: null }] },
    { id: "sizes", header: "Sizes", question: "Which sizes?", multiSelect: true, options: [{ label: "S", description: null }, { label: "M", description: null }] },
  ],
};
const ADA = { userId: 11, name: "@ada" };

function labels(request: InteractionRequest, selections = new Map<number, Set<number>>()): string[][] {
  return requestKeyboard("abc1", request, selections).inline_keyboard.map((row) => row.map((button) => button.text));
}

describe("request rendering", () => {
  it("shows a command in a code block that its own backticks cannot close, with its cwd and reason", () => {
    const text = renderMarkdown(requestMarkdown(COMMAND, "codex"));
    expect(text.text).toContain("codex asks to run a command");
    expect(text.text).toContain("rm -rf build && echo ```done```");
    expect(text.text).toContain("/repo");
    expect(text.text).toContain("reason: clean up");
    expect(text.entities.some((entity) => entity.type === "pre")).toBe(true);
  });

  it("lists files and trims a long diff", () => {
    const diff = "+line\n".repeat(2000);
    const markdown = requestMarkdown({ kind: "files", files: ["a.txt", "b.txt"], diff, reason: null }, "claude");
    expect(markdown).toContain("claude asks to change files");
    expect(markdown).toContain("`a.txt`");
    expect(markdown.length).toBeLessThan(2000);
    expect(markdown).toContain("…");
  });

  it("has exactly the approval labels a person recognises", () => {
    expect(labels(COMMAND)).toEqual([
      ["Approve", "Approve for this session"],
      ["Deny", "Stop"],
    ]);
    expect(labels({ kind: "plan", plan: "1. do it" })).toEqual([["Approve", "Keep planning"]]);
  });

  it("puts each option on its own row, multi-select as toggles with Done", () => {
    expect(labels(QUESTION)).toEqual([["Color: Red"], ["Color: Blue"], ["☐ Sizes: S"], ["☐ Sizes: M"], ["Done"]]);
    expect(labels(QUESTION, new Map([[0, new Set([1])], [1, new Set([0])]]))).toEqual([["Color: Red"], ["✓ Color: Blue"], ["☑ Sizes: S"], ["☐ Sizes: M"], ["Done"]]);
  });

  it("round-trips callback data within Telegram's 64 bytes", () => {
    const actions: AskAction[] = [
      { kind: "decision", decision: "approve" },
      { kind: "decision", decision: "approve_session" },
      { kind: "decision", decision: "deny" },
      { kind: "decision", decision: "stop" },
      { kind: "option", question: 12, option: 345 },
      { kind: "done" },
      { kind: "plan", approve: true },
      { kind: "plan", approve: false },
    ];
    for (const action of actions) {
      const data = askData("zz9zz", action);
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      expect(parseAskData(data)).toEqual({ id: "zz9zz", action });
    }
    expect(parseAskData("takopi:ask:zz9zz:bogus")).toBeNull();
    expect(parseAskData("takopi:cancel")).toBeNull();
  });

  it("closes with what was decided and by whom", () => {
    expect(outcomeLine(COMMAND, { kind: "approval", decision: "approve_session", by: ADA })).toBe("✅ approved for this session by @ada");
    expect(outcomeLine(COMMAND, { kind: "approval", decision: "stop", by: { userId: 42, name: null } })).toBe("⏹ stopped by 42");
    expect(outcomeLine(COMMAND, { kind: "approval", decision: "deny", by: { userId: null, name: null }, note: "no answer within 10m 00s" })).toBe("❌ denied (no answer within 10m 00s)");
    expect(outcomeLine(QUESTION, { kind: "answers", answers: { color: ["Red"], sizes: ["S", "M"] }, by: ADA })).toBe("💬 answered by @ada: Red; S, M");
    expect(outcomeLine({ kind: "plan", plan: "x" }, { kind: "plan", approve: false, by: ADA, note: "smaller steps" })).toBe("✏️ keep planning by @ada (smaller steps)");
    const closed = renderMarkdown(closedMarkdown(COMMAND, "codex", { kind: "approval", decision: "deny", by: { userId: 1, name: "@under_score" } }));
    expect(closed.text).toContain("denied by @under_score");
    const gone = renderMarkdown(closedMarkdown(COMMAND, "codex", { kind: "approval", decision: "deny", by: { userId: null, name: null }, note: "no longer needed" }, true));
    expect(gone.text).toContain("no longer needed");
    expect(gone.text).not.toContain("denied");
  });
});

describe("pending requests", () => {
  function registry(clock = new FakeClock()) {
    const closed: { id: string; answer: InteractionAnswer; by: ClosedBy }[] = [];
    const pending = new PendingRequests(clock, (request, answer, by) => closed.push({ id: request.id, answer, by }));
    return { clock, closed, pending };
  }
  const details = { engine: "codex", progress: () => null, timeoutS: 600 };

  it("expires an unanswered request after the timeout as a deny with a note", async () => {
    const { clock, closed, pending } = registry();
    const { pending: request, answer } = pending.open(COMMAND, details, new AbortController().signal);
    await clock.advance(599_000);
    expect(closed).toEqual([]);
    await clock.advance(1_000);
    expect(await answer).toEqual({ kind: "approval", decision: "deny", by: { userId: null, name: null }, note: "no answer within 10m 00s" });
    expect(closed).toMatchObject([{ id: request.id, by: "timeout" }]);
    expect(pending.get(request.id)).toBeNull();
  });

  it("settles once: the first answer wins and the timer stops", async () => {
    const { clock, closed, pending } = registry();
    const { pending: request, answer } = pending.open(COMMAND, details, new AbortController().signal);
    expect(pending.settle(request.id, { kind: "approval", decision: "approve", by: ADA })).toBe(true);
    expect(pending.settle(request.id, { kind: "approval", decision: "deny", by: ADA })).toBe(false);
    await clock.advance(700_000);
    expect(await answer).toMatchObject({ decision: "approve" });
    expect(closed).toHaveLength(1);
  });

  it("closes as no longer needed when its signal aborts, and gives ids no earlier request had", async () => {
    const { pending } = registry();
    const controller = new AbortController();
    const first = pending.open(QUESTION, details, controller.signal);
    const second = pending.open({ kind: "plan", plan: "p" }, details, new AbortController().signal);
    expect(first.pending.id).not.toBe(second.pending.id);
    controller.abort();
    expect(await first.answer).toEqual({ kind: "answers", answers: {}, by: { userId: null, name: null } });
    expect(pending.size).toBe(1);
  });

  it("finds a request by the message that shows it", () => {
    const { pending } = registry();
    const { pending: request } = pending.open(QUESTION, details, new AbortController().signal);
    expect(pending.byMessage({ chatId: 5, messageId: 9 })).toBeNull();
    request.message = { chatId: 5, messageId: 9, threadId: null };
    expect(pending.byMessage({ chatId: 5, messageId: 9 })).toBe(request);
  });
});
