import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/errors.js";
import { flattenKeys, formatTomlLiteral, getKey, parseKeyPath, parseTomlLiteral, setKey, unsetKey } from "../../../src/config/toml-keys.js";

describe("parseKeyPath", () => {
  it("splits dotted keys", () => {
    expect(parseKeyPath("transports.telegram.chat_id")).toEqual(["transports", "telegram", "chat_id"]);
    expect(parseKeyPath(" projects.happy-gadgets.path ")).toEqual(["projects", "happy-gadgets", "path"]);
  });

  it("rejects empty keys, empty segments and quoted segments with a clear message", () => {
    expect(() => parseKeyPath("")).toThrow("Invalid key: it is empty; use a dotted key such as transports.telegram.chat_id.");
    expect(() => parseKeyPath("a..b")).toThrow("Invalid key 'a..b': it has an empty segment.");
    expect(() => parseKeyPath('projects."my app".path')).toThrow(ConfigError);
    expect(() => parseKeyPath("a.b c")).toThrow("Invalid key segment 'b c' in 'a.b c'; use only letters, digits, '_' or '-'.");
  });
});

describe("getKey / setKey / unsetKey", () => {
  const table = parse('a = 1\n[t]\nx = "y"\n[t.sub]\nz = true\n');

  it("reads leaves and tables, and undefined for what is not there", () => {
    expect(getKey(table, "a")).toBe(1);
    expect(getKey(table, "t.sub.z")).toBe(true);
    expect(getKey(table, "t.sub")).toEqual({ z: true });
    expect(getKey(table, "t.nope")).toBeUndefined();
    expect(getKey(table, "a.b")).toBeUndefined();
  });

  it("sets a key on a copy, creating tables on the way", () => {
    const next = setKey(table, "new.deep.key", [1, 2]);
    expect(getKey(next, "new.deep.key")).toEqual([1, 2]);
    expect(getKey(table, "new")).toBeUndefined();
    expect(getKey(next, "t.x")).toBe("y");
  });

  it("refuses to replace a value with a table", () => {
    expect(() => setKey(table, "a.b", 1)).toThrow("Cannot set `a.b`: `a` is the integer 1, not a table.");
  });

  it("removes a key and prunes the tables left empty", () => {
    const { table: next, removed } = unsetKey(table, "t.sub.z");
    expect(removed).toBe(true);
    expect(next).toEqual({ a: 1, t: { x: "y" } });
    const again = unsetKey(unsetKey(next, "t.x").table, "a");
    expect(again.table).toEqual({});
  });

  it("reports a missing key without changing anything", () => {
    expect(unsetKey(table, "t.sub.nope")).toEqual({ table, removed: false });
    expect(unsetKey(table, "a.b").removed).toBe(false);
  });
});

describe("TOML literals", () => {
  it("parses literals and falls back to the raw string", () => {
    expect(parseTomlLiteral("42")).toBe(42);
    expect(parseTomlLiteral("-1001234567890")).toBe(-1001234567890);
    expect(parseTomlLiteral("true")).toBe(true);
    expect(parseTomlLiteral('"quoted"')).toBe("quoted");
    expect(parseTomlLiteral('["-c", "notify=[]"]')).toEqual(["-c", "notify=[]"]);
    expect(parseTomlLiteral("claude")).toBe("claude");
    expect(parseTomlLiteral("123:ABC-def")).toBe("123:ABC-def");
    expect(parseTomlLiteral("~/dev/app")).toBe("~/dev/app");
    expect(parseTomlLiteral("")).toBe("");
    expect(parseTomlLiteral("   ")).toBe("");
  });

  it("does not let a newline smuggle in a second key", () => {
    expect(parseTomlLiteral("1\nother = 2")).toBe("1\nother = 2");
  });

  it("formats values as TOML literals", () => {
    expect(formatTomlLiteral("a\"b")).toBe('"a\\"b"');
    expect(formatTomlLiteral(-100)).toBe("-100");
    expect(formatTomlLiteral(1.5)).toBe("1.5");
    expect(formatTomlLiteral(false)).toBe("false");
    expect(formatTomlLiteral(["Bash", "Read"])).toBe('[ "Bash", "Read" ]');
    expect(formatTomlLiteral([])).toBe("[]");
    expect(() => formatTomlLiteral({ a: 1 })).toThrow(ConfigError);
    expect(() => formatTomlLiteral([{ a: 1 }])).toThrow(ConfigError);
  });

  it("flattens a table into sorted dotted keys", () => {
    const config = parse(`
default_engine = "codex"
[transports.telegram]
chat_id = 5
bot_token = "t"
[[things]]
name = "one"
[codex]
extra_args = ["-c", "notify=[]"]
`);
    expect(flattenKeys(config)).toEqual([
      ["codex.extra_args", '[ "-c", "notify=[]" ]'],
      ["default_engine", '"codex"'],
      ["things[0].name", '"one"'],
      ["transports.telegram.bot_token", '"t"'],
      ["transports.telegram.chat_id", "5"],
    ]);
  });
});
