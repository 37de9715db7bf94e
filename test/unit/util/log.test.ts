// createLogger end to end: the console format (readable lines), the json
// format (one object per line), the JSON log file beside either, the warnings
// for settings it does not understand — and no secret in any of them, even in
// error messages, stacks, cause chains and URLs quoting a token nobody told
// the redactor about.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDebugLogFile, openLogFile } from "../../../src/logging/file.js";
import { Redactor } from "../../../src/secrets/redactor.js";
import { createLogger } from "../../../src/util/log.js";
import { scratchDir } from "../../support/scripts.js";

const TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnopq";
/** A token of a shape the token pattern does not know (too short), which only the URL backstop catches. */
const ODD_TOKEN = "42:short-secret";
const SECRETS = [TOKEN, TOKEN.split(":")[1] ?? "", "short-secret"];

function redactor(): Redactor {
  return Redactor.of([{ name: "TELEGRAM_BOT_TOKEN", value: TOKEN }]);
}

/** An HTTP client's failure as it reaches a log: the URL in the message, the stack, a cause and a field. */
function logFailures(log: ReturnType<typeof createLogger>): void {
  const cause = new Error(`connect ECONNREFUSED for https://api.telegram.org/bot${TOKEN}/getUpdates`);
  log.error({ err: new Error(`request to https://api.telegram.org/bot${TOKEN}/getUpdates failed`, { cause }), url: `http://127.0.0.1:9/bot${ODD_TOKEN}/getMe` }, "poll failed");
  log.warn({ error: new TypeError(`Invalid URL: http://x/bot${ODD_TOKEN}/sendMessage`) }, `retrying ${TOKEN}`);
  log.debug({ event: "debug.detail" }, "a debug line");
}

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

const dirs: { dispose(): Promise<void> }[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await dir.dispose();
});

async function tempDir(): Promise<string> {
  const dir = await scratchDir("takopi-log-");
  dirs.push(dir);
  return dir.path;
}

describe("createLogger", () => {
  it("writes readable lines in the console format, stacks at debug level, no secret anywhere", () => {
    const lines: string[] = [];
    logFailures(createLogger({ level: "debug", format: "console", file: null, redactor: redactor(), destination: { write: (line) => lines.push(line) } }));
    const text = lines.join("");
    expectNoSecret(text);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ERROR poll failed {2}err="Error: request to https:\/\/api\.telegram\.org\/bot\[REDACTED:TELEGRAM_BOT_TOKEN\]\/getUpdates failed: connect ECONNREFUSED/);
    expect(lines[0]).toContain("url=http://127.0.0.1:9/bot[REDACTED:bot_token]/getMe");
    expect(lines[0]?.split("\n")[1]).toMatch(/^ {4}Error: request to/);
    expect(lines[1]).toContain('WARN  retrying [REDACTED:TELEGRAM_BOT_TOKEN]  error="TypeError: Invalid URL: http://x/bot[REDACTED:bot_token]/sendMessage"');
    expect(lines[2]).toMatch(/DEBUG a debug line\n$/);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).toThrow();
  });

  it("leaves stacks out above debug level", () => {
    const lines: string[] = [];
    logFailures(createLogger({ level: "info", format: "console", file: null, redactor: redactor(), destination: { write: (line) => lines.push(line) } }));
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.split("\n").length === 2)).toBe(true);
  });

  it("writes one JSON object per line in the json format, redacted the same", () => {
    const lines: string[] = [];
    logFailures(createLogger({ level: "debug", format: "json", file: null, redactor: redactor(), destination: { write: (line) => lines.push(line) } }));
    expectNoSecret(lines.join(""));
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ level: 50, msg: "poll failed", url: "http://127.0.0.1:9/bot[REDACTED:bot_token]/getMe", err: { type: "Error" } });
    // `error` is serialized like `err`: its message and stack, not `{}`.
    expect(parsed[1]).toMatchObject({ level: 40, error: { type: "TypeError", message: "Invalid URL: http://x/bot[REDACTED:bot_token]/sendMessage" } });
    expect(parsed[2]).toMatchObject({ level: 20, event: "debug.detail" });
  });

  it("appends JSON lines at the logger's level to the log file (0600) besides the console", async () => {
    const path = join(await tempDir(), "takopi.log");
    const consoleLines: string[] = [];
    const make = () => createLogger({ level: "info", format: "console", file: { file: openLogFile(path), fallbackFrom: null }, redactor: redactor(), destination: { write: (line) => consoleLines.push(line) } });
    logFailures(make());
    logFailures(make());
    const fileText = await readFile(path, "utf8");
    expectNoSecret(fileText);
    const entries = fileText.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.map((entry) => entry.msg)).toEqual(["poll failed", `retrying [REDACTED:TELEGRAM_BOT_TOKEN]`, "poll failed", `retrying [REDACTED:TELEGRAM_BOT_TOKEN]`]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(consoleLines).toHaveLength(4);
  });

  it("says once that the log file cannot be written, and goes on on the console", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", format: "json", file: { file: openLogFile("/dev/full"), fallbackFrom: null }, destination: { write: (line) => lines.push(line) } });
    log.info("one");
    log.info("two");
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(["cannot write the log file /dev/full (ENOSPC: no space left on device, write); logging to the console only", "one", "two"]);
  });

  it("warns once about each logging variable it does not understand and about a TAKOPI_LOG_FILE it cannot open", () => {
    const saved = { ...process.env };
    process.env.TAKOPI_LOG_LEVEL = "chatty";
    process.env.TAKOPI_LOG_FORMAT = "yaml";
    process.env.TAKOPI_LOG_FILE = "/nonexistent/dir/takopi.log";
    try {
      const lines: string[] = [];
      const log = createLogger({ destination: { write: (line) => lines.push(line) } });
      log.debug("not at info");
      log.info("started");
      expect(lines.map((line) => line.slice(13))).toEqual([
        "WARN  TAKOPI_LOG_LEVEL=chatty is not one of trace, debug, info, warn, error, fatal, silent; using the default level  variable=TAKOPI_LOG_LEVEL\n",
        "WARN  TAKOPI_LOG_FORMAT=yaml is not console or json; using console  variable=TAKOPI_LOG_FORMAT\n",
        "WARN  cannot open TAKOPI_LOG_FILE /nonexistent/dir/takopi.log: ENOENT: no such file or directory\n",
        "INFO  started\n",
      ]);
    } finally {
      process.env = saved;
    }
  });
});

describe("openDebugLogFile", () => {
  it("opens debug.log in the current directory, else beside the config, and says why", async () => {
    const here = await tempDir();
    const state = await tempDir();
    const cwd = process.cwd();
    try {
      process.chdir(here);
      const first = openDebugLogFile(join(state, "takopi.toml"));
      expect(first.file?.path).toBe(join(here, "debug.log"));
      first.file?.close();
      // /proc takes no new files, even for root (as /app in the image takes none for the bridge's user).
      process.chdir("/proc");
      const second = openDebugLogFile(join(state, "takopi.toml"));
      second.file?.close();
      expect(second).toMatchObject({ file: { path: join(state, "debug.log") }, fallbackFrom: { path: "/proc/debug.log" } });
      const neither = openDebugLogFile("/proc/self/takopi.toml");
      expect(neither).toMatchObject({ file: null });
      expect(neither.file === null ? neither.problem : "").toMatch(/^cannot open \/proc\/debug\.log \(.+\) nor \/proc\/self\/debug\.log \(.+\)$/);
    } finally {
      process.chdir(cwd);
    }
  });
});
