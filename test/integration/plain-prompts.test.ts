/**
 * Where a prompt that names no project runs when the config came from a
 * projects directory (`projects_dir`, as `takopi discover` writes it), through
 * a real `takopi run` against the fake Bot API server with the stand-in engines:
 * never in takopi's own directory; in the only project, in the default one,
 * or where the person picks from buttons.
 */
import { mkdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bridgePerTest, type BridgeHarness } from "../support/bridge-harness.js";
import type { StoredMessage } from "../support/fake-telegram/index.js";
import { GROUP, OTHER_USER, USER } from "../support/fake-telegram/standard-world.js";
import { gitRepo } from "../support/git-repo.js";
import { waitFor } from "../support/scripts.js";

const { created } = bridgePerTest();

/** A bridge whose config lists `aliases` as projects of a projects directory, each its own git repo. */
async function projectsBridge(aliases: readonly string[], config: Record<string, unknown> = {}, telegram: Record<string, unknown> = {}) {
  const harness = await created();
  const projectsDir = join(harness.dir.path, "projects");
  await mkdir(projectsDir);
  const projects: Record<string, { path: string }> = {};
  for (const alias of aliases) {
    const path = join(projectsDir, alias);
    await gitRepo(path);
    projects[alias] = { path };
  }
  await harness.writeConfig({ config: { projects_dir: projectsDir, projects, ...config }, telegram });
  await harness.start();
  return { harness, projectsDir: await realpath(projectsDir) };
}

function startupText(harness: BridgeHarness): string {
  return harness.botMessages().find((message) => message.text?.startsWith("🐙 takopi is ready"))?.text ?? "";
}

async function question(harness: BridgeHarness, prompt: number, chat = USER): Promise<StoredMessage> {
  return harness.replyTo(prompt, (text) => text.startsWith("which project"), { chat });
}

function buttons(message: StoredMessage): { text: string; callback_data: string }[] {
  const keyboard = (message.replyMarkup as { inline_keyboard?: { text: string; callback_data: string }[][] } | undefined)?.inline_keyboard ?? [];
  return keyboard.flat();
}

async function pressed(harness: BridgeHarness, id: string): Promise<string | undefined> {
  await waitFor(() => harness.telegram.callbackAnswer(id) !== undefined, 10_000, "the press answered");
  return harness.telegram.callbackAnswer(id)?.text;
}

