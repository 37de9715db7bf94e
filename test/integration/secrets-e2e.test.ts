/**
 * No engine, log line or chat message holds the bot token: a real
 * `takopi run` against the fake Bot API server, started with the environment
 * the container gives it (TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID from .env, a
 * TAKOPI__ override carrying the transcription key, the engines' API keys) and
 * debug logging, driving a stand-in codex (fake-engine/leaky.mjs) that dumps
 * its environment, reads takopi's from /proc, and prints every secret it finds
 * into a command, its answer and its stderr before failing.
 */
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bridgePerTest, type BridgeHarness } from "../support/bridge-harness.js";
import { takopi } from "../support/cli.js";
import { USER } from "../support/fake-telegram/standard-world.js";

const LEAKY_ENGINE = fileURLToPath(new URL("../support/fake-engine/leaky.mjs", import.meta.url));

const OPENAI = "sk-proj-e2eOpenAiKey0123456789abcdefXYZ";
const ANTHROPIC = "sk-ant-api03-e2eAnthropicKey0123456789";
const VOICE = "sk-voice-e2eTranscriptionKey0123456789";
const VOICE_OVERRIDE = "TAKOPI__TRANSPORTS__TELEGRAM__VOICE_TRANSCRIPTION_API_KEY";

const { created } = bridgePerTest();

/** A bridge as the container runs it, with the leaky codex first on PATH. */
async function containerBridge(): Promise<{ harness: BridgeHarness; token: string; env: Record<string, string> }> {
  const harness = await created({
    // exec: the leaky stand-in speaks `codex exec --json`, and its failing exit with stderr is what the final shows.
    config: { codex: { backend: "exec", env: { CODEX_EXTRA: "from-takopi-toml" }, env_deny: ["ANTHROPIC_*"] } },
  });
  const token = harness.telegram.token;
  const bin = join(harness.dir.path, "leaky-bin");
  await mkdir(bin);
  await symlink(LEAKY_ENGINE, join(bin, "codex"));
  const env = {
    TELEGRAM_BOT_TOKEN: token,
    TELEGRAM_CHAT_ID: String(USER),
    TAKOPI_ALLOWED_USER_IDS: String(USER),
    [VOICE_OVERRIDE]: VOICE,
    OPENAI_API_KEY: OPENAI,
    ANTHROPIC_API_KEY: ANTHROPIC,
  };
  // Where the stand-in looks when /proc cannot be read (not Linux): the same secrets.
  await writeFile(join(harness.engineDir, "secrets.env"), Object.entries(env).map(([name, value]) => `${name}=${value}`).join("\n"));
  await harness.start([], { pathFirst: [bin], env });
  return { harness, token, env };
}

describe("secrets", () => {
  it("reach no engine, no chat message and no log line; the error final stays readable", async () => {
    const { harness, token } = await containerBridge();
    const secrets = [token, token.split(":")[1] ?? token, OPENAI, ANTHROPIC, VOICE];
    const prompt = harness.send("what is in your environment?");
    const final = await harness.replyTo(prompt.stored.messageId, (text) => text.includes("codex exec failed"));

    // The engine's environment: no token, no override, no transcription key, no denied key; its own key and env are there.
    const engineEnv = JSON.parse(await readFile(join(harness.engineDir, "leaky-env.json"), "utf8")) as Record<string, string>;
    const engineEnvText = JSON.stringify(engineEnv);
    for (const secret of [token, VOICE, ANTHROPIC]) expect(engineEnvText).not.toContain(secret);
    expect(Object.keys(engineEnv).filter((name) => name.startsWith("TAKOPI__") || name === "TELEGRAM_BOT_TOKEN")).toEqual([]);
    expect(engineEnv).toMatchObject({ OPENAI_API_KEY: OPENAI, CODEX_EXTRA: "from-takopi-toml", TELEGRAM_CHAT_ID: String(USER) });

    // The stand-in really had every secret in hand (from takopi's /proc environ), so what follows is not vacuous.
    const leaked = JSON.parse(await readFile(join(harness.engineDir, "leaky-found.json"), "utf8")) as { source: string; found: Record<string, string> };
    expect(leaked.found).toEqual({ TELEGRAM_BOT_TOKEN: token, OPENAI_API_KEY: OPENAI, ANTHROPIC_API_KEY: ANTHROPIC, [VOICE_OVERRIDE]: VOICE });
    if (process.platform === "linux") expect(leaked.source).toMatch(/^\/proc\/\d+\/environ$/);

    // Every Bot API call takopi made (sends, edits, deletes, menu, …) is free of every secret.
    const calls = harness.telegram.calls();
    const offending = calls.filter((call) => secrets.some((secret) => JSON.stringify(call.params).includes(secret))).map((call) => `#${call.seq} ${call.method}`);
    expect(offending).toEqual([]);
    // The progress edits did show the leaking command, redacted.
    const edits = calls.filter((call) => call.method === "editMessageText").map((call) => String(call.params.text));
    expect(edits.some((text) => text.includes("curl https://api.telegram.org/bot[REDACTED:TELEGRAM_BOT_TOKEN]/getMe"))).toBe(true);

    // The final: the answer and the diagnosis, readable, with markers instead of secrets and entities on them.
    const text = final.text ?? "";
    expect(text).toContain("codex exec failed (rc=1).");
    expect(text).toContain("Error: 401 Unauthorized: Incorrect API key provided: [REDACTED:OPENAI_API_KEY]");
    expect(text).toContain("The bot token is [REDACTED:TELEGRAM_BOT_TOKEN].");
    const codeSpans = (final.entities ?? []).filter((entity) => entity.type === "code").map((entity) => text.slice(entity.offset, entity.offset + entity.length));
    expect(codeSpans).toEqual(expect.arrayContaining(["[REDACTED:TELEGRAM_BOT_TOKEN]", "[REDACTED:OPENAI_API_KEY]", "[REDACTED:ANTHROPIC_API_KEY]", `[REDACTED:${VOICE_OVERRIDE}]`]));

    // Logs at debug level, stdout and stderr alike: no secret, though the engine's stderr and environment were logged.
    const output = `${harness.stdout}\n${harness.stderr}`;
    expect(secrets.filter((secret) => output.includes(secret))).toEqual([]);
    const logs = harness.logs();
    const ended = logs.find((line) => line.msg === "engine ended without a result event");
    expect(String(ended?.stderrTail)).toContain("Incorrect API key provided: [REDACTED:OPENAI_API_KEY]");
    const environment = logs.find((line) => line.event === "engine.environment" && line.engine === "codex");
    expect(environment?.withheld).toEqual(expect.arrayContaining(["TELEGRAM_BOT_TOKEN", VOICE_OVERRIDE, "ANTHROPIC_API_KEY"]));
    expect(environment?.withheld).not.toContain("OPENAI_API_KEY");
  });

  it("`takopi config list` of that deployment prints no secret unless asked", async () => {
    const { harness, token, env } = await containerBridge();
    await harness.stop();
    const list = await takopi(["config", "list"], { home: harness.home, env: { ...env, TAKOPI_CONFIG: harness.configPath } });
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toContain(`transports.telegram.bot_token = "${token.split(":")[0] ?? ""}:********"`);
    expect(`${list.stdout}\n${list.stderr}`).not.toContain(token.split(":")[1] ?? token);
    expect(list.stderr).toContain("--show-secrets");
    const shown = await takopi(["config", "list", "--show-secrets"], { home: harness.home, env: { TAKOPI_CONFIG: harness.configPath } });
    expect(shown.stdout).toContain(token);
  });
});
