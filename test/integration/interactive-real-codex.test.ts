/**
 * An approval from the chat reaching the real codex CLI: `takopi run` against
 * the fake Bot API, the pinned codex (test/engines) over app-server with
 * `approval_policy = "on-request"` against the fake LLM, whose `touch` scenario
 * makes a shell call that needs approval. Approve in the chat → the file exists.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { engineBinary } from "../support/engine-env.js";
import { TOUCH_FILE } from "../support/fake-llm/scenarios.js";
import { approvalFor, buttons, closedWith, press } from "../support/interactive-bridge.js";
import { realEngineBridges } from "../support/real-engine-bridge.js";

const codex = engineBinary("codex");
const engines = realEngineBridges();

describe.skipIf(codex === null && process.env.CI !== "true")("approvals from the chat with the real codex", () => {
  it("Approve pressed in the chat lets codex run the command (the file exists); Deny does not, and the turn answers", async () => {
    // on-request runs codex's thread in a read-only sandbox, so the write asks.
    const bridge = await engines.start("codex", "touch", { table: { backend: "app-server", approval_policy: "on-request" } });

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
