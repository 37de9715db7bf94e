// Which names hold secrets, which values of an environment and a config are
// secrets, and how `takopi config` masks them.
import { describe, expect, it } from "vitest";
import { configSecrets, knownSecrets, MASK, maskSecrets } from "../../../src/secrets/config.js";
import { envSecrets, isSecretName, withoutTakopiSecrets } from "../../../src/secrets/names.js";

const TOKEN = "7000000001:AAFakeTelegramTokenForTests-00000001";

describe("isSecretName", () => {
  it.each([
    "TELEGRAM_BOT_TOKEN",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "OPENROUTER_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "bot_token",
    "voice_transcription_api_key",
    "password",
    "client_secret",
    "apiKey",
    "openaiApiKey",
    "api_keys",
    "TAKOPI__TRANSPORTS__TELEGRAM__BOT_TOKEN",
  ])("%s is a secret's name", (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each(["PATH", "HOME", "TOKENIZERS_PARALLELISM", "PASSWORD_STORE_DIR", "GITHUB_TOKEN_FILE", "max_tokens", "SSH_AUTH_SOCK", "keyboard", "chat_id", "session_mode"])(
    "%s is not",
    (name) => {
      expect(isSecretName(name)).toBe(false);
    },
  );
});

describe("envSecrets", () => {
  it("takes secret-named variables with values long enough to be secrets", () => {
    const env = { PATH: "/usr/bin", TELEGRAM_BOT_TOKEN: TOKEN, OPENAI_API_KEY: "sk-test-1234567890", GH_TOKEN: "short", HOME: "/home/x", EMPTY_API_KEY: "" };
    expect(envSecrets(env)).toEqual([
      { name: "TELEGRAM_BOT_TOKEN", value: TOKEN },
      { name: "OPENAI_API_KEY", value: "sk-test-1234567890" },
    ]);
  });
});

const CONFIG = {
  default_engine: "codex",
  transports: { telegram: { bot_token: TOKEN, chat_id: 42, voice_transcription_api_key: "sk-voice-0123456789" } },
  plugins: { mail: { password: "hunter2hunter2", api_keys: ["key-one-111111", "key-two-222222"] } },
  codex: { env: { OPENAI_API_KEY: "sk-codex-0123456789", OPENAI_BASE_URL: "http://proxy:8080" }, max_tokens: 4096 },
};

describe("configSecrets", () => {
  it("finds strings under secret-named keys, engine tables included unless told otherwise", () => {
    expect(configSecrets(CONFIG).map((secret) => secret.name)).toEqual(["bot_token", "voice_transcription_api_key", "password", "api_keys", "api_keys", "OPENAI_API_KEY"]);
    expect(configSecrets(CONFIG, { engineTables: false }).map((secret) => secret.value)).not.toContain("sk-codex-0123456789");
    expect(knownSecrets({ GEMINI_API_KEY: "gem-0123456789" }, CONFIG)[0]).toEqual({ name: "GEMINI_API_KEY", value: "gem-0123456789" });
  });
});

describe("maskSecrets", () => {
  it("masks secret-named keys, a token pasted elsewhere and repeats of a secret; keeps the bot id", () => {
    const table = {
      ...CONFIG,
      projects: { app: { path: "/src/app", chat_id: TOKEN } },
      other: { copy: "hunter2hunter2", list: ["fine", "sk-voice-0123456789"] },
    };
    const { table: masked, masked: paths } = maskSecrets(table);
    expect(masked).toEqual({
      default_engine: "codex",
      transports: { telegram: { bot_token: `7000000001:${MASK}`, chat_id: 42, voice_transcription_api_key: MASK } },
      plugins: { mail: { password: MASK, api_keys: [MASK, MASK] } },
      codex: { env: { OPENAI_API_KEY: MASK, OPENAI_BASE_URL: "http://proxy:8080" }, max_tokens: 4096 },
      projects: { app: { path: "/src/app", chat_id: `7000000001:${MASK}` } },
      other: { copy: MASK, list: ["fine", MASK] },
    });
    expect(paths.map((path) => path.join("."))).toEqual([
      "transports.telegram.bot_token",
      "transports.telegram.voice_transcription_api_key",
      "plugins.mail.password",
      "plugins.mail.api_keys",
      "codex.env.OPENAI_API_KEY",
      "projects.app.chat_id",
      "other.copy",
      "other.list",
    ]);
    // The input is not changed.
    expect(table.transports.telegram.bot_token).toBe(TOKEN);
  });
});

describe("withoutTakopiSecrets", () => {
  it("drops the bot token, TAKOPI__ overrides and anything holding the token; keeps the rest", () => {
    const env = {
      PATH: "/usr/bin",
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_CHAT_ID: "42",
      TAKOPI__TRANSPORTS__TELEGRAM__VOICE_TRANSCRIPTION_API_KEY: "sk-voice",
      TAKOPI_CONFIG: "/state/takopi.toml",
      WEBHOOK: `https://api.telegram.org/bot${TOKEN}/sendMessage`,
      OPENAI_API_KEY: "sk-engine",
    };
    expect(withoutTakopiSecrets(env)).toEqual({ PATH: "/usr/bin", TELEGRAM_CHAT_ID: "42", TAKOPI_CONFIG: "/state/takopi.toml", OPENAI_API_KEY: "sk-engine" });
  });
});
