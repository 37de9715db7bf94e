/**
 * The plugin executor and plugin buttons through a real `takopi run` against
 * the fake Bot API, with the stand-in engines and a command plugin package
 * (`/probe`) that drives `ctx.executor` and buttons as a third-party plugin
 * would, and replies with what it got back (`result: <json>`).
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeHarness, cancelledCleanly, CODEX_RESUME, isAlive, progressOf } from "../support/bridge-harness.js";
import type { StoredMessage } from "../support/fake-telegram/index.js";
import { OTHER_USER, USER } from "../support/fake-telegram/standard-world.js";
import { gitRepo } from "../support/git-repo.js";
import { writePackage } from "../support/plugin-packages.js";
import { waitFor } from "../support/scripts.js";

const PROBE = `
const result = (value) => "result: " + JSON.stringify(value);

/** Resolves once a run of this bridge has a session (its engine is up), so a cancel hits a running engine. */
async function running(runtime) {
  for (;;) {
    if (runtime.runs().some((run) => run.state === "running" && run.resumeLine !== null)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export default {
  id: "probe",
  description: "drives the executor and buttons",
  async handle(ctx) {
    const order = JSON.parse(ctx.argsText);
    if (order.op === "run") {
      const options = { ...order.options };
      if (order.cancelWhenRunning) {
        const controller = new AbortController();
        options.signal = controller.signal;
        void running(ctx.runtime).then(() => controller.abort());
      }
      return { text: result(await ctx.executor.run(order.request, options)) };
    }
    if (order.op === "many") return { text: result(await ctx.executor.runMany(order.requests, order.options)) };
    if (order.op === "buttons") {
      try {
        await ctx.reply("pick one", { buttons: order.buttons });
      } catch (error) {
        return { text: "refused: " + error.message };
      }
      return null;
    }
    return { text: "unknown op" };
  },
  async callback(ctx) {
    if (ctx.data === "boom") throw new Error("boom in a callback");
    if (ctx.data === "quiet") {
      await ctx.reply("quiet press from " + ctx.senderId);
      return;
    }
    if (ctx.data.startsWith("run:")) {
      await ctx.answer("starting");
      const run = await ctx.executor.run({ prompt: ctx.data.slice(4) });
      await ctx.reply("button run: " + JSON.stringify(run));
      return;
    }
    await ctx.answer("got " + ctx.data);
    await ctx.edit("pressed " + ctx.data + " by " + ctx.senderId, { buttons: [[{ text: "again", data: "again" }]] });
  },
};
`;

interface Result {
  ok: boolean;
  status: string;
  answer: string;
  resume: string | null;
  engine: string;
  error: string | null;
  usage: Record<string, number> | null;
  message: { chatId: number; messageId: number; threadId: number | null } | null;
}

let harness: BridgeHarness;
let web: string;

beforeAll(async () => {
  harness = await BridgeHarness.create({ engineDelayMs: 10 });
  web = join(harness.dir.path, "web");
  await gitRepo(web);
  const plugins = join(harness.dir.path, "plugins");
  await mkdir(plugins);
  await writePackage(plugins, { name: "takopi-probe", manifest: { apiVersion: 1, commands: { probe: "./probe.js" } }, files: { "probe.js": PROBE } });
  // The README's example plugin as written (Node strips its types on import).
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const example = /### Write a plugin[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  await writePackage(plugins, { name: "takopi-check", manifest: { apiVersion: 1, commands: { check: "./check.ts" } }, files: { "check.ts": example } });
  // Two projects and no default: a prompt must name one. Only USER may act.
  await harness.writeConfig({ telegram: { allowed_user_ids: [USER] }, config: { projects: { app: { path: harness.repo }, web: { path: web } } } });
  await harness.start([], { env: { TAKOPI_PLUGIN_PATH: plugins } });
}, 60_000);

afterAll(async () => {
  await harness.dispose();
});

/** Sends `/probe <order>` and resolves with the plugin's `result:` reply. */
async function probe(order: unknown, timeoutMs = 20_000): Promise<{ command: number; value: Result & Result[] }> {
  const sent = harness.send(`/probe ${JSON.stringify(order)}`);
  const reply = await harness.replyTo(sent.stored.messageId, (text) => text.startsWith("result: ") || text.startsWith("refused: ") || text.startsWith("error"), { timeoutMs });
  const text = reply.text ?? "";
  if (!text.startsWith("result: ")) throw new Error(`the plugin answered ${text}`);
  return { command: sent.stored.messageId, value: JSON.parse(text.slice("result: ".length)) as Result & Result[] };
}

/** The bot's message whose text starts with the plugin's label line and then `prompt`. */
function labelled(prompt: string): StoredMessage | undefined {
  return harness.botMessages().find((message) => message.text === `▶ run from /probe\n${prompt}`);
}

function message(id: number): StoredMessage | undefined {
  return harness.botMessages().find((candidate) => candidate.messageId === id);
}

async function spawnFor(prompt: string) {
  await waitFor(async () => (await harness.spawns()).some((spawn) => spawn.prompt.includes(prompt)), 20_000, `a spawn for ${prompt}`);
  return (await harness.spawns()).find((spawn) => spawn.prompt.includes(prompt));
}

function press(messageId: number, data: string, from: number = USER, chat: number = USER) {
  return harness.telegram.injectCallbackQuery({ chat, message_id: messageId, from, data });
}

async function answerOf(id: string) {
  await waitFor(() => harness.telegram.callbackAnswer(id) !== undefined, 10_000, `press ${id} answered`);
  return harness.telegram.callbackAnswer(id);
}

describe("executor: capture", () => {
  it("runs without a chat message and returns the answer, resume line, engine and usage", async () => {
    const before = harness.botMessages().length;
    const { command, value } = await probe({ op: "run", request: { prompt: "/web capture me" }, options: { mode: "capture" } });
    expect(value).toMatchObject({ ok: true, status: "ok", answer: "hello from fake", engine: "codex", error: null, message: null });
    expect(value.usage).toMatchObject({ inputTokens: 42, outputTokens: 7, runs: 1 });
    const spawn = await spawnFor("capture me");
    expect(value.resume).toBe(`\`codex resume ${spawn?.session ?? "?"}\``);
    expect(spawn?.cwd).toBe(web);
    // The only message the bot posted is the plugin's own reply to the command.
    const posted = harness.botMessages().slice(before);
    expect(posted.map((sent) => sent.replyToMessageId)).toEqual([command]);
  });

  it("runMany runs `parallel` at once and returns results in request order", async () => {
    const sent = harness.send(
      `/probe ${JSON.stringify({ op: "many", requests: [{ prompt: "many one [gate:many]", project: "app" }, { prompt: "/web many two [gate:many]", engine: "claude" }, { prompt: "/app many three" }], options: { mode: "capture", parallel: 2 } })}`,
    );
    // Both of the first two are running before either may finish: they run side by side.
    await spawnFor("many one");
    await spawnFor("many two");
    expect((await harness.spawns()).some((spawn) => spawn.prompt.includes("many three"))).toBe(false);
    await harness.openGate("many");
    const reply = await harness.replyTo(sent.stored.messageId, (text) => text.startsWith("result: "));
    const results = JSON.parse((reply.text ?? "").slice("result: ".length)) as Result[];
    expect(results.map((result) => [result.ok, result.engine, result.answer !== ""])).toEqual([
      [true, "codex", true],
      [true, "claude", true],
      [true, "codex", true],
    ]);
    expect((await spawnFor("many two"))?.cwd).toBe(web);
    expect((await spawnFor("many one"))?.cwd).toBe(harness.repo);
  });

  it("answers bad requests with ok:false and one line, never a throw", async () => {
    const { value } = await probe({
      op: "many",
      requests: [
        { prompt: "zzq one", project: "nope" },
        { prompt: "zzq two", engine: "nope" },
        { prompt: "/app /web zzq three" },
        { prompt: "zzq four", project: "app", branch: "two words" },
        { prompt: "/app" },
        { prompt: "zzq six", project: "app", chatId: OTHER_USER },
      ],
      options: { mode: "emit" },
    });
    expect(value.map((result) => result.status)).toEqual(Array(6).fill("error"));
    expect(value.every((result) => !result.ok && result.error !== null && !result.error.includes("\n"))).toBe(true);
    const errors = value.map((result) => result.error ?? "");
    expect(errors[0]).toMatch(/unknown project 'nope'/);
    expect(errors[1]).toMatch(/unknown engine 'nope'/);
    expect(errors[2]).toMatch(/project/);
    expect(errors[3]).toMatch(/bad branch 'two words'/);
    expect(errors[4]).toMatch(/nothing to do/);
    expect(errors[5]).toBe(`chat ${OTHER_USER} is not an allowed chat`);
    // Nothing was posted for a request that cannot run, and nothing ran.
    expect(harness.botMessages().some((sent) => (sent.text ?? "").includes("zzq"))).toBe(false);
    expect((await harness.spawns()).some((spawn) => spawn.prompt.includes("zzq"))).toBe(false);
  });
});

