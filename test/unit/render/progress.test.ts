import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Action, TakopiEvent } from "../../../src/core/events.js";
import { ProgressTracker, type ActionState, type SnapshotOptions } from "../../../src/core/progress.js";
import { HARD_BREAK, renderFinal } from "../../../src/render/final.js";
import { renderMarkdown } from "../../../src/telegram/markdown.js";
import {
  actionStatus,
  formatActionLine,
  formatActionTitle,
  formatFileChangeTitle,
  inlineCode,
  progressParts,
  renderProgress,
} from "../../../src/render/progress.js";
import { actionCompleted, actionStarted, formatResume, SAMPLE_EVENTS, SESSION_ID, sessionStarted } from "./events.js";

function snapshotOf(events: TakopiEvent[], options?: SnapshotOptions) {
  const tracker = new ProgressTracker("codex");
  for (const event of events) tracker.noteEvent(event);
  return tracker.snapshot(options);
}

function bodyLines(events: TakopiEvent[], maxActions?: number): string[] {
  const body = progressParts({ label: "working", snapshot: snapshotOf(events), elapsedSeconds: 0, maxActions }).body;
  return body == null ? [] : body.split(HARD_BREAK);
}

function completedState(action: Partial<Action>, ok: boolean | null = null): ActionState {
  return { action: { id: "x", kind: "command", title: "x", detail: {}, ...action }, displayPhase: "completed", ok, seq: 0 };
}

describe("renderProgress", () => {
  it("renders header, actions and resume line (test_progress_renderer_renders_progress_and_final)", () => {
    const snapshot = snapshotOf(SAMPLE_EVENTS, { formatResume });
    const progress = renderProgress({ label: "working", snapshot, elapsedSeconds: 3 });
    expect(progress).toBe(
      [
        "working · codex · 3s · step 2",
        `✓ \`bash -lc ls\`${HARD_BREAK}✓ Checking repository root for README`,
        `\`codex resume ${SESSION_ID}\``,
      ].join("\n\n"),
    );

    const final = renderFinal({
      label: "done",
      engine: "codex",
      elapsedSeconds: 3,
      actionCount: snapshot.actionCount,
      body: "answer",
      resumeLine: snapshot.resumeLine,
    });
    expect(final.startsWith("done · codex · 3s · step 2")).toBe(true);
    expect(final).not.toContain("bash -lc ls");
    expect(final).not.toContain("Checking repository root for README");
    expect(final).toContain("answer");
    expect(final.trimEnd().endsWith(`\`codex resume ${SESSION_ID}\``)).toBe(true);
  });

  it("puts the context line before the resume line (test_progress_renderer_footer_includes_ctx_before_resume)", () => {
    const snapshot = snapshotOf(SAMPLE_EVENTS, { formatResume, contextLine: "`ctx: z80 @ feat/name`" });
    expect(progressParts({ label: "working", snapshot, elapsedSeconds: 0 }).footer).toBe(
      `\`ctx: z80 @ feat/name\`${HARD_BREAK}\`codex resume ${SESSION_ID}\``,
    );
    const overridden = progressParts({ label: "working", snapshot, elapsedSeconds: 0, contextLine: "`ctx: other`" });
    expect(overridden.footer).toBe(`\`ctx: other\`${HARD_BREAK}\`codex resume ${SESSION_ID}\``);
  });

  it("shows only the last five actions while step counts them all", () => {
    const events = Array.from({ length: 7 }, (_, i) =>
      actionCompleted(`item_${i}`, "command", `echo ${i}`, { ok: true, detail: { exit_code: 0 } }),
    );
    const markdown = renderProgress({ label: "working", snapshot: snapshotOf(events), elapsedSeconds: 65 });
    expect(markdown.split("\n\n")[0]).toBe("working · codex · 1m 05s · step 7");
    expect(bodyLines(events)).toEqual(["✓ `echo 2`", "✓ `echo 3`", "✓ `echo 4`", "✓ `echo 5`", "✓ `echo 6`"]);
  });

  it("clamps to maxActions (test_progress_renderer_clamps_actions_and_ignores_unknown)", () => {
    const events = Array.from({ length: 6 }, (_, i) =>
      actionCompleted(`item_${i}`, "command", `echo ${i}`, { ok: true, detail: { exit_code: 0 } }),
    );
    const lines = bodyLines(events, 3);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain("echo 3");
    expect(lines.at(-1)).toContain("echo 5");
    expect(bodyLines(events, 0)).toEqual([]);
  });

  it("renders commands as code that reads as plain text (test_progress_renderer_renders_commands_in_markdown)", () => {
    const events = [30, 31, 32].map((i) => actionCompleted(`item_${i}`, "command", `echo ${i}`, { ok: true }));
    const { text, entities } = renderMarkdown(renderProgress({ label: "working", snapshot: snapshotOf(events), elapsedSeconds: 0 }));
    expect(text).toBe("working · codex · 0s · step 3\n\n✓ echo 30\n✓ echo 31\n✓ echo 32\n\n");
    expect(entities.map((entity) => [entity.type, text.slice(entity.offset, entity.offset + entity.length)])).toEqual([
      ["code", "echo 30"],
      ["code", "echo 31"],
      ["code", "echo 32"],
    ]);
  });

  it("shows one line per action id, in first-seen order (test_progress_renderer_handles_duplicate_action_ids)", () => {
    const lines = bodyLines([
      actionStarted("dup", "command", "echo first"),
      actionCompleted("dup", "command", "echo first", { ok: true, detail: { exit_code: 0 } }),
      actionStarted("dup", "command", "echo second"),
      actionCompleted("dup", "command", "echo second", { ok: true, detail: { exit_code: 0 } }),
    ]);
    expect(lines).toEqual(["✓ `echo second`"]);
  });

  it("is deterministic (test_progress_renderer_deterministic_output)", () => {
    const events = [actionStarted("a-1", "command", "echo ok"), actionCompleted("a-1", "command", "echo ok", { ok: true })];
    const render = () => renderProgress({ label: "working", snapshot: snapshotOf(events), elapsedSeconds: 1 });
    expect(render()).toBe(render());
  });

  it("renders just the header before any action (test_progress_renderer_ignores_missing_action_id)", () => {
    const events = [sessionStarted("codex", "abc", "Session"), actionStarted("", "command", "echo")];
    expect(renderProgress({ label: "starting", snapshot: snapshotOf(events), elapsedSeconds: 0 })).toBe("starting · codex · 0s");
  });

  it("uses the label as given, backticks included for cancelled", () => {
    const markdown = renderProgress({ label: "`cancelled`", snapshot: snapshotOf(SAMPLE_EVENTS), elapsedSeconds: 2 });
    const { text, entities } = renderMarkdown(markdown);
    expect(text.startsWith("cancelled · codex · 2s · step 2")).toBe(true);
    expect(entities[0]).toEqual({ type: "code", offset: 0, length: "cancelled".length });
  });
});

