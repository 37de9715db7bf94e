// Thrown values as text: an Error's message, anything else as String(); a
// system error's code, and its message without the path tail Node appends.
import { describe, expect, it } from "vitest";
import { errorCode, errorMessage, isErrorCode, systemErrorMessage } from "../../../src/util/errors.js";

function systemError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

describe("errorMessage", () => {
  it("gives an Error's message and anything else as String()", () => {
    expect(errorMessage(new TypeError("bad input"))).toBe("bad input");
    expect(errorMessage("plain string")).toBe("plain string");
    expect(errorMessage(42)).toBe("42");
    expect(errorMessage(undefined)).toBe("undefined");
    expect(errorMessage({ code: "ENOENT" })).toBe("[object Object]");
  });
});

describe("system errors", () => {
  it("reads a string code and calls anything else unknown", () => {
    expect(errorCode(systemError("ENOENT", "x"))).toBe("ENOENT");
    expect(errorCode({ code: 404 })).toBe("unknown");
    expect(errorCode(new Error("x"))).toBe("unknown");
    expect(errorCode(null)).toBe("unknown");
    expect(isErrorCode(systemError("EPERM", "x"), "EACCES", "EPERM")).toBe(true);
    expect(isErrorCode(systemError("EPERM", "x"), "ENOENT")).toBe(false);
  });

  it("drops the path Node appends, and only from system errors", () => {
    expect(systemErrorMessage(systemError("ENOENT", "ENOENT: no such file or directory, open '/tmp/x.json.tmp-1'"))).toBe("ENOENT: no such file or directory");
    expect(systemErrorMessage(new Error("bad, open 'quoted'"))).toBe("bad, open 'quoted'");
  });
});
