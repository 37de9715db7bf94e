/**
 * The Telegram bridge entry point. Polling, routing, scheduling and rendering
 * are the next piece of work (issue 4); until they land this build refuses to
 * start the Telegram transport with one clear line instead of pretending to run.
 */
import type { TransportContext } from "../plugins/types.js";

export function runTelegramBridge(context: TransportContext): Promise<number> {
  context.log.error({ event: "telegram.unavailable" }, "the Telegram bridge is not part of this build yet");
  process.stderr.write("takopi: the Telegram bridge is not part of this build yet; config, plugins and `takopi doctor` work, `takopi run` with transport telegram does not\n");
  return Promise.resolve(1);
}