describe("a prompt that names no project, with the config from a projects directory", () => {
  it("runs in the only project, and the start-up message says so", async () => {
    const { harness, projectsDir } = await projectsBridge(["web"]);
    await waitFor(() => startupText(harness) !== "", 10_000, "the start-up message");
    expect(startupText(harness)).toContain("plain prompts: run in web");
    expect(startupText(harness)).not.toContain("working in");

    const prompt = harness.send("fix the tests");
    await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    const [spawn] = await harness.spawns();
    expect(spawn?.cwd).toBe(join(projectsDir, "web"));
    expect(spawn?.prompt).toBe("fix the tests");
  });

  it("runs in default_project when one is set, without asking", async () => {
    const { harness, projectsDir } = await projectsBridge(["api", "web"], { default_project: "web" });
    await waitFor(() => startupText(harness) !== "", 10_000, "the start-up message");
    expect(startupText(harness)).toContain("plain prompts: run in web");
    const prompt = harness.send("fix the tests");
    await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    expect((await harness.spawns()).map((spawn) => spawn.cwd)).toEqual([join(projectsDir, "web")]);
  });

  it("with several projects asks with buttons, and a press runs the prompt there, once", async () => {
    const { harness, projectsDir } = await projectsBridge(["api", "web", "docs"]);
    await waitFor(() => startupText(harness) !== "", 10_000, "the start-up message");
    expect(startupText(harness)).toContain("plain prompts: ask which project");

    const prompt = harness.send("/claude @feature/x add a page");
    const asked = await question(harness, prompt.stored.messageId);
    expect(buttons(asked).map((button) => button.text)).toEqual(["api", "docs", "web"]);
    const [api, , web] = buttons(asked).map((button) => button.callback_data);
    expect(await harness.spawns()).toHaveLength(0);

    const press = harness.telegram.injectCallbackQuery({ chat: USER, message_id: asked.messageId, from: USER, data: web ?? "" });
    expect(await pressed(harness, press.id)).toBe("running in web");
    await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    const [spawn] = await harness.spawns();
    // The directives the prompt carried still apply: claude, in a worktree of the branch.
    expect(spawn?.engine).toBe("claude");
    expect(spawn?.cwd).toBe(join(projectsDir, "web", ".worktrees", "feature", "x"));
    expect(spawn?.prompt).toBe("add a page");
    // The question now says where it went, without buttons.
    await waitFor(() => harness.botMessages().find((message) => message.messageId === asked.messageId)?.text === "running in web", 10_000, "the question edited");

    // A press that was already on its way (the client still showed the buttons) runs nothing twice.
    const again = harness.telegram.injectCallbackQuery({ chat: USER, message_id: asked.messageId, from: USER, data: api ?? "" });
    expect(await pressed(harness, again.id)).toBe("already running in web.");
    expect(await harness.spawns()).toHaveLength(1);
  });

  it("still runs a press made after a restart, from the prompt Telegram nests in the question", async () => {
    const { harness, projectsDir } = await projectsBridge(["api", "web"]);
    const prompt = harness.send("explain the build");
    const asked = await question(harness, prompt.stored.messageId);
    await harness.stop();
    await harness.start();

    const press = harness.telegram.injectCallbackQuery({ chat: USER, message_id: asked.messageId, from: USER, data: buttons(asked)[0]?.callback_data ?? "" });
    expect(await pressed(harness, press.id)).toBe("running in api");
    await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"));
    expect((await harness.spawns()).map((spawn) => [spawn.cwd, spawn.prompt])).toEqual([[join(projectsDir, "api"), "explain the build"]]);
  });

  it("in a group, only the prompt's sender chooses", async () => {
    const { harness } = await projectsBridge(["api", "web"], {}, { chat_id: GROUP, allowed_user_ids: [USER, OTHER_USER] });
    const prompt = harness.send("explain the build", { chat: GROUP, from: USER });
    const asked = await question(harness, prompt.stored.messageId, GROUP);

    const other = harness.telegram.injectCallbackQuery({ chat: GROUP, message_id: asked.messageId, from: OTHER_USER, data: buttons(asked)[0]?.callback_data ?? "" });
    expect(await pressed(harness, other.id)).toBe("only the person who sent the prompt can choose where it runs.");
    expect(await harness.spawns()).toHaveLength(0);

    const own = harness.telegram.injectCallbackQuery({ chat: GROUP, message_id: asked.messageId, from: USER, data: buttons(asked)[1]?.callback_data ?? "" });
    expect(await pressed(harness, own.id)).toBe("running in web");
    await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"), { chat: GROUP });
  });

  it("a prompt that names its project, or replies to an answer, is not asked about", async () => {
    const { harness, projectsDir } = await projectsBridge(["api", "web"]);
    const named = harness.send("/api run the linter");
    const answer = await harness.replyTo(named.stored.messageId, (text) => text.startsWith("done"));
    const reply = harness.send("and fix what it finds", { replyTo: answer.messageId });
    await harness.replyTo(reply.stored.messageId, (text) => text.startsWith("done"));
    expect((await harness.spawns()).map((spawn) => spawn.cwd)).toEqual([join(projectsDir, "api"), join(projectsDir, "api")]);
    expect(harness.botMessages().some((message) => message.text?.startsWith("which project"))).toBe(false);
  });

  it("with an empty projects directory says how to add a project instead of running in takopi's directory", async () => {
    const { harness, projectsDir } = await projectsBridge([]);
    await waitFor(() => startupText(harness) !== "", 10_000, "the start-up message");
    expect(startupText(harness)).toContain(`plain prompts: no projects yet: add a directory to ${projectsDir}`);
    const prompt = harness.send("fix the tests");
    const answer = await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("error"));
    expect(answer.text).toContain(`${projectsDir} has no project directories yet`);
    expect(await harness.spawns()).toHaveLength(0);
  });
});

describe("a hand-written config (no projects_dir)", () => {
  it("keeps upstream's behaviour: takopi's working directory, shown as `working in`", async () => {
    const harness = await created();
    await harness.start();
    await waitFor(() => startupText(harness) !== "", 10_000, "the start-up message");
    expect(startupText(harness)).toContain("working in:");
    // Which chat features are on, so a restart shows it on the phone.
    expect(startupText(harness)).toContain("topics: disabled");
    expect(startupText(harness)).toContain("files: off");
    expect(startupText(harness)).toContain("voice: off");
  });
});
