/**
 * Helpers for end-to-end tests of interactive runs (approvals, questions,
 * steering) through a real `takopi run` and the fake Bot API, with codex over
 * app-server played by the stand-in app-server (fake-appserver/codex.mjs).
 */
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { progressOf, type BridgeHarness, type BridgeHarnessOptions } from "./bridge-harness.js";
import type { StoredMessage } from "./fake-telegram/index.js";
import { USER } from "./fake-telegram/standard-world.js";
import { waitFor } from "./scripts.js";

const FAKE_APPSERVER = fileURLToPath(new URL("../support/fake-appserver/codex.mjs", import.meta.url));

/**
 * A bridge whose `codex` is the stand-in app-server; only USER may press.
 * `config` adds top-level keys, given the harness (its repo is project `app`).
 */
export async function appServerBridge(
  created: (options?: BridgeHarnessOptions) => Promise<BridgeHarness>,
  telegram: Record<string, unknown> = {},
  config?: (harness: BridgeHarness) => Promise<Record<string, unknown>>,
): Promise<BridgeHarness> {
  const harness = await created({ telegram: { allowed_user_ids: [USER], forward_coalesce_s: 0, ...telegram }, config: { codex: { backend: "app-server" } } });
  if (config !== undefined) await harness.writeConfig({ config: { codex: { backend: "app-server" }, ...(await config(harness)) } });
  const bin = join(harness.dir.path, "appserver-bin");
  await mkdir(bin);
  await symlink(FAKE_APPSERVER, join(bin, "codex"));
  await harness.start([], { pathFirst: [bin] });
  return harness;
}

export type Row = { text: string; callback_data: string }[];

export function buttons(message: Pick<StoredMessage, "replyMarkup">): Row[] {
  return ((message.replyMarkup?.inline_keyboard as Row[] | undefined) ?? []).filter((row) => row.length > 0);
}

export function button(message: Pick<StoredMessage, "replyMarkup">, label: string): string {
  const found = buttons(message)
    .flat()
    .find((candidate) => candidate.text === label);
  if (found === undefined) throw new Error(`no button '${label}': ${JSON.stringify(message.replyMarkup)}`);
  return found.callback_data;
}

/** The approval message of the run answering `prompt` (it replies to the progress message). */
export async function approvalFor(harness: BridgeHarness, prompt: number, chat = USER): Promise<StoredMessage> {
  let progress: StoredMessage | undefined;
  await waitFor(() => (progress = progressOf(harness, prompt, chat)) !== undefined, 20_000, () => `the progress message\n${harness.dump(chat)}`);
  return harness.replyTo((progress as StoredMessage).messageId, (text) => text.includes("asks to run a command"), { chat }).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${JSON.stringify(harness.telegram.calls().slice(-6).map((call) => [call.method, call.status, call.params]))}`);
  });
}

/** Waits until the request message says `outcome` (the close is an edit after the answer went out). */
export async function closedWith(harness: BridgeHarness, message: StoredMessage, outcome: string): Promise<void> {
  await waitFor(() => message.text?.includes(outcome) === true, 10_000, () => `#${message.messageId} to say ${outcome}\n${harness.dump(message.chatId)}`);
}

/** Presses `label` under `message` as `from`; resolves with the answer the press got. */
export async function press(harness: BridgeHarness, message: StoredMessage, label: string, from = USER): Promise<string | undefined> {
  const pressed = harness.telegram.injectCallbackQuery({ chat: message.chatId, message_id: message.messageId, from, data: button(message, label) });
  await waitFor(() => harness.telegram.callbackAnswer(pressed.id) !== undefined, 10_000, `the press of ${label} answered`);
  return harness.telegram.callbackAnswer(pressed.id)?.text;
}

