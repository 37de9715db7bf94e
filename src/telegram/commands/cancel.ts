/**
 * `/cancel` as a reply to a progress or `queued` message, and the cancel
 * button under one. A running job then shows `cancelled` in
 * its progress message and a dropped one in its `queued` message, so a
 * successful `/cancel` needs no reply of its own.
 */
import type { IncomingCallback, IncomingMessage } from "../incoming.js";
import type { BridgeServices } from "../services.js";

const NOTHING_RUNNING = "nothing is currently running for that message.";

/** The reply `/cancel` needs, or null when the run's own message shows the outcome. */
export function cancelCommand(services: Pick<BridgeServices, "scheduler">, message: IncomingMessage): string | null {
  if (message.replyTo === null) return "reply to the progress message to cancel.";
  const outcome = services.scheduler.cancelByMessage({ chatId: message.chatId, messageId: message.replyTo.messageId });
  return outcome === "none" ? NOTHING_RUNNING : null;
}

/** Answers a press of the cancel button (callbacks.ts routes only `takopi:cancel` here). */
export async function cancelButton(services: Pick<BridgeServices, "scheduler" | "client">, callback: IncomingCallback): Promise<void> {
  const { client, scheduler } = services;
  const outcome = scheduler.cancelByMessage({ chatId: callback.chatId, messageId: callback.messageId });
  const text = outcome === "cancelling" ? "cancelling..." : outcome === "dropped" ? "dropped from queue." : NOTHING_RUNNING;
  await client.answerCallbackQuery(callback.id, { text });
}
