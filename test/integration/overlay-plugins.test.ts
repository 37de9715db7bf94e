/**
 * The deployment overlay's chat commands (`overlay/`), discovered as plugins
 * by a real `takopi run` process talking to the fake Bot API server: `/reload`
 * (exit 0, not replayed, "what changed" after the restart), `/projects` with
 * its projects-directory watch, and `/status`; `/schedule` has its own files
 * (schedule*.test.ts). The container tests run the same plugins inside the
 * image; these need no Docker.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BridgeHarness } from "../support/bridge-harness.js";
import { USER } from "../support/fake-telegram/standard-world.js";
import { waitFor } from "../support/scripts.js";

let bridge: BridgeHarness | null = null;

afterEach(async () => {
  await bridge?.dispose();
  bridge = null;
});

describe("/reload", () => {
  it("exits 0 once acknowledged, is not replayed, and says what changed after the restart", async () => {
    bridge = await BridgeHarness.create();
    await bridge.start();
    const reload = bridge.send("/reload");
    await bridge.replyTo(reload.stored.messageId, (text) => text === "reloading…");
    expect(await bridge.exited()).toBe(0);
    expect(bridge.telegram.confirmedOffset()).toBeGreaterThan(reload.updateId);

    // Meanwhile a project was added (in the container the entrypoint rediscovers the projects folder).
    const web = join(bridge.dir.path, "web");
    await mkdir(web);
    await bridge.writeConfig({ config: { projects: { app: { path: bridge.repo }, web: { path: web } } } });
    const duringRestart = bridge.send("hello while restarting");
    await bridge.start();
    const changed = await bridge.replyTo(reload.stored.messageId, (text) => text.startsWith("reloaded in"));
    expect(changed.text).toContain("projects added: /web");
    await bridge.replyTo(duringRestart.stored.messageId, (text) => text.startsWith("done"));
    expect(bridge.botMessages().filter((message) => message.replyToMessageId === reload.stored.messageId && message.text === "reloading…")).toHaveLength(1);
    expect((await bridge.spawns()).map((spawn) => spawn.prompt.trim())).toEqual(["hello while restarting"]);
  });

  it("waits for a running engine and says which one, then exits", async () => {
    bridge = await BridgeHarness.create();
    await bridge.start();
    const work = bridge.send("/app long job [gate:slow]");
    await bridge.waitForSpawns(1);
    const reload = bridge.send("/reload");
    await bridge.replyTo(reload.stored.messageId, (text) => text.startsWith("reloading once 1 run (codex in app) finishes"));
    await bridge.openGate("slow");
    await bridge.replyTo(work.stored.messageId, (text) => text.startsWith("done"));
    expect(await bridge.exited()).toBe(0);
  });

  it("/reload now cancels running engines, keeping their resume lines", async () => {
    bridge = await BridgeHarness.create();
    await bridge.start();
    const work = bridge.send("forever [hang]");
    await bridge.waitForSpawns(1);
    const reload = bridge.send("/reload now");
    await bridge.replyTo(reload.stored.messageId, (text) => text.startsWith("cancelling 1 run and reloading"));
    expect(await bridge.exited()).toBe(0);
    const cancelled = bridge.botMessages().find((message) => message.replyToMessageId === work.stored.messageId && (message.text ?? "").startsWith("cancelled"));
    expect(cancelled?.text).toMatch(/codex resume [0-9a-f-]{36}/);
  });
});

describe("/projects", () => {
  it("lists projects with their worktree branches and tells the main chat about a new project directory", async () => {
    bridge = await BridgeHarness.create();
    const projectsDir = join(bridge.dir.path, "projects");
    await mkdir(projectsDir);
    await bridge.start([], { env: { TAKOPI_PROJECTS_DIR: projectsDir } });
    const list = bridge.send("/projects");
    const answer = await bridge.replyTo(list.stored.messageId, (text) => text.startsWith("/app"));
    expect(answer.text).toContain("branches with a worktree: main");
    expect(answer.text).toContain(`add one: create a directory in ${projectsDir}`);

    await waitFor(() => bridge?.logs().some((line) => line.event === "projects.watching") === true, 10_000, "the watch to start");
    await mkdir(join(projectsDir, "newthing"));
    await bridge.telegram.waitForMessage((message) => message.chatId === USER && (message.text ?? "").startsWith("new project directory: newthing"), 15_000);
  });

  it("with auto_reload, a new project directory restarts takopi by itself", async () => {
    bridge = await BridgeHarness.create({ config: { plugins: { projects: { auto_reload: true } } } });
    const projectsDir = join(bridge.dir.path, "projects");
    await mkdir(projectsDir);
    await bridge.start([], { env: { TAKOPI_PROJECTS_DIR: projectsDir } });
    await waitFor(() => bridge?.logs().some((line) => line.event === "projects.watching") === true, 10_000, "the watch to start");
    await mkdir(join(projectsDir, "newthing"));
    expect(await bridge.exited()).toBe(0);
  });
});

describe("/status", () => {
  it("says which chat features are on, as the config has them", async () => {
    bridge = await BridgeHarness.create({
      telegram: { voice_transcription: true, files: { enabled: true, auto_put_mode: "prompt" }, topics: { enabled: false } },
    });
    await bridge.start();
    // Every overlay command is in the menu of a plain `takopi run` from the checkout, with no [plugins] table.
    expect(bridge.telegram.commands()?.map((command) => command.command)).toEqual(expect.arrayContaining(["reload", "projects", "status", "refresh", "schedule"]));
    const status = bridge.send("/status");
    const answer = await bridge.replyTo(status.stored.messageId, (text) => text.startsWith("takopi "));
    expect(answer.text).toContain("topics: off, files: on (auto-put: prompt), voice: on (gpt-4o-mini-transcribe)");
  });

  it("totals this chat's usage since start", async () => {
    bridge = await BridgeHarness.create();
    await bridge.start();
    for (const text of ["one", "two"]) {
      const run = bridge.send(text);
      await bridge.replyTo(run.stored.messageId, (answer) => answer.startsWith("done"));
    }
    const status = bridge.send("/status");
    const answer = await bridge.replyTo(status.stored.messageId, (text) => text.startsWith("takopi "));
    expect(answer.text).toContain("usage here since start: 2 runs, 84 in · 14 out");
  });

  it("shows the version, engines with their CLI versions, runs and units", async () => {
    bridge = await BridgeHarness.create();
    await bridge.start();
    const work = bridge.send("busy [gate:status]");
    await bridge.waitForSpawns(1);
    const status = bridge.send("/status");
    const answer = await bridge.replyTo(status.stored.messageId, (text) => text.startsWith("takopi "));
    expect(answer.text).toContain("codex (default): codex 0.0.0-fake");
    expect(answer.text).toContain("runs: 1 running, 0 queued");
    expect(answer.text).toContain("units: none allowlisted");
    expect(answer.text).toContain("topics: off, files: off, voice: off");
    await bridge.openGate("status");
    await bridge.replyTo(work.stored.messageId, (text) => text.startsWith("done"));
  });
});
