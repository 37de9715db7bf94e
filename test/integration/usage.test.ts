/**
 * What runs used, through a real `takopi run` against the fake Bot API with
 * the stand-in engines, which replay the real CLIs' recordings (codex's
 * `turn.completed.usage`: 42 tokens in, 7 out; claude's result adds
 * `total_cost_usd` 0.000308). The final footer shows it only with
 * `show_usage = true`; the per-chat totals since start are there either way,
 * read by a small command plugin through the public `BridgeRuntime.usage()`
 * exactly as the status overlay reads them.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bridgePerTest, type BridgeHarness } from "../support/bridge-harness.js";

const { created } = bridgePerTest();

/** A command plugin answering `/usageprobe` with this chat's totals as JSON. */
const PROBE = `export default {
  id: "usageprobe",
  description: "this chat's usage totals",
  async handle(ctx) {
    return { text: "usage " + JSON.stringify(ctx.runtime.usage(ctx.message.chatId)) };
  },
};
`;

async function bridgeWithProbe(telegram: Record<string, unknown> = {}): Promise<BridgeHarness> {
  const harness = await created();
  const probe = join(harness.dir.path, "takopi-usage-probe");
  await mkdir(probe);
  await writeFile(join(probe, "package.json"), JSON.stringify({ name: "takopi-usage-probe", version: "1.0.0", type: "module", takopi: { apiVersion: 1, commands: { usageprobe: "./probe.js" } } }));
  await writeFile(join(probe, "probe.js"), PROBE);
  await harness.writeConfig({ config: { default_project: "app" }, telegram });
  await harness.start([], { env: { TAKOPI_PLUGIN_PATH: probe } });
  return harness;
}

async function ask(harness: BridgeHarness, text: string, expected: (reply: string) => boolean) {
  const message = harness.send(text);
  return harness.replyTo(message.stored.messageId, expected);
}

describe("usage", () => {
  it("is not in the footer by default, but the chat's totals count the run", async () => {
    const harness = await bridgeWithProbe();
    await ask(harness, "/usageprobe", (text) => text === "usage null");
    const answer = await ask(harness, "hello", (text) => text.startsWith("done"));
    expect(answer.text).toContain("codex resume");
    expect(answer.text).not.toContain(" in · ");
    await ask(harness, "/usageprobe", (text) => text === 'usage {"runs":1,"inputTokens":42,"outputTokens":7}');
  });

  it("with show_usage, the footer shows what each engine reported, and two runs add up", async () => {
    const harness = await bridgeWithProbe({ show_usage: true });
    const codex = await ask(harness, "hello", (text) => text.startsWith("done"));
    expect(codex.text).toMatch(/\n42 in · 7 out\nctx: app\ncodex resume/);
    // The usage line is code, like the resume line.
    const at = codex.text?.indexOf("42 in · 7 out") ?? -1;
    expect(codex.entities).toContainEqual({ type: "code", offset: at, length: "42 in · 7 out".length });

    const claude = await ask(harness, "/claude hello", (text) => text.startsWith("done"));
    expect(claude.text).toMatch(/\n42 in · 7 out · \$0\.0003\nctx: app\nclaude --resume/);
    await ask(harness, "/usageprobe", (text) => text === 'usage {"runs":2,"inputTokens":84,"outputTokens":14,"costUsd":0.000308}');
    expect(await harness.stop()).toBe(0);
  });
});
