import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { terminateProcessTree } from "../../../src/engines/process-tree.js";
import { processesWith } from "../../support/processes.js";
import { scratchDir, waitFor, type ScratchDir } from "../../support/scripts.js";

let dir: ScratchDir;

beforeEach(async () => {
  dir = await scratchDir("takopi-process-");
});

afterEach(async () => {
  // Whatever a failing test left behind: every process still holding a marker file's name.
  for (const pid of await processesWith(dir.path)) process.kill(pid, "SIGKILL");
  await dir.dispose();
});

describe("terminateProcessTree", () => {
  it("also kills what a tool in its own session forks while it is being stopped", { timeout: 30_000 }, async () => {
    // The leader starts a tool in a session of its own (as codex and opencode do);
    // on SIGTERM the tool forks a long-lived child and exits, so the child is
    // re-parented to init before anyone could list it as a descendant.
    const marker = join(dir.path, "late-child");
    const ready = join(dir.path, "ready");
    const tool = await dir.file(
      "tool.sh",
      ["#!/bin/sh", `trap 'sh -c "sleep 300; :" ${marker} & exit 0' TERM`, `echo ready > ${ready}`, "while :; do sleep 0.05; done", ""].join("\n"),
    );
    const leaderScript = await dir.file("leader.sh", ["#!/bin/sh", `setsid sh ${tool} &`, "wait", ""].join("\n"));
    const leader = execa("sh", [leaderScript], { detached: true, reject: false });
    await waitFor(() => existsSync(ready), 10_000, "the tool to start");

    await terminateProcessTree(leader.pid ?? 0, { graceMs: 500, exited: leader });
    await leader;
    await waitFor(async () => (await processesWith(marker)).length === 0, 5_000, "the late child to be gone");
    expect(await processesWith(marker)).toEqual([]);
  });
});
