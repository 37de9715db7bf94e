// The environment an engine runs in: takopi's own, as the container sets it,
// without takopi's secrets, adjusted by the engine table's env keys.
import { describe, expect, it } from "vitest";
import { loadConfigText } from "../../../src/config/load.js";
import { EngineEnvSchema, engineEnvironment, engineEnvProblem, NO_ENV_SETTINGS, withheldValues, type EngineEnvSettings } from "../../../src/engines/env.js";

const TOKEN = "7000000001:AAFakeTelegramTokenForTests-00000001";
const VOICE = "sk-voice-transcription-0123456789";

/** takopi's environment in the container: .env through env_file, plus what the image sets. */
const CONTAINER_ENV: NodeJS.ProcessEnv = {
  PATH: "/usr/local/bin:/usr/bin:/bin:/opt/engines/bin",
  HOME: "/home/takopi",
  CLAUDE_CONFIG_DIR: "/home/takopi/.claude",
  TELEGRAM_BOT_TOKEN: TOKEN,
  TELEGRAM_CHAT_ID: "123456789",
  TAKOPI_ALLOWED_USER_IDS: "123456789",
  TAKOPI_CONFIG: "/state/takopi.toml",
  TAKOPI__TRANSPORTS__TELEGRAM__VOICE_TRANSCRIPTION_API_KEY: VOICE,
  TAKOPI__DEFAULT_ENGINE: "claude",
  OPENAI_API_KEY: "sk-proj-openai-0123456789",
  ANTHROPIC_API_KEY: "sk-ant-0123456789",
  VOICE_KEY_COPY: VOICE,
  WEBHOOK_URL: `https://api.telegram.org/bot${TOKEN}/sendMessage`,
  AWS_SECRET_ACCESS_KEY: "aws-secret-0123456789",
};

function loaded(extra = "") {
  const text = `[transports.telegram]\nbot_token = "${TOKEN}"\nchat_id = 123456789\n${extra}`;
  return loadConfigText(text, "/state/takopi.toml", { env: CONTAINER_ENV });
}

const settings = (table: Record<string, unknown>): EngineEnvSettings => EngineEnvSchema.parse(table);

describe("engineEnvironment", () => {
  it("withholds the bot token, TAKOPI__ overrides and takopi's own secrets, and keeps the engines' keys", () => {
    const config = loaded();
    const env = engineEnvironment(CONTAINER_ENV, NO_ENV_SETTINGS, withheldValues(config, CONTAINER_ENV));
    expect(Object.keys(env).sort()).toEqual(
      ["PATH", "HOME", "CLAUDE_CONFIG_DIR", "TELEGRAM_CHAT_ID", "TAKOPI_ALLOWED_USER_IDS", "TAKOPI_CONFIG", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AWS_SECRET_ACCESS_KEY"].sort(),
    );
    // Not only the names: no value anywhere holds the token or the voice key.
    for (const value of Object.values(env)) {
      expect(value).not.toContain(TOKEN);
      expect(value).not.toBe(VOICE);
    }
  });

  it("withholds a variable equal to a secret configured in the file too (not only via TAKOPI__)", () => {
    const env = { PATH: "/bin", SOME_KEY: "sk-file-voice-0123456789", OPENAI_API_KEY: "sk-proj-openai-0123456789" };
    const config = loadConfigText(`[transports.telegram]\nbot_token = "${TOKEN}"\nchat_id = 1\nvoice_transcription_api_key = "sk-file-voice-0123456789"\n`, "/c.toml", { env });
    expect(engineEnvironment(env, NO_ENV_SETTINGS, withheldValues(config, env))).toEqual({ PATH: "/bin", OPENAI_API_KEY: "sk-proj-openai-0123456789" });
  });

  it("applies env_deny (with *), env_allow over it, then env", () => {
    const config = loaded();
    const env = engineEnvironment(
      CONTAINER_ENV,
      settings({
        env_deny: ["AWS_*", "ANTHROPIC_API_KEY", "TAKOPI_*"],
        env_allow: ["TAKOPI_CONFIG", "VOICE_KEY_COPY"],
        env: { OPENAI_BASE_URL: "http://proxy:8080", HOME: "/home/engine" },
      }),
      withheldValues(config, CONTAINER_ENV),
    );
    expect(env).toMatchObject({ OPENAI_BASE_URL: "http://proxy:8080", HOME: "/home/engine", TAKOPI_CONFIG: "/state/takopi.toml", VOICE_KEY_COPY: VOICE });
    for (const name of ["AWS_SECRET_ACCESS_KEY", "ANTHROPIC_API_KEY", "TAKOPI_ALLOWED_USER_IDS", "TELEGRAM_BOT_TOKEN"]) expect(env).not.toHaveProperty(name);
  });

  it("is an allowlist with env_deny = ['*']", () => {
    const env = engineEnvironment(CONTAINER_ENV, settings({ env_deny: ["*"], env_allow: ["PATH", "HOME", "OPENAI_API_KEY"] }), withheldValues(loaded(), CONTAINER_ENV));
    expect(env).toEqual({ PATH: CONTAINER_ENV.PATH, HOME: CONTAINER_ENV.HOME, OPENAI_API_KEY: CONTAINER_ENV.OPENAI_API_KEY });
  });

  it("never passes the bot token, whatever the settings say", () => {
    const withheld = withheldValues(loaded(), CONTAINER_ENV);
    const env = engineEnvironment(CONTAINER_ENV, settings({ env_allow: ["*"], env: { COPY: `token=${TOKEN}` } }), withheld);
    expect(JSON.stringify(env)).not.toContain(TOKEN);
    expect(env).toHaveProperty("TAKOPI__DEFAULT_ENGINE", "claude");
  });
});

describe("engine env settings", () => {
  it("are optional, and validated with the key named", () => {
    expect(EngineEnvSchema.parse({ model: "x" })).toEqual(NO_ENV_SETTINGS);
    const bad = (table: Record<string, unknown>) => {
      const result = EngineEnvSchema.safeParse(table);
      const issue = result.success ? null : result.error.issues[0];
      return issue === null || issue === undefined ? null : `${issue.path.join(".")}: ${issue.message}`;
    };
    expect(bad({ env: { "BAD-NAME": "x" } })).toBe("env.BAD-NAME: expected a variable name (letters, digits and _, not starting with a digit)");
    expect(bad({ env: { PORT: 8080 } })).toBe("env.PORT: expected a string");
    expect(bad({ env: "X=1" })).toBe('env: expected a table such as { NAME = "value" }');
    expect(bad({ env_deny: ["AWS_*", "a b"] })).toBe('env_deny.1: expected a variable name or a pattern with *, such as "AWS_*"');
    expect(bad({ env_allow: "PATH" })).toBe("env_allow: expected a list of variable names");
  });

  it("refuse to hand the bot token to an engine", () => {
    expect(engineEnvProblem("codex", settings({ env: { TG: TOKEN } }), TOKEN)).toBe("`codex.env.TG` holds the bot token; takopi never gives it to an engine");
    expect(engineEnvProblem("codex", settings({ env_allow: ["TELEGRAM_BOT_TOKEN"] }), TOKEN)).toBe(
      "`codex.env_allow` lists TELEGRAM_BOT_TOKEN; takopi never gives the bot token to an engine",
    );
    expect(engineEnvProblem("codex", settings({ env: { OTHER: "value" } }), TOKEN)).toBeNull();
  });
});
