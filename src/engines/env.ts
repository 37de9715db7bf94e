/**
 * The environment an engine runs in, built in one place: takopi's own
 * environment without takopi's secrets, adjusted per engine by three optional
 * keys of its `[<id>]` table (read here, so they work for every engine,
 * plugin engines included):
 *
 *   [codex]
 *   env = { OPENAI_BASE_URL = "http://proxy:8080" }  # set for this engine only
 *   env_allow = ["TAKOPI__PROJECTS__APP__PATH"]      # pass although takopi would withhold it
 *   env_deny = ["AWS_*", "GITHUB_TOKEN"]            # withhold as well (`*` matches anything)
 *
 * Withheld by default: TELEGRAM_BOT_TOKEN, every `TAKOPI__*` override (they can
 * carry any config key, secrets included), and every variable whose value is
 * one of takopi's own configured secrets (`voice_transcription_api_key`, and
 * any secret-named key outside the engine tables). A variable whose value
 * holds the bot token is never passed, whatever the table says. The engines'
 * own keys (OPENAI_API_KEY, ANTHROPIC_API_KEY, …) pass: the engines need them
 * (claude's `use_api_billing` still decides about ANTHROPIC_API_KEY).
 *
 * Order: `env_allow` wins over `env_deny` and the defaults, so
 * `env_deny = ["*"]` with an `env_allow` list is an allowlist; `env` is applied last.
 */
import * as z from "zod";
import type { LoadedConfig } from "../config/load.js";
import { configSecrets } from "../secrets/config.js";
import { isTakopiSecretVariable } from "../secrets/names.js";

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATTERN = /^[A-Za-z0-9_*]+$/;

const patterns = z
  .array(z.string().regex(PATTERN, 'expected a variable name or a pattern with *, such as "AWS_*"'), { error: "expected a list of variable names" })
  .default(() => []);

/** The keys of an engine table this module reads; everything else in the table is the engine's. */
export const EngineEnvSchema = z.object({
  env: z
    .record(z.string(), z.string({ error: "expected a string" }), { error: 'expected a table such as { NAME = "value" }' })
    .default(() => ({}))
    .superRefine((env, ctx) => {
      for (const name of Object.keys(env)) {
        if (!VARIABLE.test(name)) ctx.addIssue({ code: "custom", path: [name], message: "expected a variable name (letters, digits and _, not starting with a digit)" });
      }
    }),
  env_allow: patterns,
  env_deny: patterns,
});
export type EngineEnvSettings = z.output<typeof EngineEnvSchema>;

export const NO_ENV_SETTINGS: EngineEnvSettings = { env: {}, env_allow: [], env_deny: [] };

/** Secret values that decide what is withheld. */
export interface WithheldValues {
  /** Never passed, also not inside a longer value: the bot token (from the config and TELEGRAM_BOT_TOKEN). */
  never: readonly string[];
  /** takopi's other secrets: a variable with exactly this value is withheld unless allowed. */
  own: ReadonlySet<string>;
}

/** What `engineEnvironment` must withhold for this config, with `env` being takopi's environment. */
export function withheldValues(config: LoadedConfig, env: NodeJS.ProcessEnv): WithheldValues {
  const never = [config.settings.transports.telegram?.bot_token, env.TELEGRAM_BOT_TOKEN].filter((value): value is string => value !== undefined && value !== "");
  const own = new Set(configSecrets(config.raw, { engineTables: false }).map((secret) => secret.value));
  return { never, own };
}

function matcher(list: readonly string[]): (name: string) => boolean {
  if (list.length === 0) return () => false;
  const escaped = list.map((pattern) => pattern.replace(/[^A-Za-z0-9_*]/g, "").replaceAll("*", ".*"));
  const regex = new RegExp(`^(?:${escaped.join("|")})$`);
  return (name) => regex.test(name);
}

/** The complete environment for an engine's process (see the module comment). */
export function engineEnvironment(base: NodeJS.ProcessEnv, settings: EngineEnvSettings, withheld: WithheldValues): NodeJS.ProcessEnv {
  const allowed = matcher(settings.env_allow);
  const denied = matcher(settings.env_deny);
  const holdsBotToken = (value: string) => withheld.never.some((token) => value.includes(token));
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || holdsBotToken(value)) continue;
    if (!allowed(name) && (denied(name) || isTakopiSecretVariable(name) || withheld.own.has(value))) continue;
    out[name] = value;
  }
  for (const [name, value] of Object.entries(settings.env)) {
    if (!holdsBotToken(value)) out[name] = value;
  }
  return out;
}

/** A mistake in an engine's env settings that only the whole config reveals, as `\`<key>\`: why`; null when there is none. */
export function engineEnvProblem(id: string, settings: EngineEnvSettings, botToken: string | null): string | null {
  if (settings.env_allow.includes("TELEGRAM_BOT_TOKEN")) return `\`${id}.env_allow\` lists TELEGRAM_BOT_TOKEN; takopi never gives the bot token to an engine`;
  for (const [name, value] of Object.entries(settings.env)) {
    if (botToken !== null && botToken !== "" && value.includes(botToken)) return `\`${id}.env.${name}\` holds the bot token; takopi never gives it to an engine`;
  }
  return null;
}
