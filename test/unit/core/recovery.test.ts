// The run journal and start-up recovery with real processes: an engine group
// left running by a killed takopi is found and stopped, a pid now used by
// another process is left alone, and the run's message says it was
// interrupted, with its resume line and without the cancel button.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChatSurface, MessageRef } from "../../../src/core/chat.js";
import { recoverInterruptedRuns } from "../../../src/core/recovery.js";
import { RunJournal, type JournalEntry } from "../../../src/core/run-journal.js";
import { runMessage } from "../../../src/core/run-message.js";
import { interruptedMessage } from "../../../src/core/run-view.js";
import { readProcess } from "../../../src/engines/process-tree.js";
import { MemorySurface } from "../../support/chat-surface.js";
import { plannedEngine, say } from "../../support/planned-engine.js";
import { scratchDir, waitFor, type ScratchDir } from "../../support/scripts.js";

const CHAT = 55;
let dir: ScratchDir;
let journal: RunJournal;
let surface: MemorySurface;
const leftovers: number[] = [];

beforeEach(async () => {
  dir = await scratchDir();
  journal = new RunJournal({ path: join(dir.path, "takopi_runs_state.json") });
  surface = new MemorySurface();
});
afterEach(async () => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await dir.dispose();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An engine-like process group (a leader and a child) that nobody waits for, like one a killed takopi left. */
async function orphanGroup(): Promise<{ leader: number; child: number; startTime: string }> {
  const leader = spawn("sh", ["-c", "sleep 300 & echo $!; wait"], { detached: true, stdio: ["ignore", "pipe", "ignore"] });
  const child = await new Promise<number>((resolve) => {
    leader.stdout.once("data", (chunk: Buffer) => {
      resolve(Number(chunk.toString().trim()));
    });
  });
  leader.unref();
  const pid = leader.pid ?? 0;
  leftovers.push(pid);
  const info = await readProcess(pid);
  return { leader: pid, child, startTime: info?.startTime ?? "" };
}

function entry(overrides: Partial<JournalEntry>): JournalEntry {
  return {
    state: "running",
    chat_id: CHAT,
    message_id: null,
    thread_id: null,
    engine: "codex",
    started_at: Date.now() - 65_000,
    pid: null,
    pid_start_time: null,
    resume_line: "`codex resume t-1`",
    context_line: "`ctx: app @feature`",
    ...overrides,
  };
}

async function progressMessage(): Promise<MessageRef> {
  const ref = await surface.send(CHAT, { parts: { header: "working · codex · 1m 02s" }, markup: "cancel" });
  if (ref === null) throw new Error("unreachable");
  return ref;
}

describe("recoverInterruptedRuns", () => {
  it("stops an engine group a killed takopi left behind and says the run was interrupted", async () => {
    const group = await orphanGroup();
    const progress = await progressMessage();
    await journal.record("k1", entry({ message_id: progress.messageId, pid: group.leader, pid_start_time: group.startTime }));

    const report = await recoverInterruptedRuns({ journal, surface, graceMs: 200 });

    expect(report).toEqual({ runs: 1, stopped: 1, edited: 1, closed: 0 });
    await waitFor(() => !alive(group.leader) && !alive(group.child), 5_000, "the leftover group to be gone");
    const shown = surface.message(progress);
    expect(shown?.text).toMatch(/^interrupted · codex · 1m 0\ds\n\ntakopi stopped while this was running/);
    expect(shown?.text).toContain("Reply to this message to continue.");
    expect(shown?.text.endsWith("ctx: app @feature\ncodex resume t-1")).toBe(true);
    expect(shown?.markup).toBe("none");
    expect(await journal.entries()).toEqual([]);
  });

  it("leaves alone a process that got the recorded pid, and still fixes the message", async () => {
    const stranger = await orphanGroup();
    const progress = await progressMessage();
    await journal.record("k2", entry({ message_id: progress.messageId, pid: stranger.leader, pid_start_time: "1" }));

    const report = await recoverInterruptedRuns({ journal, surface, graceMs: 200 });

    expect(report).toEqual({ runs: 1, stopped: 0, edited: 1, closed: 0 });
    expect(alive(stranger.leader) && alive(stranger.child)).toBe(true);
    expect(surface.message(progress)?.text.startsWith("interrupted")).toBe(true);
  });

  it("does not hold start-up while the chat service cannot take the edit (a Telegram outage)", async () => {
    const progress = await progressMessage();
    await journal.record("k3", entry({ message_id: progress.messageId, asks: [{ message_id: progress.messageId + 1, closed: "closed" }] }));
    // The edit waits, as the Telegram outbox makes it wait through an outage.
    const stalled: ChatSurface = {
      send: (chatId, message, options) => surface.send(chatId, message, options),
      edit: () => new Promise<MessageRef | null>(() => undefined),
      editLive: () => new Promise<MessageRef | null>(() => undefined),
      delete: (ref) => surface.delete(ref),
    };

    const started = Date.now();
    const report = await recoverInterruptedRuns({ journal, surface: stalled, editWaitMs: 100 });

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report).toEqual({ runs: 1, stopped: 0, edited: 0, closed: 0 });
    expect(await journal.entries()).toEqual([]);
  });

  it("closes the approvals the run was waiting on: the journal's text, without buttons", async () => {
    const progress = await progressMessage();
    const approval = await surface.send(CHAT, { parts: { header: "", body: "**codex asks to run a command**" }, markup: "cancel" });
    if (approval === null) throw new Error("unreachable");
    const closed = "**codex asks to run a command**\n\n**closed: takopi stopped**";
    await journal.record("k4", entry({ message_id: progress.messageId, asks: [{ message_id: approval.messageId, closed }] }));

    expect(await recoverInterruptedRuns({ journal, surface })).toEqual({ runs: 1, stopped: 0, edited: 1, closed: 1 });
    expect(surface.message(approval)).toMatchObject({ text: "codex asks to run a command\n\nclosed: takopi stopped", markup: "none" });
  });

  it("tells a queued prompt and a run that never opened a session to send it again", () => {
    const queued = interruptedMessage(entry({ state: "queued" }), Date.now());
    expect(queued.parts.body).toBe("takopi stopped before this prompt ran; send it again.");
    const early = interruptedMessage(entry({ resume_line: null }), Date.now());
    expect(early.parts.body).toContain("send the prompt again");
    expect(early.parts.footer).toBe("`ctx: app @feature`");
  });

  it("does nothing, and writes nothing, when the last shutdown was clean", async () => {
    expect(await recoverInterruptedRuns({ journal, surface })).toEqual({ runs: 0, stopped: 0, edited: 0, closed: 0 });
    expect(surface.calls).toEqual([]);
    await expect(readFile(join(dir.path, "takopi_runs_state.json"), "utf8")).rejects.toThrow(/ENOENT/);
  });
});

describe("the journal while runs go on", () => {
  it("holds a running run's message, engine process and session, and forgets it once the answer is out", async () => {
    const engine = await plannedEngine(dir);
    await engine.plan("work", [say.started("s-1"), { gate: "g" }, say.completed("done")]);
    const source = { chatId: CHAT, messageId: 9, threadId: 4 };
    const run = runMessage({ surface, journal }, { runner: engine.runner, source, prompt: "work", resume: null, cwd: dir.path });

    await waitFor(async () => (await journal.entries())[0]?.[1].resume_line != null && (await journal.entries())[0]?.[1].message_id != null, 10_000, "the run in the journal");
    const [[, recorded] = ["", entry({})]] = await journal.entries();
    expect(recorded).toMatchObject({ state: "running", chat_id: CHAT, thread_id: 4, engine: "passthrough" });
    expect(recorded.resume_line).toContain("passthrough resume s-1");
    expect(recorded.pid !== null && alive(recorded.pid)).toBe(true);
    expect(recorded.pid_start_time).toBe((await readProcess(recorded.pid ?? 0))?.startTime);

    await engine.open("g");
    expect((await run).status).toBe("done");
    expect(await journal.entries()).toEqual([]);
  });
});
