// Engine config files as TS objects (written by engine-env.ts), plus a tiny
// TOML writer for Codex's config.toml.
import type { FakeLlm } from "./fake-llm.js";

type TomlValue = string | number | boolean | readonly string[] | TomlTable;
interface TomlTable {
  readonly [key: string]: TomlValue;
}

function isTable(value: TomlValue): value is TomlTable {
  return typeof value === "object" && !Array.isArray(value);
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

function tomlScalar(value: Exclude<TomlValue, TomlTable>): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
}

/** Serializes nested tables as `[a.b]` sections; scalars first in each table. */
export function toToml(table: TomlTable, path: string[] = []): string {
  const lines: string[] = [];
  const subtables: [string, TomlTable][] = [];
  for (const [key, value] of Object.entries(table)) {
    if (isTable(value)) subtables.push([key, value]);
    else lines.push(`${tomlKey(key)} = ${tomlScalar(value)}`);
  }
  let out = "";
  if (path.length > 0 && (lines.length > 0 || subtables.length === 0)) out += `\n[${path.map(tomlKey).join(".")}]\n`;
  if (lines.length > 0) out += `${lines.join("\n")}\n`;
  for (const [key, sub] of subtables) out += toToml(sub, [...path, key]);
  return out;
}

/**
 * `$CODEX_HOME/config.toml`. Only `wire_api = "responses"` works (0.169
 * rejects "chat"); `gpt-5.5` is a slug with bundled metadata, so the stream has
 * no "model metadata not found" error item and offers the freeform
 * `apply_patch`. Plugins/apps off: otherwise Codex contacts github.com,
 * api.github.com and chatgpt.com at startup.
 */
export function codexConfig(baseUrl: string): TomlTable {
  return {
    model: "gpt-5.5",
    model_provider: "fake",
    check_for_update_on_startup: false,
    model_providers: {
      fake: {
        name: "fake",
        base_url: baseUrl,
        env_key: "FAKE_API_KEY",
        wire_api: "responses",
        request_max_retries: 0,
        stream_max_retries: 0,
        stream_idle_timeout_ms: 20_000,
      },
    },
    features: { plugins: false, apps: false, remote_plugin: false },
    analytics: { enabled: false },
  };
}

/**
 * `$XDG_CONFIG_HOME/opencode/opencode.json`: a provider through the bundled
 * `@ai-sdk/openai-compatible` whose baseURL comes from env FAKE_BASE_URL
 * (OpenCode substitutes `{env:VAR}`), used for the main and the title model.
 */
export function opencodeConfig(): Record<string, unknown> {
  return {
    $schema: "https://opencode.ai/config.json",
    autoupdate: false,
    share: "disabled",
    model: "fake/fake-model",
    small_model: "fake/fake-model",
    provider: {
      fake: {
        npm: "@ai-sdk/openai-compatible",
        name: "Fake LLM",
        options: { baseURL: "{env:FAKE_BASE_URL}", apiKey: "sk-fake" },
        models: {
          "fake-model": { name: "Fake Model", tool_call: true, limit: { context: 128_000, output: 8192 } },
        },
      },
    },
  };
}

/** Pi providers in models.json: one per fake-llm dialect. */
export type PiProvider = "fake" | "fake-resp" | "fake-anth";

export interface PiRetry {
  maxRetries: number;
  baseDelayMs: number;
}

/** `$PI_CODING_AGENT_DIR/models.json`, every provider pointed at `scenario`. */
export function piModels(llm: FakeLlm, scenario: string): Record<string, unknown> {
  const model = (id: string, name: string, contextWindow: number): Record<string, unknown> => ({
    id,
    name,
    reasoning: false,
    contextWindow,
    maxTokens: 8192,
  });
  return {
    providers: {
      fake: {
        baseUrl: llm.scenarioUrl(scenario),
        api: "openai-completions",
        apiKey: "sk-fake",
        compat: { supportsDeveloperRole: false, supportsReasoningEffort: false },
        models: [model("fake-model", "Fake Model", 128_000)],
      },
      "fake-resp": {
        baseUrl: llm.scenarioUrl(scenario),
        api: "openai-responses",
        apiKey: "sk-fake",
        models: [model("fake-model", "Fake Model (responses)", 128_000)],
      },
      "fake-anth": {
        // The Anthropic SDK appends /v1/messages itself.
        baseUrl: llm.scenarioUrl(scenario, ""),
        api: "anthropic-messages",
        apiKey: "sk-ant-fake",
        models: [model("claude-fake", "Fake Claude", 200_000)],
      },
    },
  };
}

/**
 * `$PI_CODING_AGENT_DIR/settings.json`. Agent-level retries are off unless
 * `retry` is given (Pi's default is 3 retries from a 2 s base); SDK-level
 * retries are always off so every attempt is visible as an agent retry.
 */
export function piSettings(retry?: PiRetry): Record<string, unknown> {
  return {
    enableInstallTelemetry: false,
    quietStartup: true,
    retry: retry
      ? { enabled: true, maxRetries: retry.maxRetries, baseDelayMs: retry.baseDelayMs, provider: { maxRetries: 0 } }
      : { enabled: false, provider: { maxRetries: 0 } },
  };
}
