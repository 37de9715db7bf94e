// @ts-check
/**
 * `/schedule`: run a prompt later, every so often, or on a cron schedule, in
 * the chat or topic where it was asked for.
 *
 *   /schedule in 20m check whether the deploy finished
 *   /schedule at 18:30 /app summarize today's commits
 *   /schedule every 2h /app @main run the tests
 *   /schedule every day 09:00 /app run the tests
 *   /schedule every mon,thu 08:00 check the dependencies
 *   /schedule cron "*\/15 * * * *" look at the queue
 *   /schedule [list] · cancel <id> · pause <id> · resume <id>
 *
 * `[plugins.schedule]`: `timezone` (IANA; default the `TZ` environment
 * variable, else UTC), `max_per_chat` (20), `catch_up_s` (300: how old a run
 * missed while takopi was down may be and still run at start-up), and
 * `min_interval_s` (60: the shortest `every`).
 *
 * Only the bridge's allowed chats and users reach a command or a button
 * (its access gate refuses everyone else before any plugin sees the update),
 * so whoever gets here may create and cancel. The schedules live in
 * `takopi_schedules.json` beside the config (store.js).
 */
import process from "node:process";
import { clockFromEnv } from "./clock.js";
import { USAGE, parseSchedule } from "./parse.js";
import { Scheduler, describe, shorten } from "./scheduler.js";
import { statePath } from "./store.js";
import { describeTiming, formatTime, isTimeZone, nextRunAfter } from "./timing.js";

/** @import { BridgeRuntime, CallbackContext, CommandBackend, CommandContext, CommandResult, StartupContext } from "takopi" */
/** @import { Schedule } from "./store.js" */

const DEFAULTS = { max_per_chat: 20, catch_up_s: 300, min_interval_s: 60 };

/**
 * @typedef {object} Settings
 * @property {string} zone
 * @property {number} maxPerChat
 * @property {number} catchUpMs
 * @property {number} minIntervalMs
 */

/** One scheduler per process, made by whichever comes first: the `started` hook or a command. @type {Promise<Scheduler> | null} */
let scheduler = null;

/** @type {CommandBackend} */
const schedule = {
  id: "schedule",
  description: "run a prompt later or on a schedule",

  /**
   * @param {CommandContext} ctx
   * @returns {Promise<CommandResult | null>}
   */
  async handle(ctx) {
    const settings = readSettings(ctx.pluginConfig, ctx.configPath);
    if (typeof settings === "string") return { text: settings };
    const { zone } = settings;
    let schedules;
    try {
      schedules = await ensure(ctx.runtime, settings, ctx.log);
    } catch (/** @type {unknown} */ error) {
      return { text: inZone(`schedules unavailable: ${error instanceof Error ? error.message : String(error)}`, zone) };
    }
    const { chatId, threadId } = ctx.message;
    const parsed = parseSchedule(ctx.argsText, { now: schedules.clock.now(), zone, minIntervalMs: settings.minIntervalMs });
    switch (parsed.action) {
      case "error":
        return { text: inZone(parsed.error, zone) };
      case "help":
        return { text: `${USAGE} (times in ${zone})` };
      case "list":
        return { text: listText(schedules.list(chatId, threadId), zone) };
      case "create": {
        if (schedules.countIn(chatId) >= settings.maxPerChat) {
          return { text: inZone(`this chat has ${String(settings.maxPerChat)} schedule${settings.maxPerChat === 1 ? "" : "s"}, the most [plugins.schedule] max_per_chat allows; cancel one first: /schedule list shows them.`, zone) };
        }
        if (nextRunAfter(parsed.timing, zone, schedules.clock.now()) === null) {
          return { text: `${describeTiming(parsed.timing)} never comes (in ${zone}); write a date that exists, e.g. /schedule cron "0 9 1 * *" <prompt>` };
        }
        const made = schedules.add({ chatId, threadId, timing: parsed.timing, zone, prompt: parsed.prompt, createdBy: ctx.senderId });
        const text = `⏰ scheduled ${made.id}: ${describeTiming(made.timing)}, next run ${nextText(made, zone)}\n${shorten(made.prompt)}`;
        await ctx.reply(await withSaveNote(text, schedules), {
          notify: false,
          buttons: [[{ text: `cancel ${made.id}`, data: `cancel:${made.id}` }]],
        });
        return null;
      }
      case "cancel": {
        const gone = schedules.cancel(chatId, parsed.id);
        return { text: gone === null ? unknownId(parsed.id, zone) : await withSaveNote(`cancelled ${gone.id} (${describe(gone)}; times in ${zone}).`, schedules) };
      }
      case "pause": {
        const found = schedules.find(chatId, parsed.id);
        if (found === null) return { text: unknownId(parsed.id, zone) };
        if (found.paused) return { text: inZone(`${found.id} is already paused; /schedule resume ${found.id} continues it.`, zone) };
        schedules.pause(found);
        return { text: await withSaveNote(`paused ${found.id} (${describe(found)}; times in ${zone}); /schedule resume ${found.id} continues it.`, schedules) };
      }
      case "resume": {
        const found = schedules.find(chatId, parsed.id);
        if (found === null) return { text: unknownId(parsed.id, zone) };
        if (!found.paused) return { text: `${found.id} is not paused; next run ${nextText(found, zone)}.` };
        const now = schedules.resume(found);
        const text = now ? `resumed ${found.id}; its time passed while it was paused, so it runs now (${zone}).` : `resumed ${found.id}: next run ${nextText(found, zone)}.`;
        return { text: await withSaveNote(text, schedules) };
      }
    }
  },

  /** The cancel button under a confirmation: `cancel:<id>`. @param {CallbackContext} ctx */
  async callback(ctx) {
    const [verb, id] = ctx.data.split(":");
    if (verb !== "cancel" || id === undefined) {
      await ctx.answer("this button is no longer active.");
      return;
    }
    // A press can come before the `started` hook ran (from the backlog of a restart).
    const settings = readSettings(ctx.pluginConfig, ctx.configPath);
    const gone = (await ensure(ctx.runtime, settings, ctx.log)).cancel(ctx.message.chatId, id);
    if (gone === null) {
      await ctx.answer(`schedule ${id} is already gone.`);
      return;
    }
    await ctx.edit(`⏰ cancelled ${gone.id} (${describe(gone)}).`);
    await ctx.answer(`cancelled ${gone.id}`);
  },

  /** Arms the saved schedules once takopi is up (and runs or reports the ones it missed). @param {StartupContext} ctx */
  async started(ctx) {
    const settings = readSettings(ctx.pluginConfig, ctx.runtime.configPath);
    if (typeof settings === "string") ctx.log.warn({ event: "schedule.bad_config" }, `${settings}; using the defaults until it is fixed`);
    await ensure(ctx.runtime, settings, ctx.log);
  },
};
export default schedule;

