/**
 * One Telegram message driving a real engine binary: `takopi run` against the
 * fake Bot API server, the pinned codex CLI (test/engines) against the fake
 * LLM server on 127.0.0.1, in a real git repository. The answer, the tool call
 * in the progress message and reply-to-continue all come from the real CLI.
 */
import { describe, expect, it } from "vitest";
import { engineBinary } from "../support/engine-env.js";
import { realEngineBridges } from "../support/real-engine-bridge.js";

const codex = engineBinary("codex");
const engines = realEngineBridges();

describe.skipIf(codex === null && process.env.CI !== "true")("a real codex from Telegram", () => {
  it("answers with the real CLI's session and continues it on reply", async () => {
    const bridge = await engines.start("codex", "tool");

    const prompt = bridge.send("/app run echo hi");
    const answer = await bridge.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"), { timeoutMs: 90_000 });
    expect(answer.text).toContain("the command printed hi");
    const session = /codex resume ([0-9a-f-]{36})/.exec(answer.text ?? "")?.[1];
    expect(session).toBeDefined();
    expect(await bridge.spawns()).toHaveLength(0); // no stand-in ran

    const followUp = bridge.send("run echo hi again", { replyTo: answer.messageId });
    const second = await bridge.replyTo(followUp.stored.messageId, (text) => text.startsWith("done"), { timeoutMs: 90_000 });
    expect(second.text).toContain(`codex resume ${session ?? ""}`);
    expect(engines.llm().proxyAttempts).toHaveLength(0);
    expect(await bridge.stop()).toBe(0);
  });
});
