/**
 * An approval from the chat reaching the real codex CLI: `takopi run` against
 * the fake Bot API, the pinned codex (test/engines) over app-server with
 * `approval_policy = "on-request"` against the fake LLM, whose `touch` scenario
 * makes a shell call that needs approval. Approve in the chat → the file exists.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeHarness } from "../support/bridge-harness.js";
import { disposeAll, ENGINES_BIN_DIR, engineBinary, engineRunSetup, makeIsolatedHome } from "../support/engine-env.js";
import { startFakeLlm, type FakeLlm } from "../support/fake-llm.js";
import { TOUCH_FILE } from "../support/fake-llm/scenarios.js";
import { approvalFor, buttons, closedWith, press } from "../support/interactive-bridge.js";

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

describe.skipIf(codex === null && process.env.CI !== "true")("approvals from the chat with the real codex", () => {
  it("Approve pressed in the chat lets codex run the command (the file exists); Deny does not, and the turn answers", async () => {
    if (codex === null) throw new Error("codex is not installed in test/engines: run npm run engines:install");
    if (llm === undefined) throw new Error("the fake LLM did not start");
    bridge = await BridgeHarness.create({ engineDelayMs: 0 });
    const home = await makeIsolatedHome("codex", llm, "text");
    const setup = engineRunSetup(home, "touch", bridge.repo);
    await bridge.writeConfig({
      config: { codex: { backend: "app-server", approval_policy: "on-request", extra_args: ["-c", "notify=[]", ...setup.extraArgs] } },
    });
    await bridge.start([], { env: setup.env, pathFirst: [ENGINES_BIN_DIR] });

    const prompt = bridge.send("/app touch the file");
    const approval = await approvalFor(bridge, prompt.stored.messageId);
    expect(approval.text).toContain(`touch ${TOUCH_FILE}`);
    expect(existsSync(join(bridge.repo, TOUCH_FILE))).toBe(false);
    expect(await press(bridge, approval, "Approve")).toBe("approved.");
    const answer = await bridge.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"), { timeoutMs: 90_000 });
    expect(answer.text).toContain("touch done");
    expect(existsSync(join(bridge.repo, TOUCH_FILE))).toBe(true);
    await closedWith(bridge, approval, "approved by @ada");
    expect(buttons(approval)).toHaveLength(0);

    // Deny: the command does not run, and the turn goes on to codex's own answer.
    await rm(join(bridge.repo, TOUCH_FILE));
    const again = bridge.send("/app touch the file");
    const second = await approvalFor(bridge, again.stored.messageId);
    expect(await press(bridge, second, "Deny")).toBe("denied.");
    const denied = await bridge.replyTo(again.stored.messageId, (text) => text.startsWith("done"), { timeoutMs: 90_000 });
    expect(denied.text).toContain("rejected by user");
    expect(existsSync(join(bridge.repo, TOUCH_FILE))).toBe(false);
  });
});
