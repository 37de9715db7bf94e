// TAKOPI_LOG_LEVEL, TAKOPI_LOG_FORMAT and TAKOPI_LOG_FILE: empty counts as
// unset, case and spaces do not matter, and a value not understood falls back
// to the default with one problem to warn about.
import { describe, expect, it } from "vitest";
import { logFile, logFormat, logLevel, settingProblems } from "../../../src/logging/settings.js";

describe("logging settings", () => {
  it("reads the level, with the caller's fallback for unset, empty or unknown values", () => {
    expect(logLevel("info", { TAKOPI_LOG_LEVEL: " DEBUG " })).toBe("debug");
    expect(logLevel("info", {})).toBe("info");
    expect(logLevel("warn", { TAKOPI_LOG_LEVEL: "" })).toBe("warn");
    expect(logLevel("info", { TAKOPI_LOG_LEVEL: "verbose" })).toBe("info");
  });

  it("reads the format: console (also text, pretty) or json; anything else is console", () => {
    expect(logFormat({})).toBe("console");
    expect(logFormat({ TAKOPI_LOG_FORMAT: "" })).toBe("console");
    expect(logFormat({ TAKOPI_LOG_FORMAT: "JSON" })).toBe("json");
    for (const value of ["console", "text", "pretty", "yaml", "constructor"]) expect(logFormat({ TAKOPI_LOG_FORMAT: value })).toBe("console");
  });

  it("reads the log file; empty is none", () => {
    expect(logFile({ TAKOPI_LOG_FILE: "/state/takopi.log" })).toBe("/state/takopi.log");
    expect(logFile({ TAKOPI_LOG_FILE: " " })).toBeNull();
    expect(logFile({})).toBeNull();
  });

  it("names each value not understood once, saying what applies instead", () => {
    expect(settingProblems({ TAKOPI_LOG_LEVEL: "info", TAKOPI_LOG_FORMAT: "text" })).toEqual([]);
    expect(settingProblems({ TAKOPI_LOG_LEVEL: "", TAKOPI_LOG_FORMAT: "" })).toEqual([]);
    expect(settingProblems({ TAKOPI_LOG_LEVEL: "loud", TAKOPI_LOG_FORMAT: "xml" })).toEqual([
      { name: "TAKOPI_LOG_LEVEL", value: "loud", message: "TAKOPI_LOG_LEVEL=loud is not one of trace, debug, info, warn, error, fatal, silent; using the default level" },
      { name: "TAKOPI_LOG_FORMAT", value: "xml", message: "TAKOPI_LOG_FORMAT=xml is not console or json; using console" },
    ]);
  });
});