describe("executor: emit", () => {
  it("posts the prompt under the plugin's label and runs it as a typed prompt: progress, final answer with resume line, routed by project and branch", async () => {
    const { value } = await probe({ op: "run", request: { prompt: "/web emit me", project: "app", branch: "feat/emit" } });
    const label = labelled("/web emit me");
    expect(label).toBeDefined();
    expect(value).toMatchObject({ ok: true, status: "ok", answer: "hello from fake", engine: "codex" });
    const final = message(value.message?.messageId ?? 0);
    expect(final?.replyToMessageId).toBe(label?.messageId);
    expect(final?.text).toMatch(/^done · codex/);
    expect(final?.text).toContain("ctx: app @feat/emit");
    expect(final?.text).toContain(value.resume?.replaceAll("`", "") ?? "?");
    expect(progressOf(harness, label?.messageId ?? 0)).toBeDefined();
    // The request's project beat the prompt's /web; the branch ran in its worktree.
    expect((await spawnFor("emit me"))?.cwd).toBe(join(harness.repo, ".worktrees", "feat", "emit"));
  });

  it("queues behind a busy session with the queued message, then runs on that session", async () => {
    const typed = harness.send("/app [gate:busy] first");
    await waitFor(() => CODEX_RESUME.test(progressOf(harness, typed.stored.messageId)?.text ?? ""), 20_000, "the typed run's session");
    const resume = `\`codex resume ${CODEX_RESUME.exec(progressOf(harness, typed.stored.messageId)?.text ?? "")?.[1] ?? "?"}\``;
    const sent = harness.send(`/probe ${JSON.stringify({ op: "run", request: { prompt: "second in line", resume } })}`);
    await waitFor(() => labelled("second in line") !== undefined, 10_000, "the plugin run's message");
    const label = labelled("second in line");
    await harness.replyTo(label?.messageId ?? 0, (text) => text.startsWith("queued"));
    await harness.openGate("busy");
    const reply = await harness.replyTo(sent.stored.messageId, (text) => text.startsWith("result: "));
    const value = JSON.parse((reply.text ?? "").slice("result: ".length)) as Result;
    expect(value).toMatchObject({ ok: true, status: "ok", resume });
    expect((await spawnFor("second in line"))?.resume).toBe(CODEX_RESUME.exec(resume)?.[1]);
  });

  it("is cancelled by the plugin's signal (a capture run here; the cancel button is next)", async () => {
    const { value } = await probe({ op: "run", request: { prompt: "/app stop capture [hang]" }, options: { mode: "capture" }, cancelWhenRunning: true });
    expect(value).toMatchObject({ ok: false, status: "cancelled", message: null });
    const spawn = await spawnFor("stop capture");
    await cancelledCleanly(spawn);
  });

  it("is cancelled by the progress message's cancel button like a typed run", async () => {
    const sent = harness.send(`/probe ${JSON.stringify({ op: "run", request: { prompt: "/app stop me by button [hang]" } })}`);
    const spawn = await spawnFor("stop me by button");
    await waitFor(() => labelled("/app stop me by button [hang]") !== undefined && progressOf(harness, labelled("/app stop me by button [hang]")?.messageId ?? 0) !== undefined, 10_000, "progress");
    const progress = progressOf(harness, labelled("/app stop me by button [hang]")?.messageId ?? 0);
    const cancel = press(progress?.messageId ?? 0, "takopi:cancel");
    expect(await answerOf(cancel.id)).toMatchObject({ text: "cancelling..." });
    const reply = await harness.replyTo(sent.stored.messageId, (text) => text.startsWith("result: "));
    expect(JSON.parse((reply.text ?? "").slice("result: ".length))).toMatchObject({ ok: false, status: "cancelled" });
    await cancelledCleanly(spawn);
  });
});

