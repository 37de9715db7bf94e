/**
 * Output that must be log-shipper JSON (`TAKOPI_LOG_FORMAT=json`): every
 * non-empty line one object shaped like takopi's pino lines.
 */
import { expect } from "vitest";

/** Each non-empty line of `text`, parsed; fails the test on a line that is not a pino-shaped JSON object. */
export function expectJsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      let parsed: unknown;
      expect(() => {
        parsed = JSON.parse(line) as unknown;
      }, line).not.toThrow();
      expect(parsed, line).toMatchObject({ level: expect.any(Number) as number, time: expect.any(Number) as number, msg: expect.any(String) as string });
      return parsed as Record<string, unknown>;
    });
}
