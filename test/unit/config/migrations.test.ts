import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { migrateConfig, migrateLegacyTelegram, migrateTopicsScope } from "../../../src/config/migrations.js";

const PATH = "/cfg/takopi.toml";

describe("legacy-telegram", () => {
  it("moves top-level bot_token/chat_id under [transports.telegram] and sets the transport", () => {
    const input = parse('bot_token = "123:abc"\nchat_id = 42\ndefault_engine = "claude"\n');
    const { table, applied } = migrateLegacyTelegram(input, PATH);
    expect(applied).toEqual(["legacy-telegram"]);
    expect(table).toEqual({ default_engine: "claude", transport: "telegram", transports: { telegram: { bot_token: "123:abc", chat_id: 42 } } });
    expect(input).toHaveProperty("bot_token", "123:abc");
  });

  it("keeps values already under [transports.telegram] and an explicit transport", () => {
    const input = parse('bot_token = "old"\nchat_id = 1\ntransport = "slack"\n[transports.telegram]\nbot_token = "new"\n');
    const { table } = migrateLegacyTelegram(input, PATH);
    expect(table).toEqual({ transport: "slack", transports: { telegram: { bot_token: "new", chat_id: 1 } } });
  });

  it("does nothing to a current config", () => {
    const input = parse('[transports.telegram]\nbot_token = "t"\nchat_id = 1\n');
    expect(migrateLegacyTelegram(input, PATH)).toEqual({ table: input, applied: [] });
  });

  it("refuses when transports is not a table", () => {
    expect(() => migrateLegacyTelegram(parse('bot_token = "t"\ntransports = "x"\n'), PATH)).toThrow(
      '/cfg/takopi.toml: `transports` must be a table, found the string "x"',
    );
  });
});

describe("topics-scope", () => {
  it.each([
    ["multi_project_chat", "main"],
    ["per_project_chat", "projects"],
  ])("maps mode %s to scope %s", (mode, scope) => {
    const { table, applied } = migrateTopicsScope(parse(`[transports.telegram.topics]\nenabled = true\nmode = "${mode}"\n`), PATH);
    expect(applied).toEqual(["topics-scope"]);
    expect(table).toEqual({ transports: { telegram: { topics: { enabled: true, scope } } } });
  });

  it("drops mode when scope is already set", () => {
    const { table } = migrateTopicsScope(parse('[transports.telegram.topics]\nmode = "bogus"\nscope = "all"\n'), PATH);
    expect(table).toEqual({ transports: { telegram: { topics: { scope: "all" } } } });
  });

  it("rejects a mode it cannot translate", () => {
    expect(() => migrateTopicsScope(parse('[transports.telegram.topics]\nmode = "bogus"\n'), PATH)).toThrow(
      '/cfg/takopi.toml: `transports.telegram.topics.mode` must be "multi_project_chat" or "per_project_chat", found the string "bogus"; ' +
        'or replace it with `scope` ("auto", "main", "projects" or "all")',
    );
  });
});

it("migrateConfig applies both in order", () => {
  const { table, applied } = migrateConfig(parse('bot_token = "t"\nchat_id = 1\n[transports.telegram.topics]\nmode = "per_project_chat"\n'), PATH);
  expect(applied).toEqual(["legacy-telegram", "topics-scope"]);
  expect(table).toEqual({ transport: "telegram", transports: { telegram: { bot_token: "t", chat_id: 1, topics: { scope: "projects" } } } });
});
