/**
 * `takopi chat-id` as a real process against the fake Bot API: it answers
 * private messages and, in groups, only what is addressed to the bot; it
 * confirms what it answered so a restart does not answer again; it stops
 * with exit 0 on SIGTERM; and the token never reaches its output.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { takopi } from "../support/cli.js";
import { expectJsonLines } from "../support/json-lines.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram/index.js";
import { FORUM, GROUP, STANDARD_WORLD, USER } from "../support/fake-telegram/standard-world.js";
import { scratchDir, waitFor, type ScratchDir } from "../support/scripts.js";

let dir: ScratchDir;
let home: string;
let tg: FakeTelegram;
type Child = ReturnType<typeof takopi>;
const running: Child[] = [];

beforeEach(async () => {
  dir = await scratchDir("takopi-chat-id-");
  home = join(dir.path, "home");
  await mkdir(home);
  tg = await startFakeTelegram(STANDARD_WORLD);
});

afterEach(async () => {
  for (const child of running.splice(0)) {
    child.kill("SIGKILL");
    await child;
  }
  await tg.close();
  await dir.dispose();
});

/**
 * Starts `takopi chat-id` and waits until it holds a long poll open. The
 * process is returned in a box: an async function returning it bare would
 * await it (it is a promise of the process's end).
 */
async function start(env: Record<string, string> = {}): Promise<{ child: Child }> {
  const child = takopi(["chat-id"], { home, env: { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: tg.apiRoot, ...env } });
  running.push(child);
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  await waitFor(() => out.includes("Waiting for messages") && tg.isPolling(), 20_000, "takopi chat-id to poll");
  return { child };
}

/** SIGTERM, then the process's result (afterEach's SIGKILL is a no-op for it then). */
async function stop(child: Child) {
  child.kill("SIGTERM");
  return await child;
}

const botTexts = (chatId?: number) => tg.messages(chatId).map((message) => message.text);

