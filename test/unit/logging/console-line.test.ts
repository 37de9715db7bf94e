// The readable console format: one line per event (time, level, message,
// fields), errors as `Type: message` with their cause, stacks only at debug
// level, multi-line text indented. Lines come from a real pino logger.
import { describe, expect, it } from "vitest";
import { consoleLine } from "../../../src/logging/console-line.js";
import { createLogger } from "../../../src/util/log.js";

/** A logger at `level` writing pino's JSON lines into an array (format json, so the raw lines can be formatted here). */
function capture(level = "info"): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ level, format: "json", file: null, destination: { write: (line) => lines.push(line) } });
  return { log, lines };
}

const TIME = /^\d\d:\d\d:\d\d\.\d{3} /;

describe("consoleLine", () => {
  it("writes time, level, message and the fields in logged order", () => {
    const { log, lines } = capture();
    log.child({ run: 3 }).info({ event: "run.started", chat_id: 123, engine: "codex", cwd: "/projects/app", resumed: false, note: null }, "run started");
    const line = consoleLine(lines[0] ?? "", { stacks: false });
    expect(line).toMatch(TIME);
    expect(line.slice(13)).toBe("INFO  run started  run=3 chat_id=123 engine=codex cwd=/projects/app resumed=false note=null\n");
  });

  it("shows the local time of the event", () => {
    const time = Date.UTC(2026, 0, 2, 6, 41, 8, 123);
    const date = new Date(time);
    const two = (n: number) => String(n).padStart(2, "0");
    const line = consoleLine(JSON.stringify({ level: 40, time, msg: "late" }), { stacks: false });
    expect(line).toBe(`${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.123 WARN  late\n`);
  });

  it("quotes strings that would be ambiguous bare and keeps nested objects on the line as compact JSON", () => {
    const { log, lines } = capture();
    log.warn({ path: "/my projects/app", empty: "", quote: 'say "hi"', detail: { method: "getUpdates", attempts: [1, 2] } }, "odd values");
    expect(consoleLine(lines[0] ?? "", { stacks: false }).slice(13)).toBe(
      'WARN  odd values  path="/my projects/app" empty="" quote="say \\"hi\\"" detail={"method":"getUpdates","attempts":[1,2]}\n',
    );
  });

  it("leaves out `event`, and uses it when there is no message", () => {
    expect(consoleLine(JSON.stringify({ level: 30, time: 0, event: "telegram.polling_started" }), { stacks: false }).slice(13)).toBe("INFO  telegram.polling_started\n");
  });

  it("names a logger other than takopi's own", () => {
    const line = consoleLine(JSON.stringify({ level: 50, time: 0, name: "takopi.replay", msg: "bad line" }), { stacks: false });
    expect(line.slice(13)).toBe("ERROR [takopi.replay] bad line\n");
  });

  it("shows an error's type, message and cause, and its stack only when asked", () => {
    const { log, lines } = capture("debug");
    const cause = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    log.error({ attempt: 1, err: Object.assign(new Error("Network request for 'getUpdates' failed!"), { name: "HttpError", error: cause }) }, "getUpdates failed");
    const plain = consoleLine(lines[0] ?? "", { stacks: false });
    expect(plain.slice(13)).toBe(`ERROR getUpdates failed  attempt=1 err="Error: Network request for 'getUpdates' failed!; because: Error: socket hang up [ECONNRESET]"\n`);
    const withStack = consoleLine(lines[0] ?? "", { stacks: true }).split("\n");
    expect(withStack[0]).toBe(plain.trimEnd());
    expect(withStack[1]).toMatch(/^ {4}\w*Error: Network request/);
    expect(withStack[2]).toMatch(/^ {8}at /);
  });

  it("folds a cause chain pino already put into the message only once", () => {
    const { log, lines } = capture();
    log.error({ err: new Error("poll failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") }) }, "failed");
    expect(consoleLine(lines[0] ?? "", { stacks: false }).slice(13)).toBe('ERROR failed  err="Error: poll failed: connect ECONNREFUSED 127.0.0.1:9"\n');
  });

  it("reads the error shapes takopi logs besides pino's: describeError's and the redactor's", () => {
    const described = { level: 40, time: 0, msg: "retrying", error: { name: "HttpError", description: "Network request for 'getMe' failed!", cause: "ECONNREFUSED" } };
    expect(consoleLine(JSON.stringify(described), { stacks: false }).slice(13)).toBe(
      `WARN  retrying  error="HttpError: Network request for 'getMe' failed!; cause: ECONNREFUSED"\n`,
    );
    const flattened = { level: 50, time: 0, msg: "x", err: { type: "TypeError", message: "bad", cause: { type: "Error", message: "deeper" } } };
    expect(consoleLine(JSON.stringify(flattened), { stacks: false }).slice(13)).toBe('ERROR x  err="TypeError: bad; cause: Error: deeper"\n');
  });

  it("indents the continuation lines of a multi-line message", () => {
    const line = consoleLine(JSON.stringify({ level: 40, time: 0, msg: "config problem:\n  fix this\nand that" }), { stacks: false });
    expect(line.slice(13)).toBe("WARN  config problem:\n      fix this\n    and that\n");
  });

  it("passes through a line that is not a JSON object", () => {
    expect(consoleLine("not json", { stacks: false })).toBe("not json\n");
    expect(consoleLine("[1,2]\n", { stacks: false })).toBe("[1,2]\n");
  });
});
