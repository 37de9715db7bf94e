/**
 * The Telegram transport, registered through takopi's own plugin manifest like
 * any third-party transport. This module stays small because the registry
 * imports it for the lock token and `takopi doctor`; the bridge itself is
 * imported only when `run` is called.
 */
import type { LoadedConfig } from "../config/load.js";
import type { DoctorCheck, TransportBackend, TransportContext } from "../plugins/types.js";

const telegram: TransportBackend = {
  id: "telegram",
  description: "Telegram Bot API (long polling)",

  lockToken(config: LoadedConfig): string | null {
    return config.settings.transports.telegram?.bot_token ?? null;
  },

  async doctor(config: LoadedConfig, signal: AbortSignal): Promise<DoctorCheck[]> {
    const { telegramDoctorChecks } = await import("./doctor.js");
    return telegramDoctorChecks(config, signal);
  },

  async run(context: TransportContext): Promise<number> {
    const { runTelegramBridge } = await import("./bridge.js");
    return runTelegramBridge(context);
  },
};

export default telegram;