describe("takopi chat-id", () => {
  it("answers a private message with the chat id, prints it, and stops cleanly on SIGTERM", async () => {
    const { child } = await start();
    const sent = tg.injectMessage({ chat: USER, from: USER, text: "hello" });
    const answer = await tg.waitForMessage((message) => message.chatId === USER);
    expect(answer.text).toBe(`This chat's id is ${USER}. Put TELEGRAM_CHAT_ID=${USER} into .env and restart takopi.`);
    expect(answer.replyToMessageId).toBe(sent.message.message_id);
    await tg.waitForConfirmed(sent.updateId);

    const result = await stop(child);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      [
        `Waiting for messages to @${tg.botInfo.username}: send it any message in a private chat, or /chatid in a group, and it answers with that chat's id. Stop with Ctrl-C.`,
        `chat ${USER} (private, from @ada): TELEGRAM_CHAT_ID=${USER}`,
      ].join("\n"),
    );
    expect(result.stderr).toBe("");
    expect(`${result.stdout}${result.stderr}`).not.toContain(tg.token.split(":")[1]);
  });

  it("with TAKOPI_LOG_FORMAT=json every line it prints is one JSON object", async () => {
    const { child } = await start({ TAKOPI_LOG_FORMAT: "json" });
    const sent = tg.injectMessage({ chat: USER, from: USER, text: "hello" });
    await tg.waitForMessage((message) => message.chatId === USER);
    await tg.waitForConfirmed(sent.updateId);
    const result = await stop(child);
    expect(result.exitCode).toBe(0);
    const parsed = expectJsonLines(`${result.stdout}\n${result.stderr}`);
    expect(parsed.map((line) => line.msg)).toEqual([expect.stringContaining("Waiting for messages"), `chat ${USER} (private, from @ada): TELEGRAM_CHAT_ID=${USER}`]);
    expect(parsed[1]).toMatchObject({ level: 30, event: "chat_id.seen", chat_id: USER });
  });

  it("in a group answers only /chatid, a mention or a reply to the bot; in a forum topic it answers in that topic", async () => {
    const { child } = await start();
    const ignored = tg.injectMessage({ chat: GROUP, from: USER, text: "just chatting" });
    const otherBot = tg.injectMessage({ chat: GROUP, from: USER, text: "/chatid@some_other_bot" });
    tg.injectMessage({ chat: GROUP, from: USER, text: "/chatid" });
    // Answers in groups are paced 3 s apart (the outbox's group rate), hence the longer waits.
    await tg.waitForMessage((message) => message.chatId === GROUP, 15_000);
    tg.injectMessage({ chat: GROUP, from: USER, text: `hey @${tg.botInfo.username} what is this?` });
    await waitFor(() => tg.messages(GROUP).length === 2, 15_000, "the answer to the mention");
    const answer = tg.messages(GROUP)[0];
    tg.injectMessage({ chat: GROUP, from: USER, text: "and again", reply_to_message_id: answer?.messageId });
    await waitFor(() => tg.messages(GROUP).length === 3, 15_000, "the answer to the reply");

    const topic = tg.addForumTopic(FORUM, "setup");
    tg.injectMessage({ chat: FORUM, from: USER, text: "/chatid", message_thread_id: topic });
    const inTopic = await tg.waitForMessage((message) => message.chatId === FORUM, 15_000);
    expect(inTopic.threadId).toBe(topic);

    const answerText = (id: number) => `This group's id is ${id}. Put TELEGRAM_CHAT_ID=${id} into .env and restart takopi.`;
    expect(botTexts(GROUP)).toEqual([answerText(GROUP), answerText(GROUP), answerText(GROUP)]);
    expect(botTexts(FORUM)).toEqual([answerText(FORUM)]);
    const answeredIds = tg.messages(GROUP).map((message) => message.replyToMessageId);
    expect(answeredIds).not.toContain(ignored.message.message_id);
    expect(answeredIds).not.toContain(otherBot.message.message_id);
    expect((await stop(child)).exitCode).toBe(0);
  });

  it("does not answer a message twice across a restart", async () => {
    const { child: first } = await start();
    const sent = tg.injectMessage({ chat: USER, from: USER, text: "hi" });
    await tg.waitForMessage((message) => message.chatId === USER);
    await tg.waitForConfirmed(sent.updateId);
    expect((await stop(first)).exitCode).toBe(0);

    const { child: second } = await start();
    tg.injectMessage({ chat: USER, from: USER, text: "hi again" });
    await waitFor(() => tg.messages(USER).length === 2, 5_000, "the answer to the new message");
    const result = await stop(second);
    expect(result.exitCode).toBe(0);
    expect(tg.messages(USER)).toHaveLength(2);
    expect(result.stdout.split("\n").filter((line) => line.startsWith("chat "))).toHaveLength(1);
  });

  it("answers a message sent before it started", async () => {
    tg.injectMessage({ chat: USER, from: USER, text: "/start" });
    const { child } = await start();
    await tg.waitForMessage((message) => message.chatId === USER);
    expect((await stop(child)).exitCode).toBe(0);
  });

  it("a token Telegram rejects is one line and exit 1, without the token", async () => {
    const token = "999999:WrongTokenWrongTokenWrongToken";
    const result = await takopi(["chat-id", "--token", token, "--api-root", tg.apiRoot], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe("takopi: Telegram rejected the bot token (401 Unauthorized); check --token");
    expect(`${result.stdout}${result.stderr}`).not.toContain("WrongToken");
  });

  it("without a token says where one can come from", async () => {
    const result = await takopi(["chat-id"], { home });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      "takopi: no bot token: pass --token, set TELEGRAM_BOT_TOKEN, or set transports.telegram.bot_token in ~/.takopi/takopi.toml",
    );
  });

  it("an unreachable Bot API is one line and exit 1, without the token", async () => {
    const closed = await startFakeTelegram();
    const apiRoot = closed.apiRoot;
    await closed.close();
    const result = await takopi(["chat-id"], { home, env: { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: apiRoot } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^takopi: cannot reach the Bot API at ${apiRoot}: .+$`));
    expect(result.stderr).not.toContain(tg.token.split(":")[1]);
  });
});

describe("takopi chat-id --project", () => {
  const configPath = () => join(home, ".takopi", "takopi.toml");
  async function writeTakopiConfig(table: Record<string, unknown>): Promise<void> {
    await mkdir(join(home, ".takopi"), { recursive: true });
    await writeFile(configPath(), stringify({ transport: "telegram", transports: { telegram: { bot_token: tg.token, chat_id: USER, api_root: tg.apiRoot } }, ...table }));
  }
  function startForProject(alias: string): Child {
    const child = takopi(["chat-id", "--project", alias], { home });
    running.push(child);
    return child;
  }

  it("writes the first chat that is not the main one as projects.<alias>.chat_id, then stops", async () => {
    const app = join(dir.path, "app");
    await mkdir(app);
    await writeTakopiConfig({ projects: { app: { path: app } } });
    const child = startForProject("App");
    await waitFor(() => tg.isPolling(), 20_000, "takopi chat-id to poll");

    // The main chat is refused: a project needs a chat of its own.
    tg.injectMessage({ chat: USER, from: USER, text: "here?" });
    const refused = await tg.waitForMessage((message) => message.chatId === USER);
    expect(refused.text).toBe("This is takopi's main chat; project app needs a chat of its own. Add the bot to that project's group and send /chatid there.");
    tg.injectMessage({ chat: GROUP, from: USER, text: "/chatid" });

    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split("\n").at(-1)).toBe(`updated projects.app.chat_id = ${GROUP}`);
    expect(parse(await readFile(configPath(), "utf8"))).toMatchObject({ projects: { app: { path: app, chat_id: GROUP } }, transports: { telegram: { chat_id: USER } } });
    const answer = tg.messages(GROUP).at(-1);
    expect(answer?.text).toBe(`This group's id is ${GROUP}: it is now project app's chat. Restart takopi to use it.`);
    expect(`${result.stdout}${result.stderr}`).not.toContain(tg.token.split(":")[1]);
  });

  it("with a config generated from a projects directory, writes the project's .takopi.toml, which discover reads back", async () => {
    const projectsDir = join(dir.path, "projects");
    const web = join(projectsDir, "web");
    await mkdir(web, { recursive: true });
    await writeFile(join(web, ".takopi.toml"), 'default_engine = "claude"\n');
    await writeTakopiConfig({ projects_dir: projectsDir, projects: { web: { path: web } } });
    const child = startForProject("web");
    await waitFor(() => tg.isPolling(), 20_000, "takopi chat-id to poll");
    tg.injectMessage({ chat: GROUP, from: USER, text: "/chatid" });

    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`updated ${join(web, ".takopi.toml")}: chat_id = ${GROUP}`);
    expect(parse(await readFile(join(web, ".takopi.toml"), "utf8"))).toEqual({ default_engine: "claude", chat_id: GROUP });
    // The generated config is left alone; the next discover (the container's next start) carries the id.
    expect(parse(await readFile(configPath(), "utf8"))).toMatchObject({ projects: { web: { path: web } } });
    const out = join(dir.path, "generated.toml");
    const discovered = await takopi(["discover", "--projects-dir", projectsDir, "--out", out], { home, env: { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_CHAT_ID: String(USER) } });
    expect(discovered.exitCode, discovered.stderr).toBe(0);
    expect(parse(await readFile(out, "utf8"))).toMatchObject({ projects: { web: { chat_id: GROUP, default_engine: "claude" } } });
  });

  it("an unknown project is one line and exit 1, before anything is asked of Telegram", async () => {
    await writeTakopiConfig({ projects: { app: { path: dir.path } } });
    const result = await takopi(["chat-id", "--project", "nope"], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe("takopi: Unknown project 'nope'; run `takopi init nope` first (known: app).");
    expect(tg.calls().length).toBe(0);
  });
});