describe("plugin buttons", () => {
  async function buttons(rows: unknown): Promise<StoredMessage> {
    const sent = harness.send(`/probe ${JSON.stringify({ op: "buttons", buttons: rows })}`);
    return harness.replyTo(sent.stored.messageId, (text) => text === "pick one");
  }

  it("namespaces the data, routes a press to the plugin's callback and answers it", async () => {
    const pick = await buttons([[{ text: "go", data: "hello" }]]);
    expect(JSON.stringify(pick.replyMarkup)).toContain('"callback_data":"p:probe:hello"');
    const answer = await answerOf(press(pick.messageId, "p:probe:hello").id);
    expect(answer).toMatchObject({ text: "got hello" });
    await waitFor(() => message(pick.messageId)?.text === `pressed hello by ${USER}`, 10_000, "the callback's edit");
    expect(JSON.stringify(message(pick.messageId)?.replyMarkup)).toContain('"callback_data":"p:probe:again"');
  });

  it("answers a press the plugin left unanswered, a throwing callback, and an unknown plugin's button", async () => {
    const pick = await buttons([[{ text: "quiet", data: "quiet" }, { text: "boom", data: "boom" }]]);
    const quiet = press(pick.messageId, "p:probe:quiet");
    await harness.replyTo(pick.messageId, (text) => text === `quiet press from ${USER}`);
    expect((await answerOf(quiet.id))?.text).toBeUndefined();
    expect(await answerOf(press(pick.messageId, "p:probe:boom").id)).toMatchObject({ text: "that button failed." });
    expect(harness.logs().some((line) => line.event === "command.callback_failed")).toBe(true);
    expect(await answerOf(press(pick.messageId, "p:ghost:x").id)).toMatchObject({ text: "this button is no longer active." });
  });

  it("refuses a press by a user who is not allowed, and one from a chat that is not allowed; the plugin hears neither", async () => {
    const pick = await buttons([[{ text: "go", data: "stranger" }]]);
    expect(await answerOf(press(pick.messageId, "p:probe:stranger", OTHER_USER).id)).toMatchObject({ text: "only allowed users can use this button." });
    // The bot's button in a chat it does not serve (posted there directly through the Bot API).
    const response = await fetch(harness.telegram.methodUrl("sendMessage"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chat_id: OTHER_USER, text: "elsewhere", reply_markup: { inline_keyboard: [[{ text: "go", callback_data: "p:probe:elsewhere" }]] } }),
    });
    const elsewhere = ((await response.json()) as { result: { message_id: number } }).result.message_id;
    expect(await answerOf(press(elsewhere, "p:probe:elsewhere", OTHER_USER, OTHER_USER).id)).toMatchObject({ text: "this button does not work in this chat." });
    expect(message(pick.messageId)?.text).toBe("pick one");
    expect(harness.botMessages(OTHER_USER).map((sent) => sent.text)).toEqual(["elsewhere"]);
  });

  it("refuses data over Telegram's 64 bytes with an error the plugin can read", async () => {
    const sent = harness.send(`/probe ${JSON.stringify({ op: "buttons", buttons: [[{ text: "long", data: "x".repeat(60) }]] })}`);
    const reply = await harness.replyTo(sent.stored.messageId, (text) => text.startsWith("refused: "));
    expect(reply.text).toMatch(/60 bytes; plugin probe's buttons take at most 56/);
  });

  it("a press can start an emit run in the button's chat", async () => {
    const pick = await buttons([[{ text: "run", data: "run:/app from a button" }]]);
    expect(await answerOf(press(pick.messageId, "p:probe:run:/app from a button").id)).toMatchObject({ text: "starting" });
    await waitFor(() => labelled("/app from a button") !== undefined, 10_000, "the run's message");
    const label = labelled("/app from a button");
    await harness.replyTo(label?.messageId ?? 0, (text) => text.startsWith("done · codex"));
    const report = await harness.replyTo(pick.messageId, (text) => text.startsWith("button run: "));
    expect(JSON.parse((report.text ?? "").slice("button run: ".length))).toMatchObject({ ok: true, status: "ok", answer: "hello from fake" });
  });
});

