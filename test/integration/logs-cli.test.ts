/**
 * What `takopi run` prints, as `docker compose logs` shows it: by default one
 * readable line per event with the start-up at info; with
 * TAKOPI_LOG_FORMAT=json one JSON object per line on stdout and stderr, also
 * when the bridge gives up; with --debug a JSON debug log file besides. The bot
 * token is in none of them, also while the HTTP client fails against the fake
 * Bot API (dropped connections, 5xx answers, a refused token).
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bridgePerTest, type BridgeHarness } from "../support/bridge-harness.js";
import { expectJsonLines } from "../support/json-lines.js";

const { created } = bridgePerTest();

/** A readable line's head: local time, a level padded to 5, a space. */
const READABLE = /^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) /;

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

function expectNoToken(harness: BridgeHarness, ...texts: string[]): void {
  const token = harness.telegram.token;
  for (const text of texts) {
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split(":")[1] ?? token);
  }
}

/** The Bot API fails the way networks do: getMe and getUpdates lose their connection, sends get 500s. */
function injectFailures(harness: BridgeHarness): void {
  harness.telegram.failNext("getMe", { drop: true }, 1);
  harness.telegram.failNext("getUpdates", { drop: true }, 1);
  harness.telegram.failNext("sendMessage", { code: 500, description: "Internal Server Error" }, 2);
}

/** A prompt answered, with failures on the way. */
async function promptThroughFailures(harness: BridgeHarness): Promise<void> {
  const prompt = harness.send("hello");
  await harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"), { timeoutMs: 30_000 });
  await harness.stop();
}

describe("takopi run's logs", () => {
  it("are readable lines by default, the start-up at info, nothing below info", async () => {
    const harness = await created();
    injectFailures(harness);
    await harness.start([], { env: { TAKOPI_LOG_FORMAT: "", TAKOPI_LOG_LEVEL: "" } });
    await promptThroughFailures(harness);

    const output = lines(harness.stderr);
    for (const line of output) expect(line, line).toMatch(READABLE);
    expect(output.filter((line) => line.startsWith("{"))).toEqual([]);
    expect(output.filter((line) => / (DEBUG|TRACE) /.test(line))).toEqual([]);
    const info = output.map((line) => line.slice(13));
    expect(info).toContainEqual(expect.stringMatching(/^INFO {2}takopi \d+\.\d+\.\d+\S* starting: telegram, default engine codex, 1 project {2}version=\S+ config=\S+takopi\.toml transport=telegram engine=codex engines=\S*codex\S* projects=1$/));
    expect(info).toContain("INFO  connected as @takopi_test_bot  bot=takopi_test_bot api_root=" + harness.telegram.apiRoot);
    expect(info).toContainEqual(expect.stringMatching(/^WARN {2}cannot reach the Telegram Bot API yet; retrying {2}error="HttpError: Network request for 'getMe' failed!/));
    expect(harness.stdout).toBe("");
    expectNoToken(harness, harness.stderr);
  });

  it("are one JSON object per line on stdout and stderr with TAKOPI_LOG_FORMAT=json, also to TAKOPI_LOG_FILE", async () => {
    const harness = await created();
    injectFailures(harness);
    const file = join(harness.dir.path, "takopi.log");
    await harness.start([], { env: { TAKOPI_LOG_FORMAT: "json", TAKOPI_LOG_LEVEL: "info", TAKOPI_LOG_FILE: file } });
    await promptThroughFailures(harness);

    const logged = expectJsonLines(harness.stderr);
    expectJsonLines(harness.stdout);
    expect(logged.map((line) => line.event)).toEqual(expect.arrayContaining(["takopi.starting", "telegram.connect_retry", "telegram.connected", "telegram.poll_failed"]));
    expect(logged.find((line) => line.event === "takopi.starting")).toMatchObject({ level: 30, engine: "codex", projects: 1 });
    // The file has the same lines as the console, as JSON.
    const text = await readFile(file, "utf8");
    expect(expectJsonLines(text).map((line) => line.msg)).toEqual(logged.map((line) => line.msg));
    expectNoToken(harness, harness.stderr, harness.stdout, text);
  });

  it("stay JSON when the bridge gives up on a refused token", async () => {
    const harness = await created();
    harness.telegram.failNext("getMe", { code: 401, description: "Unauthorized" }, 1);
    await expect(harness.start()).rejects.toThrow(/takopi exited with 1/);
    const logged = expectJsonLines(harness.stderr);
    expect(logged.find((line) => line.event === "telegram.connect_failed")).toMatchObject({ level: 50, msg: expect.stringContaining("Telegram refused the bot token (401 Unauthorized)") as string });
    expectNoToken(harness, harness.stderr);
  });

  it("go to debug.log as JSON at debug level with --debug (0600), readable on the console", async () => {
    const harness = await created();
    injectFailures(harness);
    await harness.start(["--debug"], { env: { TAKOPI_LOG_FORMAT: "console", TAKOPI_LOG_LEVEL: "" } });
    await promptThroughFailures(harness);
    // The harness runs takopi in its scratch directory.
    const path = join(harness.dir.path, "debug.log");
    const output = lines(harness.stderr);
    expect(output.map((line) => line.slice(13))).toContain(`INFO  writing debug logs as JSON lines to ${path}  path=${path}`);
    expect(output.some((line) => / DEBUG /.test(line))).toBe(true);
    const text = await readFile(path, "utf8");
    const entries = expectJsonLines(text);
    expect(entries.some((entry) => entry.level === 20)).toBe(true);
    expect(entries.find((entry) => entry.event === "takopi.starting")).toBeDefined();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expectNoToken(harness, harness.stderr, text);
  });
});
