/**
 * Helpers for the `/schedule` overlay tests (test/integration/schedule*.test.ts):
 * a bridge whose schedule clock is a file the test writes
 * (TAKOPI_SCHEDULE_CLOCK_FILE, overlay/schedule/src/clock.js), so "two hours
 * later" takes no time, and ways to send `/schedule …` and find firings.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BridgeHarness, BridgeHarnessOptions } from "./bridge-harness.js";
import type { StoredMessage } from "./fake-telegram/index.js";
import { USER } from "./fake-telegram/standard-world.js";
import { waitFor } from "./scripts.js";

export interface ClockedBridge {
  bridge: BridgeHarness;
  /** Sets the plugin's "now" (an ISO time). */
  setClock: (iso: string) => Promise<void>;
  /** Starts (again) `takopi run` on the same clock file. */
  start: () => Promise<void>;
}

/**
 * Creates a bridge with `[plugins.schedule]` = `schedule`, sets the clock to
 * `at` and starts it. `create` is `bridgePerTest().created`, so it is disposed after the test.
 */
export async function clockedBridge(
  create: (options?: BridgeHarnessOptions) => Promise<BridgeHarness>,
  at: string,
  schedule: Record<string, unknown> = {},
  options: BridgeHarnessOptions = {},
): Promise<ClockedBridge> {
  const bridge = await create({ engineDelayMs: 10, ...options, config: { ...options.config, plugins: { schedule } } });
  const clockFile = join(bridge.dir.path, "schedule-clock");
  const setClock = (iso: string) => writeFile(clockFile, String(Date.parse(iso)));
  const start = () => bridge.start([], { env: { TAKOPI_SCHEDULE_CLOCK_FILE: clockFile } });
  await setClock(at);
  await start();
  return { bridge, setClock, start };
}

/** Sends `/schedule …` (in `chat`, `thread`) and resolves with the reply whose text passes `predicate`. */
export async function schedule(
  bridge: BridgeHarness,
  args: string,
  predicate: (text: string) => boolean = () => true,
  where: { chat?: number; thread?: number } = {},
): Promise<StoredMessage> {
  const chat = where.chat ?? USER;
  const sent = bridge.telegram.injectMessage({ chat, from: USER, text: `/schedule ${args}`.trim(), ...(where.thread === undefined ? {} : { message_thread_id: where.thread }) });
  return bridge.replyTo(sent.stored.messageId, predicate, { chat });
}

/** The `nth` bot message in `chat` that starts a scheduled run: the label line, then the prompt. */
export async function firing(bridge: BridgeHarness, label: string, nth = 1, chat: number = USER): Promise<StoredMessage> {
  let found: StoredMessage[] = [];
  await waitFor(
    () => {
      found = bridge.botMessages(chat).filter((message) => (message.text ?? "").startsWith(label));
      return found.length >= nth;
    },
    20_000,
    () => `firing ${String(nth)} of "${label}"\n${bridge.dump(chat)}\n--- stderr tail:\n${bridge.stderr.slice(-6000)}`,
  );
  return found[nth - 1] as StoredMessage;
}

/**
 * The final answer of the run started under `label`, once the bridge is done
 * with the run. The answer shows before the send returns to takopi, and until
 * then the scheduler counts the run as going (a firing then is skipped): the
 * progress message is deleted only after that, so its deletion is the sign.
 */
export async function finished(bridge: BridgeHarness, label: StoredMessage, chat: number = USER): Promise<StoredMessage> {
  const final = await bridge.replyTo(label.messageId, (text) => text.startsWith("done"), { chat, timeoutMs: 30_000 });
  const others = () => bridge.botMessages(chat).filter((message) => message.replyToMessageId === label.messageId && message.messageId !== final.messageId && !message.deleted);
  await waitFor(() => others().length === 0, 20_000, () => `the progress message under #${String(label.messageId)} deleted\n${bridge.dump(chat)}`);
  return final;
}

/** A bot message in `chat` starting with `start`. */
export function note(bridge: BridgeHarness, start: string, chat: number = USER): Promise<StoredMessage> {
  return bridge.telegram.waitForMessage((message) => message.chatId === chat && (message.text ?? "").startsWith(start), 20_000);
}

/** `/schedule list`'s reply for an empty chat or topic. */
export function noSchedules(zone: string): string {
  return `no schedules here (times in ${zone}); /schedule help says how to add one.`;
}
