import { describe, expect, it } from "vitest";
import { parseSlashCommand, splitArgs } from "../../../src/core/slash.js";

describe("parseSlashCommand", () => {
  it.each([
    ["/reload", { command: "reload", argsText: "" }],
    ["  /Reload@TakopiBot now", { command: "reload", argsText: "now" }],
    ["/refresh  app.service", { command: "refresh", argsText: " app.service" }],
    ["/model set codex o3\nsecond line", { command: "model", argsText: "set codex o3\nsecond line" }],
    ["/new\nfix the tests", { command: "new", argsText: "fix the tests" }],
  ])("%j", (text, expected) => {
    expect(parseSlashCommand(text)).toEqual(expected);
  });

  it.each(["/", "/ x", "hello /reload", "", "/@bot"])("%j is not a command", (text) => {
    expect(parseSlashCommand(text)).toBeNull();
  });
});

describe("splitArgs", () => {
  it.each([
    ["a b  c", ["a", "b", "c"]],
    [`set "my model" 'x y'`, ["set", "my model", "x y"]],
    [`a\\ b "c\\"d" 'e\\f'`, ["a b", 'c"d', "e\\f"]],
    [`""`, [""]],
    ["it's broken", ["it's", "broken"]],
    ["trailing\\", ["trailing\\"]],
    ["", []],
    ["one\ntwo", ["one", "two"]],
  ])("%j", (text, expected) => {
    expect(splitArgs(text)).toEqual(expected);
  });
});
