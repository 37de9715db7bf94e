// @ts-check
/**
 * `/refresh [unit]`: restart (or start) one allowlisted systemd unit on the
 * host the container runs on, over the host's system bus, and report how the
 * job ended. The allowlist is the only thing between the chat and the host's
 * systemd besides polkit, so a unit not in it is never sent to the bus.
 */
import process from "node:process";
import { failed, jobFinished, notAllowed, notConfigured, starting, usage } from "./replies.js";
import { readRefreshSettings, RefreshConfigError } from "./settings.js";
import { runUnitJob } from "./systemd-job.js";

/** @import { CommandBackend, CommandContext, CommandResult } from "takopi" */
/** @import { AllowedUnit } from "./settings.js" */

/** @type {CommandBackend} */
const refresh = {
  id: "refresh",
  description: "restart an allowlisted systemd unit on the host",

  /**
   * @param {CommandContext} ctx
   * @returns {Promise<CommandResult>}
   */
  async handle(ctx) {
    let settings;
    try {
      settings = readRefreshSettings(ctx.pluginConfig, process.env);
    } catch (error) {
      if (error instanceof RefreshConfigError) return { text: `${error.message} (in ${ctx.configPath})` };
      throw error;
    }
    const { units } = settings;
    if (units.length === 0) return { text: notConfigured(ctx.configPath) };
    if (ctx.args.length > 1) return { text: usage(units) };

    // With no argument, a single allowlisted unit is the obvious one; with several, ask.
    const requested = ctx.args[0];
    if (requested === undefined && units.length > 1) return { text: usage(units) };
    const unit = requested === undefined ? units[0] : findUnit(units, requested);
    if (unit === undefined) return { text: requested === undefined ? usage(units) : notAllowed(requested, units) };

    await ctx.reply(starting(unit), { notify: false });
    try {
      const outcome = await runUnitJob({ busAddress: settings.busAddress, unit: unit.name, method: unit.method, timeoutMs: settings.timeoutMs });
      ctx.log.info({ event: "refresh.job", unit: outcome.unit, allowlisted: unit.name, method: unit.method, job: outcome.job, result: outcome.result }, "refresh job finished");
      return { text: jobFinished(unit, outcome, settings.timeoutMs) };
    } catch (error) {
      const text = failed(unit, error);
      // Anything else is a bug here or in dbus-next: takopi logs it and answers `error:`.
      if (text === null) throw error;
      ctx.log.warn({ event: "refresh.failed", unit: unit.name, method: unit.method, err: error }, text);
      return { text };
    }
  },
};
export default refresh;

/**
 * `app` is accepted for `app.service`, as systemctl does; anything else must
 * match an allowlisted name exactly.
 * @param {readonly AllowedUnit[]} units
 * @param {string} requested
 */
function findUnit(units, requested) {
  return units.find((unit) => unit.name === requested) ?? units.find((unit) => unit.name === `${requested}.service`);
}
