/**
 * The steer button under a `queued` message (render.ts STEER_MARKUP): the
 * queued prompt goes into its session's running turn instead of waiting for
 * it to end (scheduler.ts `steerByMessage`). When the engine does not take
 * it (the turn just ended), it stays queued and the press says why.
 */
import type { BridgeServices } from "../services.js";
import type { IncomingCallback } from "../incoming.js";

export async function steerButton(services: Pick<BridgeServices, "scheduler" | "client">, press: IncomingCallback): Promise<void> {
  const result = await services.scheduler.steerByMessage({ chatId: press.chatId, messageId: press.messageId });
  const text = !result.steered ? result.reason : result.outcome === "after_tool" ? "steered: it joins once the running command finishes." : "steered into the running turn.";
  await services.client.answerCallbackQuery(press.id, { text });
}
