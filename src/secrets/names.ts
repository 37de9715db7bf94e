/**
 * What takopi counts as a secret: the values of environment variables and
 * config keys whose names say they hold one. One rule for the redaction of
 * chat messages and logs, for `takopi config list`'s masking and for the
 * config errors that must not echo a value.
 *
 * A name is a secret's when its last word is `token`, `secret`, `password`,
 * `passwd`, `api_key`/`apikey`, `access_key` or `private_key` (any case,
 * camelCase split; plurals too, except `tokens`: `max_tokens` is a number): TELEGRAM_BOT_TOKEN, OPENAI_API_KEY,
 * ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN,
 * OPENROUTER_API_KEY, GEMINI_API_KEY, GOOGLE_API_KEY, GROQ_API_KEY,
 * MISTRAL_API_KEY, DEEPSEEK_API_KEY, XAI_API_KEY, AZURE_OPENAI_API_KEY,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, GITHUB_TOKEN, GH_TOKEN, and
 * `bot_token`, `voice_transcription_api_key` in takopi.toml. A name that only
 * starts with such a word (PASSWORD_STORE_DIR, GITHUB_TOKEN_FILE) is not.
 */
import { MIN_SECRET_LENGTH, type NamedSecret } from "./redactor.js";

const SECRET_WORD = /(?:^|[_.-])(?:token|secrets?|passwords?|passwd|api_?keys?|apikeys?|access_?keys?|private_?keys?)$/i;

/** Whether a variable or key of this name holds a secret (see the module comment). */
export function isSecretName(name: string): boolean {
  return SECRET_WORD.test(name.replace(/([a-z0-9])([A-Z])/g, "$1_$2"));
}

/** Every variable of `env` whose name says it is a secret, with a value long enough to count. */
export function envSecrets(env: NodeJS.ProcessEnv): NamedSecret[] {
  const out: NamedSecret[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.length >= MIN_SECRET_LENGTH && isSecretName(name)) out.push({ name, value });
  }
  return out;
}

/**
 * takopi's own secret variables, withheld from engines and from the tools
 * takopi runs itself (git, whose hooks are anyone's code): the bot token and
 * every `TAKOPI__*` override (they can set any config key, secrets included).
 */
export function isTakopiSecretVariable(name: string): boolean {
  return name === "TELEGRAM_BOT_TOKEN" || name.startsWith("TAKOPI__");
}

/** `env` without takopi's own secret variables, nor any variable that holds the bot token of TELEGRAM_BOT_TOKEN. */
export function withoutTakopiSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const token = env.TELEGRAM_BOT_TOKEN;
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || isTakopiSecretVariable(name) || (token !== undefined && token !== "" && value.includes(token))) continue;
    out[name] = value;
  }
  return out;
}
