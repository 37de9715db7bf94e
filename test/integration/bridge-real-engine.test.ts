/**
 * One Telegram message driving a real engine binary: `takopi run` against the
 * fake Bot API server, the pinned codex CLI (test/engines) against the fake
 * LLM server on 127.0.0.1, in a real git repository. The answer, the tool call
 * in the progress message and reply-to-continue all come from the real CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeHarness } from "../support/bridge-harness.js";
import { disposeAll, ENGINES_BIN_DIR, engineBinary, engineRunSetup, makeIsolatedHome } from "../support/engine-env.js";
import { startFakeLlm, type FakeLlm } from "../support/fake-llm.js";

const codex = engineBinary("codex");
let llm: FakeLlm | undefined;
let bridge: BridgeHarness | undefined;

beforeAll(async () => {
  if (codex === null) return;
  llm = await startFakeLlm();
});

afterAll(async () => {
  await bridge?.dispose();
  await disposeAll();
  await llm?.close();
});

describe.skipIf(codex === null && process.env.CI !== "true")("a real codex from Telegram", () => {
  it("answers with the real CLI's session and continues it on reply", async () => {
    if (codex === null) throw new Error("codex is not installed in test/engines: run npm run engines:install");
    if (llm === undefined) throw new Error("the fake LLM did not start");
    bridge = await BridgeHarness.create({ engineDelayMs: 0 });
    const home = await makeIsolatedHome("codex", llm, "tool");
    const setup = engineRunSetup(home, "tool", bridge.repo);
    await bridge.writeConfig({
      config: { codex: { extra_args: ["-c", "notify=[]", "-c", 'sandbox_mode="danger-full-access"', ...setup.extraArgs] } },
    });
    // The real CLI comes before the stand-ins on PATH.
    await bridge.start([], { env: setup.env, pathFirst: [ENGINES_BIN_DIR] });

    const prompt = bridge.send("/app run echo hi");
    const answer = await bridge.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"), { timeoutMs: 90_000 });
    expect(answer.text).toContain("the command printed hi");
    const session = /codex resume ([0-9a-f-]{36})/.exec(answer.text ?? "")?.[1];
    expect(session).toBeDefined();
    expect(await bridge.spawns()).toHaveLength(0); // no stand-in ran

    const followUp = bridge.send("run echo hi again", { replyTo: answer.messageId });
    const second = await bridge.replyTo(followUp.stored.messageId, (text) => text.startsWith("done"), { timeoutMs: 90_000 });
    expect(second.text).toContain(`codex resume ${session ?? ""}`);
    expect(llm.proxyAttempts).toHaveLength(0);
    expect(await bridge.stop()).toBe(0);
  });
});