/**
 * @param {BridgeRuntime} runtime
 * @param {Settings | string} settings
 * @param {import("./scheduler.js").SchedulerOptions["log"]} log
 */
function ensure(runtime, settings, log) {
  if (scheduler === null) {
    const made = new Scheduler({
      runtime,
      clock: clockFromEnv(process.env),
      path: statePath(runtime.configPath),
      catchUpMs: typeof settings === "string" ? DEFAULTS.catch_up_s * 1000 : settings.catchUpMs,
      log,
    });
    scheduler = made.start().then(() => made);
    // A state file that cannot be read is said on every command until takopi restarts with it fixed.
    scheduler.catch((/** @type {unknown} */ error) => {
      log.warn({ event: "schedule.load_failed", err: error }, "could not load the schedules");
    });
  }
  return scheduler;
}

/**
 * `[plugins.schedule]` with defaults, or one line saying what is wrong.
 * @param {Record<string, unknown>} config
 * @param {string} configPath
 * @returns {Settings | string}
 */
export function readSettings(config, configPath) {
  const zone = config.timezone ?? defaultZone();
  if (typeof zone !== "string" || !isTimeZone(zone)) {
    return `[plugins.schedule] timezone ${JSON.stringify(zone)} is not an IANA time zone (e.g. "Europe/Berlin", "UTC") in ${configPath}`;
  }
  /** @type {Record<string, number>} */
  const numbers = {};
  for (const [key, fallback] of Object.entries(DEFAULTS)) {
    const value = config[key] ?? fallback;
    const least = key === "catch_up_s" ? 0 : 1;
    if (typeof value !== "number" || !Number.isFinite(value) || value < least || (key === "max_per_chat" && !Number.isInteger(value))) {
      return `[plugins.schedule] ${key} must be a number ≥ ${String(least)} (in ${configPath})`;
    }
    numbers[key] = value;
  }
  return {
    zone,
    maxPerChat: numbers.max_per_chat ?? DEFAULTS.max_per_chat,
    catchUpMs: (numbers.catch_up_s ?? DEFAULTS.catch_up_s) * 1000,
    minIntervalMs: (numbers.min_interval_s ?? DEFAULTS.min_interval_s) * 1000,
  };
}

/** The container's `TZ` when it names an IANA zone, else UTC. */
function defaultZone() {
  const tz = process.env.TZ;
  return tz !== undefined && tz !== "" && isTimeZone(tz) ? tz : "UTC";
}

/**
 * @param {Schedule[]} schedules
 * @param {string} zone
 */
function listText(schedules, zone) {
  if (schedules.length === 0) return `no schedules here (times in ${zone}); /schedule help says how to add one.`;
  // A schedule made before `timezone` changed keeps its zone: say which, when it is another one.
  const timing = (/** @type {Schedule} */ each) => `${describeTiming(each.timing)}${each.zone !== zone && each.timing.kind !== "every" ? ` ${each.zone}` : ""}`;
  const lines = schedules.map((each) => `${each.id} · ${timing(each)} · ${each.paused ? "paused" : `next ${nextText(each, zone)}`} · ${shorten(each.prompt)}`);
  return [`schedules here (times in ${zone}):`, ...lines].join("\n");
}

/**
 * @param {Schedule} each
 * @param {string} zone
 */
function nextText(each, zone) {
  return each.nextRunAt === null ? "none" : `${formatTime(each.nextRunAt, zone)} (${zone})`;
}

/**
 * `text`, and a warning when the change could not be written to the state file.
 * @param {string} text
 * @param {Scheduler} schedules
 */
async function withSaveNote(text, schedules) {
  const problem = await schedules.saved();
  return problem === null ? text : `${text}\n⚠ not saved (${problem}): this change is lost when takopi restarts.`;
}

/**
 * @param {string} id
 * @param {string} zone
 */
function unknownId(id, zone) {
  return inZone(`no schedule ${id} in this chat; /schedule list shows the ids.`, zone);
}

/**
 * Every reply names the time zone its times are (or would be) in; this adds it to one that does not yet.
 * @param {string} text
 * @param {string} zone
 */
function inZone(text, zone) {
  if (text.includes(zone)) return text;
  return text.endsWith(".") ? `${text.slice(0, -1)} (time zone ${zone}).` : `${text} (time zone ${zone})`;
}