describe("the README's example plugin", () => {
  it("captures a run, puts a button under the answer, and a press starts an emit run in the chat", async () => {
    const command = harness.send("/check app");
    const offer = await harness.replyTo(command.stored.messageId, (text) => text.startsWith("app: "));
    expect(offer.text).toBe("app: hello from fake");
    expect(JSON.stringify(offer.replyMarkup)).toContain('"callback_data":"p:check:fix:app"');
    expect(await answerOf(press(offer.messageId, "p:check:fix:app").id)).toMatchObject({ text: "fixing app" });
    await waitFor(() => message(offer.messageId)?.text === "fixing app…", 10_000, "the offer edited");
    expect(message(offer.messageId)?.replyMarkup).toBeUndefined();
    await waitFor(() => harness.botMessages().some((sent) => sent.text === "▶ run from /check\nmake the failing tests pass"), 10_000, "the emit run's message");
    const label = harness.botMessages().find((sent) => sent.text === "▶ run from /check\nmake the failing tests pass");
    await harness.replyTo(label?.messageId ?? 0, (text) => text.startsWith("done · codex") && text.includes("ctx: app"));
    expect((await spawnFor("make the failing tests pass"))?.cwd).toBe(harness.repo);
  });
});

// Last: it stops the bridge.
describe("shutdown", () => {
  it("cancels a plugin's run at once, and the plugin's reply with the cancelled result still goes out", async () => {
    const sent = harness.send(`/probe ${JSON.stringify({ op: "run", request: { prompt: "/app until shutdown [hang]" } })}`);
    const spawn = await spawnFor("until shutdown");
    await waitFor(() => CODEX_RESUME.test(progressOf(harness, labelled("/app until shutdown [hang]")?.messageId ?? 0)?.text ?? ""), 10_000, "the run's session");
    expect(await harness.stop("SIGTERM")).toBe(0);
    const reply = harness.botMessages().find((message) => message.replyToMessageId === sent.stored.messageId);
    expect(JSON.parse((reply?.text ?? "").slice("result: ".length))).toMatchObject({ ok: false, status: "cancelled" });
    expect(progressOf(harness, labelled("/app until shutdown [hang]")?.messageId ?? 0)?.text).toMatch(/^cancelled · codex/);
    expect(isAlive(spawn?.pid ?? 0) || isAlive(spawn?.childPid ?? 0)).toBe(false);
    // The executor cancelled it before the bridge's own cancel-all found anything left to cancel.
    expect(harness.logs().filter((line) => line.event === "telegram.shutdown_cancelling")).toEqual([]);
  });
});
