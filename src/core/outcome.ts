/**
 * What a finished run means to the person who asked, with two deliberate
 * fixes over upstream: a successful run with an empty answer is `done` (upstream
 * says `error`); an error that repeats the answer is not shown twice.
 */
import type { CompletedEvent, ResumeToken } from "./events.js";

export type RunStatus = "done" | "error";

export interface RunOutcome {
  status: RunStatus;
  /** The body of the final message (answer, then the error when the run failed). */
  text: string;
  resume: ResumeToken | null;
}

export function runOutcome(completed: CompletedEvent, startedResume: ResumeToken | null = null): RunOutcome {
  const answer = completed.answer.trim();
  const error = completed.error?.trim() ?? "";
  let text = answer;
  if (!completed.ok && error !== "" && error !== answer) {
    text = answer === "" ? error : `${answer}\n\n${error}`;
  }
  return {
    status: completed.ok ? "done" : "error",
    text,
    resume: completed.resume ?? startedResume,
  };
}
