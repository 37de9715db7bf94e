/**
 * Test files that drive a real engine from a Telegram message: a real
 * `takopi run` against the fake Bot API whose engine is the pinned real CLI
 * (test/engines, first on PATH) talking to the file's fake LLM in an
 * isolated home. One fixture holds what those files all set up and tear down.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import { BridgeHarness, type BridgeHarnessOptions } from "./bridge-harness.js";
import { disposeAll, ENGINES_BIN_DIR, engineBinary, engineRunSetup, makeIsolatedHome } from "./engine-env.js";
import { startFakeLlm, type FakeLlm } from "./fake-llm.js";

export interface RealEngineBridgeOptions {
  /** Keys of `[<engine>]` over what the fake needs. */
  table?: Record<string, unknown>;
  harness?: BridgeHarnessOptions;
}

export interface RealEngineBridges {
  /** The file's fake LLM (started before its tests). */
  llm(): FakeLlm;
  /**
   * Starts a bridge with the fake LLM playing `scenario`. `[<engine>]` gets
   * what the fake needs — codex: its provider URL, no notify hook, a sandbox
   * that lets commands write; claude: API billing, which keeps the fake's key
   * in claude's environment (and it is the default engine) — with
   * `options.table` over it. The bridge is disposed after the test.
   */
  start(engine: "codex" | "claude", scenario: string, options?: RealEngineBridgeOptions): Promise<BridgeHarness>;
}

/** Registers the file's hooks: the fake LLM for all its tests, each bridge disposed after its test, engine homes after the file. */
export function realEngineBridges(): RealEngineBridges {
  let llm: FakeLlm | undefined;
  const started: BridgeHarness[] = [];
  beforeAll(async () => {
    llm = await startFakeLlm();
  });
  afterEach(async () => {
    for (const bridge of started.splice(0)) await bridge.dispose();
  });
  afterAll(async () => {
    await disposeAll();
    await llm?.close();
  });
  const current = (): FakeLlm => {
    if (llm === undefined) throw new Error("the fake LLM did not start");
    return llm;
  };
  return {
    llm: current,
    async start(engine, scenario, options = {}) {
      if (engineBinary(engine) === null) throw new Error(`${engine} is not installed in test/engines: run npm run engines:install`);
      const bridge = await BridgeHarness.create({ engineDelayMs: 0, ...options.harness });
      started.push(bridge);
      const home = await makeIsolatedHome(engine, current(), scenario);
      const setup = engineRunSetup(home, scenario, bridge.repo);
      const table =
        engine === "codex"
          ? { extra_args: ["-c", "notify=[]", "-c", 'sandbox_mode="danger-full-access"', ...setup.extraArgs], ...options.table }
          : { use_api_billing: true, ...options.table };
      const defaults = engine === "claude" ? { default_engine: "claude" } : {};
      await bridge.writeConfig({ config: { ...defaults, ...options.harness?.config, [engine]: table } });
      await bridge.start([], { env: setup.env, pathFirst: [ENGINES_BIN_DIR] });
      return bridge;
    },
  };
}
