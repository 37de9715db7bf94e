/**
 * Claude's permission prompts and questions answered from the chat, with the
 * real claude CLI: `takopi run` against the fake Bot API, the pinned claude
 * (test/engines) with `permission_mode = "default"` and `allowed_tools = []`
 * (every Bash call asks) against the fake LLM. `touch`: Approve in the chat →
 * the file exists. `ask`: claude's AskUserQuestion options are buttons, and
 * the one pressed reaches claude.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { progressOf, type BridgeHarness } from "../support/bridge-harness.js";
import { engineBinary } from "../support/engine-env.js";
import { ASK_QUESTION, TOUCH_FILE } from "../support/fake-llm/scenarios.js";
import { USER } from "../support/fake-telegram/standard-world.js";
import { buttons, closedWith, press } from "../support/interactive-bridge.js";
import { realEngineBridges } from "../support/real-engine-bridge.js";
import { waitFor } from "../support/scripts.js";
import type { StoredMessage } from "../support/fake-telegram/index.js";

const claude = engineBinary("claude");
const engines = realEngineBridges();

/** A bridge whose claude asks the chat, with the fake LLM playing `scenario`; only USER may press. */
function claudeBridge(scenario: string): Promise<BridgeHarness> {
  return engines.start("claude", scenario, {
    table: { permission_mode: "default", allowed_tools: [] },
    harness: { telegram: { allowed_user_ids: [USER], forward_coalesce_s: 0 } },
  });
}

/** The request message (a reply to the run's progress message) whose text contains `marker`. */
async function requestFor(harness: BridgeHarness, prompt: number, marker: string): Promise<StoredMessage> {
  let progress: StoredMessage | undefined;
  await waitFor(() => (progress = progressOf(harness, prompt)) !== undefined, 30_000, () => `the progress message\n${harness.dump(USER)}`);
  return harness.replyTo((progress as StoredMessage).messageId, (text) => text.includes(marker), { timeoutMs: 60_000 });
}

describe.skipIf(claude === null && process.env.CI !== "true")("claude's requests answered from the chat, with the real claude", () => {
  it("Approve pressed in the chat lets claude run the Bash command: the file exists", async () => {
    const bridge = await claudeBridge("touch");
    const prompt = bridge.send("/app touch the file");
    const approval = await requestFor(bridge, prompt.stored.messageId, "asks to run a command");
    expect(approval.text).toContain(`touch ${TOUCH_FILE}`);
    // The progress message's edits are paced: it says so within a few seconds.
    await waitFor(() => progressOf(bridge, prompt.stored.messageId)?.text?.includes("waiting for approval") === true, 15_000, "the progress message waiting for approval");
    expect(existsSync(join(bridge.repo, TOUCH_FILE))).toBe(false);
    expect(await press(bridge, approval, "Approve")).toBe("approved.");
    const answer = await bridge.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"), { timeoutMs: 90_000 });
    expect(answer.text).toContain("touch done");
    expect(existsSync(join(bridge.repo, TOUCH_FILE))).toBe(true);
    await closedWith(bridge, approval, "approved by @ada");
    expect(buttons(approval)).toHaveLength(0);
  });

  it("AskUserQuestion's options are buttons, and the option pressed is claude's answer", async () => {
    const bridge = await claudeBridge("ask");
    const prompt = bridge.send("/app pick a color");
    const question = await requestFor(bridge, prompt.stored.messageId, ASK_QUESTION);
    expect(buttons(question).flat().map((button) => button.text)).toEqual(["Red", "Blue"]);
    expect(await press(bridge, question, "Blue")).toBe("answered: Blue");
    const answer = await bridge.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"), { timeoutMs: 90_000 });
    expect(answer.text).toContain(`"${ASK_QUESTION}"="Blue"`);
  });
});