describe("action lines", () => {
  it("marks running, updated, done and failed actions", () => {
    const action: Action = { id: "a", kind: "command", title: "make", detail: {} };
    expect(formatActionLine({ action, displayPhase: "started", ok: null })).toBe("▸ `make`");
    expect(formatActionLine({ action, displayPhase: "updated", ok: null })).toBe("↻ `make`");
    expect(formatActionLine({ action, displayPhase: "completed", ok: true })).toBe("✓ `make`");
    expect(formatActionLine({ action, displayPhase: "completed", ok: false })).toBe("✗ `make`");
  });

  it("falls back to the exit code, and shows a non-zero one (test_shorten_and_action_status_branches)", () => {
    expect(actionStatus(completedState({ detail: { exit_code: 0 } }))).toBe("✓");
    expect(actionStatus(completedState({ detail: { exit_code: 2 } }))).toBe("✗");
    expect(actionStatus(completedState({ detail: { exit_code: "2" } }))).toBe("✓");
    expect(actionStatus({ ...completedState({ detail: { exit_code: 2 } }), displayPhase: "started" })).toBe("▸");
    expect(formatActionLine(completedState({ title: "pytest -q", detail: { exit_code: 1 } }, false))).toBe("✗ `pytest -q` (exit 1)");
    // ok wins over the exit code for the glyph; the suffix still tells the code.
    expect(formatActionLine(completedState({ title: "grep x", detail: { exit_code: 1 } }, true))).toBe("✓ `grep x` (exit 1)");
    expect(formatActionLine({ ...completedState({ detail: { exit_code: 1 } }), displayPhase: "updated" })).toBe("↻ `x`");
  });

  it("titles each kind (test_render_event_cli_handles_action_kinds)", () => {
    const title = (kind: Action["kind"], text: string) => formatActionTitle({ id: "i", kind, title: text, detail: {} });
    expect(title("web_search", "python jsonlines parser handle unknown fields")).toBe("searched: python jsonlines parser handle unknown fields");
    expect(title("tool", "github.search_issues")).toBe("tool: github.search_issues");
    expect(title("subagent", "review the diff")).toBe("subagent: review the diff");
    expect(title("note", "stream error")).toBe("stream error");
    expect(title("warning", "rate limited")).toBe("rate limited");
    expect(formatActionLine(completedState({ kind: "note", title: "stream error" }, false))).toBe("✗ stream error");
  });

  it("shortens titles to 300 characters", () => {
    const long = Array.from({ length: 100 }, (_, i) => `word${i}`).join(" ");
    const title = formatActionTitle({ id: "i", kind: "tool", title: long, detail: {} });
    expect(title.startsWith("tool: word0 word1")).toBe(true);
    expect(title.endsWith("…")).toBe(true);
    expect(title.length).toBeLessThanOrEqual("tool: ".length + 300);
    expect(formatActionTitle({ id: "i", kind: "command", title: long, detail: {} }, { width: 12 })).toBe("`word0 word1…`");
  });

  it("keeps a command with backticks one code span", () => {
    expect(inlineCode("echo `date`")).toBe("`` echo `date` ``");
    expect(renderMarkdown(`▸ ${inlineCode("echo `date`")}`).text).toBe("▸ echo `date`\n\n");
  });
});

