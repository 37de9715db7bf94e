/**
 * `/reasoning` reaching the real engine CLIs: `takopi run` against the fake
 * Bot API, the pinned claude and codex (test/engines) against the fake LLM
 * server, whose recorded request bodies show what each CLI made of the level.
 * Claude turns an unknown `--effort` silently into `medium`, so a level it
 * does not take must be refused by takopi and never reach it.
 */
import { describe, expect, it } from "vitest";
import type { BridgeHarness } from "../support/bridge-harness.js";
import { engineBinary } from "../support/engine-env.js";
import type { RecordedRequest } from "../support/fake-llm.js";
import { realEngineBridges } from "../support/real-engine-bridge.js";

const RUN_TIMEOUT_MS = 90_000;
const claude = engineBinary("claude");
const codex = engineBinary("codex");
const engines = realEngineBridges();

/** Sends `text` and waits for the bot's reply to it that `expected` accepts. */
async function ask(harness: BridgeHarness, text: string, expected: (reply: string) => boolean, timeoutMs?: number) {
  const message = harness.send(text);
  return harness.replyTo(message.stored.messageId, expected, timeoutMs === undefined ? {} : { timeoutMs });
}

/** The bodies of model requests sent since `before` to a path ending in `endpoint`. */
function bodiesSince(before: number, endpoint: string): Record<string, unknown>[] {
  return engines.llm()
    .requests.slice(before)
    .filter((request: RecordedRequest) => request.method === "POST" && request.path.endsWith(endpoint))
    .map((request) => request.body as Record<string, unknown>);
}

describe.skipIf(claude === null && process.env.CI !== "true")("a real claude and /reasoning", () => {
  it("sends a level claude takes as output_config.effort, and refuses one it does not take before any run", async () => {
    // No model: the default one is sent output_config (haiku and sonnet models are not).
    const bridge = await engines.start("claude", "text", { harness: { telegram: { show_usage: true } } });

    await ask(bridge, "/reasoning set minimal", (text) => text === "unknown reasoning level minimal for claude.\navailable levels: low, medium, high, xhigh, max");
    await ask(bridge, "/reasoning", (text) => text.includes("reasoning: default (no override)") && text.includes("available levels: low, medium, high, xhigh, max"));
    await ask(bridge, "/reasoning set claude high", (text) => text.startsWith("chat reasoning override set to high for claude."));

    const before = engines.llm().requests.length;
    const answer = await ask(bridge, "/app say hello", (text) => text.startsWith("done"), RUN_TIMEOUT_MS);
    expect(answer.text).toContain("hello from fake");
    // show_usage: the real claude's tokens and total_cost_usd, in the footer.
    expect(answer.text).toMatch(/\n\d+ in · \d+ out · \$\d+\.\d+\n/);
    const bodies = bodiesSince(before, "/v1/messages");
    expect(bodies.length).toBeGreaterThan(0);
    expect(bodies.map((body) => body.output_config)).toContainEqual(expect.objectContaining({ effort: "high" }));
    expect(JSON.stringify(bodies)).not.toContain('"minimal"');
    expect(await bridge.spawns()).toHaveLength(0); // the real CLI ran, no stand-in
    expect(await bridge.stop()).toBe(0);
  });
});

describe.skipIf(codex === null && process.env.CI !== "true")("a real codex and /reasoning", () => {
  it("sends the level as the request's reasoning effort, and refuses claude's `max`", async () => {
    const bridge = await engines.start("codex", "text");

    await ask(bridge, "/reasoning set codex max", (text) => text === "unknown reasoning level max for codex.\navailable levels: minimal, low, medium, high, xhigh");
    await ask(bridge, "/reasoning set codex low", (text) => text.startsWith("chat reasoning override set to low for codex."));

    const before = engines.llm().requests.length;
    const answer = await ask(bridge, "/app say hello", (text) => text.startsWith("done"), RUN_TIMEOUT_MS);
    expect(answer.text).toContain("hello from fake");
    const bodies = bodiesSince(before, "/responses");
    expect(bodies.length).toBeGreaterThan(0);
    expect(bodies.map((body) => body.reasoning)).toContainEqual(expect.objectContaining({ effort: "low" }));
    expect(await bridge.spawns()).toHaveLength(0);
    expect(await bridge.stop()).toBe(0);
  });
});
