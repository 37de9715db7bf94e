// @ts-check
/**
 * `/status`: is takopi healthy, what can it run, what is it doing. Version,
 * uptime, when the config was last (re)loaded, which chat features are on
 * (forum topics, file transfer, voice notes), the engines with their CLI
 * versions, running and queued runs, the tokens and cost this chat's runs
 * reported since the start, and the state of the host units `/refresh` may
 * restart.
 */
import { execFile } from "node:child_process";
import process from "node:process";
import { promisify } from "node:util";
import { readRefreshSettings, RefreshConfigError } from "takopi-overlay-refresh/settings";
import { unitStates } from "takopi-overlay-refresh/unit-state";

/** @import { BridgeRuntime, CommandBackend, CommandContext, CommandResult, EngineInfo, RunInfo, TelegramSettings, UsageTotal } from "takopi" */

const execFileAsync = promisify(execFile);
const VERSION_TIMEOUT_MS = 5000;

/** @type {CommandBackend} */
const status = {
  id: "status",
  description: "show version, uptime, engines, runs and units",

  /**
   * @param {CommandContext} ctx
   * @returns {Promise<CommandResult>}
   */
  async handle(ctx) {
    const { runtime } = ctx;
    const now = Date.now();
    const [engines, units] = await Promise.all([describeEngines(runtime.engines(), runtime.defaultEngine()), describeUnits(runtime)]);
    const lines = [
      `takopi ${runtime.version}, up ${duration(now - runtime.startedAt)} (since ${new Date(runtime.startedAt).toISOString()})`,
      `config: ${runtime.configPath}, loaded ${duration(now - runtime.configLoadedAt())} ago`,
      `projects: ${runtime.projects().length}`,
      features(runtime.config().settings.transports.telegram),
      "",
      "engines:",
      ...engines,
      "",
      ...describeRuns(runtime.runs(), now),
      describeUsage(chatUsage(runtime, ctx.message.chatId)),
      "",
      ...units,
    ];
    return { text: lines.join("\n") };
  },
};
export default status;

/**
 * Topics, files and voice, as `[transports.telegram]` has them now (hot reload included).
 * @param {TelegramSettings | undefined} telegram
 */
export function features(telegram) {
  if (telegram === undefined) return "topics: off, files: off, voice: off";
  const topics = telegram.topics.enabled ? `on (scope ${telegram.topics.scope})` : "off";
  const files = telegram.files.enabled ? `on${telegram.files.auto_put ? ` (auto-put: ${telegram.files.auto_put_mode})` : ""}` : "off";
  const voice = telegram.voice_transcription ? `on (${telegram.voice_transcription_model})` : "off";
  return `topics: ${topics}, files: ${files}, voice: ${voice}`;
}

/**
 * @param {EngineInfo[]} engines
 * @param {string} defaultEngine
 */
async function describeEngines(engines, defaultEngine) {
  return Promise.all(
    engines.map(async (engine) => {
      const mark = engine.id === defaultEngine ? " (default)" : "";
      if (!engine.available || engine.executable === null) return `  ${engine.id}${mark}: unavailable — ${engine.issue ?? "unknown reason"}`;
      return `  ${engine.id}${mark}: ${await cliVersion(engine.executable)}`;
    }),
  );
}

/**
 * The first line of `<cli> --version`, or why there is none.
 * @param {string} executable
 */
async function cliVersion(executable) {
  try {
    const { stdout } = await execFileAsync(executable, ["--version"], { timeout: VERSION_TIMEOUT_MS });
    return stdout.trim().split("\n")[0] || "(no version printed)";
  } catch (error) {
    return `--version failed (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
  }
}

/**
 * @param {RunInfo[]} runs
 * @param {number} now
 */
function describeRuns(runs, now) {
  if (runs.length === 0) return ["runs: none"];
  const running = runs.filter((run) => run.state === "running").length;
  return [
    `runs: ${running} running, ${runs.length - running} queued`,
    ...runs.map((run) => {
      const where = run.project === null ? "" : ` in ${run.project}${run.branch === null ? "" : ` @${run.branch}`}`;
      const age = run.startedAt === null ? "queued" : `${duration(now - run.startedAt)}`;
      return `  ${run.engine}${where}: ${age} (chat ${run.chatId})`;
    }),
  ];
}

/**
 * The chat's usage totals: null when none reported, undefined from a takopi too old to keep them (before `BridgeRuntime.usage`).
 * @param {BridgeRuntime} runtime
 * @param {number} chatId
 * @returns {UsageTotal | null | undefined}
 */
function chatUsage(runtime, chatId) {
  return typeof runtime.usage === "function" ? runtime.usage(chatId) : undefined;
}

/**
 * `usage here since start: 2 runs, 24.7k in · 2.5k out · $0.085`, only what was reported.
 * @param {UsageTotal | null | undefined} total undefined: this takopi keeps no totals
 */
export function describeUsage(total) {
  if (total === undefined) return "usage here since start: not kept by this takopi";
  if (total === null) return "usage here since start: none reported";
  /** @type {string[]} */
  const parts = [];
  if (total.inputTokens !== undefined) parts.push(`${tokens(total.inputTokens)} in`);
  if (total.cachedTokens !== undefined) parts.push(`${tokens(total.cachedTokens)} cached`);
  if (total.outputTokens !== undefined) parts.push(`${tokens(total.outputTokens)} out`);
  if (total.costUsd !== undefined) parts.push(`$${total.costUsd.toFixed(total.costUsd >= 1 ? 2 : total.costUsd >= 0.01 ? 3 : 4)}`);
  return `usage here since start: ${total.runs} run${total.runs === 1 ? "" : "s"}, ${parts.join(" · ")}`;
}

/** `42`, `12.3k`, `123k`, `1.2M`, as the final message's usage line. @param {number} n */
function tokens(n) {
  if (n < 1000) return String(Math.round(n));
  const [value, unit] = n < 1_000_000 ? [n / 1000, "k"] : [n / 1_000_000, "M"];
  return `${value < 100 ? value.toFixed(1).replace(/\.0$/, "") : Math.round(value)}${unit}`;
}

/** @param {BridgeRuntime} runtime */
async function describeUnits(runtime) {
  const table = runtime.config().raw.plugins;
  const refresh = typeof table === "object" && table !== null && !Array.isArray(table) ? /** @type {Record<string, unknown>} */ (table).refresh : undefined;
  if (typeof refresh !== "object" || refresh === null) return ["units: none allowlisted ([plugins.refresh] units)"];
  let settings;
  try {
    settings = readRefreshSettings(/** @type {Record<string, unknown>} */ (refresh), process.env);
  } catch (error) {
    if (error instanceof RefreshConfigError) return [`units: ${error.message}`];
    throw error;
  }
  if (settings.units.length === 0) return ["units: none allowlisted ([plugins.refresh] units)"];
  const states = await unitStates(settings.busAddress, settings.units.map((unit) => unit.name), VERSION_TIMEOUT_MS);
  if (!states.ok) return [`units: ${states.reason}`];
  return ["units:", ...states.units.map((unit) => `  ${unit.name}: ${unit.state}`)];
}

/** `3d 4h`, `2h 5m`, `4m 10s`, `12s`. @param {number} ms */
function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}
