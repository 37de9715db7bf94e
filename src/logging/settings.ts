/**
 * How takopi logs, from its environment (upstream's variables):
 *
 * - `TAKOPI_LOG_LEVEL`: trace, debug, info, warn, error, fatal or silent;
 * - `TAKOPI_LOG_FORMAT`: `console` (one readable line per event; `text` and
 *   `pretty` mean the same) or `json` (pino's JSON objects, for log shippers);
 * - `TAKOPI_LOG_FILE`: also append JSON lines to this file.
 *
 * An empty value counts as unset (a `.env` line left empty). A value not
 * understood is not fatal: the default applies and `problems` says so once,
 * for the logger to warn about.
 *
 * No pino here: `cli/program.ts` asks for the format before any subcommand
 * (or pino) is loaded.
 */

export type LogFormat = "console" | "json";

/** pino's level numbers, which JSON lines carry as `level`. */
export const LEVEL_NUMBERS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVEL_NUMBERS;

const LEVELS: ReadonlySet<string> = new Set([...Object.keys(LEVEL_NUMBERS), "silent"]);
const FORMATS: ReadonlyMap<string, LogFormat> = new Map([
  ["console", "console"],
  ["text", "console"],
  ["pretty", "console"],
  ["json", "json"],
]);

type Env = Readonly<Record<string, string | undefined>>;

/** A variable's value, trimmed and lower-cased; undefined when unset or empty. */
function setting(env: Env, name: string): string | undefined {
  const value = env[name]?.trim().toLowerCase();
  return value === undefined || value === "" ? undefined : value;
}

/** The level from `TAKOPI_LOG_LEVEL`, else `fallback` (also for a value that is no level). */
export function logLevel(fallback: string, env: Env = process.env): string {
  const wanted = setting(env, "TAKOPI_LOG_LEVEL");
  return wanted !== undefined && LEVELS.has(wanted) ? wanted : fallback;
}

/** The format from `TAKOPI_LOG_FORMAT`; `console` when unset or not understood. */
export function logFormat(env: Env = process.env): LogFormat {
  const wanted = setting(env, "TAKOPI_LOG_FORMAT");
  return (wanted === undefined ? undefined : FORMATS.get(wanted)) ?? "console";
}

/** The file from `TAKOPI_LOG_FILE`, or null. */
export function logFile(env: Env = process.env): string | null {
  const path = env.TAKOPI_LOG_FILE?.trim();
  return path === undefined || path === "" ? null : path;
}

/** A logging variable whose value was not understood, and what applies instead. */
export interface SettingProblem {
  name: string;
  value: string;
  message: string;
}

/** The logging variables set to something not understood (each said once, by the logger). */
export function settingProblems(env: Env = process.env): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const level = setting(env, "TAKOPI_LOG_LEVEL");
  if (level !== undefined && !LEVELS.has(level)) {
    const value = env.TAKOPI_LOG_LEVEL ?? "";
    problems.push({ name: "TAKOPI_LOG_LEVEL", value, message: `TAKOPI_LOG_LEVEL=${value} is not one of ${[...LEVELS].join(", ")}; using the default level` });
  }
  const format = setting(env, "TAKOPI_LOG_FORMAT");
  if (format !== undefined && !FORMATS.has(format)) {
    const value = env.TAKOPI_LOG_FORMAT ?? "";
    problems.push({ name: "TAKOPI_LOG_FORMAT", value, message: `TAKOPI_LOG_FORMAT=${value} is not console or json; using console` });
  }
  return problems;
}

/** Whether a logger at `level` writes debug lines (then the console shows error stacks). */
export function isDebugLevel(level: string): boolean {
  return level === "debug" || level === "trace";
}