describe("file change titles", () => {
  const fileChange = (title: string, detail: Record<string, unknown> = {}): Action => ({ id: "f", kind: "file_change", title, detail });

  it("lists changes with their kind (test_render_event_cli_handles_action_kinds)", () => {
    const action = fileChange("2 files", {
      changes: [
        { path: "README.md", kind: "add" },
        { path: "src/compute_answer.py", kind: "update" },
      ],
    });
    expect(formatFileChangeTitle(action)).toBe("files: add `README.md`, update `src/compute_answer.py`");
  });

  it("makes paths inside the base dir relative (test_file_change_renders_relative_paths_inside_cwd)", () => {
    const readme = join(process.cwd(), "README.md");
    const weird = `~${readme}`;
    const action = fileChange("README.md", { changes: [{ path: readme, kind: "update" }, { path: weird, kind: "update" }] });
    expect(formatFileChangeTitle(action)).toBe(`files: update \`README.md\`, update \`${weird}\``);
    expect(formatFileChangeTitle(action, { baseDir: null })).toBe(`files: update \`${readme}\`, update \`${weird}\``);
  });

  it("uses the run's base dir (test_file_change_renders_change_objects)", () => {
    const action = fileChange("ignored", { changes: [{ path: "/srv/repo/changelog.md", kind: "update" }] });
    expect(formatFileChangeTitle(action, { baseDir: "/srv/repo" })).toBe("files: update `changelog.md`");
    expect(formatFileChangeTitle(fileChange("x", { changes: [{ path: "/srv/repo2/a.md" }] }), { baseDir: "/srv/repo" })).toBe(
      "files: update `/srv/repo2/a.md`",
    );
  });

  it("skips invalid entries and folds the rest into …(N more) (test_format_file_change_title_handles_overflow_and_invalid)", () => {
    const action = fileChange("files", {
      changes: ["bad", { path: "" }, { path: "a", kind: "add" }, { path: "b" }, { path: "c" }, { path: "d" }, { path: "e" }],
    });
    expect(formatFileChangeTitle(action)).toBe("files: add `a`, update `b`, update `c`, …(2 more)");
  });

  it("falls back to the title, backticked when it is a path (test_file_change_title_relativizes_absolute_title)", () => {
    expect(formatFileChangeTitle(fileChange("all files"))).toBe("files: all files");
    expect(formatFileChangeTitle(fileChange("/srv/repo/changelog.md"), { baseDir: "/srv/repo" })).toBe("files: `changelog.md`");
    expect(formatFileChangeTitle(fileChange("src/a.ts"), { baseDir: "/srv/repo" })).toBe("files: `src/a.ts`");
    expect(formatFileChangeTitle(fileChange("`src/a.ts`"), { baseDir: "/srv/repo" })).toBe("files: `src/a.ts`");
    expect(formatFileChangeTitle(fileChange("/srv/repo"), { baseDir: "/srv/repo" })).toBe("files: `.`");
    expect(formatFileChangeTitle(fileChange("x", { changes: [] }))).toBe("files: x");
  });

  it("shortens the joined list as a whole, as textwrap does", () => {
    const changes = [{ path: "a".repeat(40) }, { path: "b".repeat(40) }];
    const title = formatFileChangeTitle(fileChange("x", { changes }), { width: 60 });
    expect(title).toBe(`files: update \`${"a".repeat(40)}\`, update…`);
  });
});
