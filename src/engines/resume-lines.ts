/**
 * Resume lines: the inline-code line under every answer that tells a
 * person — and takopi, when they reply — how to continue the session.
 */
import type { ResumeToken } from "../core/events.js";
import type { ResumeCodec } from "./backend.js";

export interface ResumeLineSpec {
  engine: string;
  /** The line without backticks, e.g. `codex resume <id>`. */
  format: (value: string) => string;
  /**
   * Matches one whole line; must capture the token in the named group `token`.
   * Compiled case-insensitively; matched per line.
   */
  pattern: RegExp;
  /** Post-processing of the captured token (pi strips quotes); empty means no match. */
  clean?: (raw: string) => string;
}

/** Builds format/extract/isResumeLine from one line pattern. */
export function resumeCodec(spec: ResumeLineSpec): ResumeCodec {
  const line = new RegExp(spec.pattern.source, "i");
  const clean = spec.clean ?? ((raw: string) => raw.trim());
  return {
    formatResume(token: ResumeToken): string {
      if (token.engine !== spec.engine) {
        throw new Error(`resume token is for engine '${token.engine}', not '${spec.engine}'`);
      }
      return `\`${spec.format(token.value)}\``;
    },
    extractResume(text: string): ResumeToken | null {
      // The last resume line wins: a reply quoting an older answer still resumes the newest session.
      let found: string | null = null;
      for (const candidate of text.split(/\r?\n/)) {
        const raw = line.exec(candidate)?.groups?.token;
        if (raw === undefined) continue;
        const value = clean(raw);
        if (value !== "") found = value;
      }
      return found === null ? null : { engine: spec.engine, value: found };
    },
    isResumeLine(candidate: string): boolean {
      return line.test(candidate);
    },
  };
}
