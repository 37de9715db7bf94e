/** Event builders for the progress and rendering tests (upstream `tests/factories.py`). */
import type { ActionEvent, ActionKind, StartedEvent, TakopiEvent } from "../../../src/core/events.js";

export function sessionStarted(engine: string, value: string, title?: string): StartedEvent {
  return { type: "started", engine, resume: { engine, value }, ...(title === undefined ? {} : { title }) };
}

export function actionStarted(id: string, kind: ActionKind, title: string, detail: Record<string, unknown> = {}): ActionEvent {
  return { type: "action", engine: "codex", action: { id, kind, title, detail }, phase: "started" };
}

export function actionUpdated(id: string, kind: ActionKind, title: string, detail: Record<string, unknown> = {}): ActionEvent {
  return { type: "action", engine: "codex", action: { id, kind, title, detail }, phase: "updated" };
}

export function actionCompleted(
  id: string,
  kind: ActionKind,
  title: string,
  options: { ok?: boolean; detail?: Record<string, unknown> } = {},
): ActionEvent {
  const event: ActionEvent = { type: "action", engine: "codex", action: { id, kind, title, detail: options.detail ?? {} }, phase: "completed" };
  if (options.ok !== undefined) event.ok = options.ok;
  return event;
}

export const SESSION_ID = "0199a213-81c0-7800-8aa1-bbab2a035a53";

/** Upstream's `SAMPLE_EVENTS`: a session, one command started and completed, one note. */
export const SAMPLE_EVENTS: TakopiEvent[] = [
  sessionStarted("codex", SESSION_ID, "Codex"),
  actionStarted("a-1", "command", "bash -lc ls"),
  actionCompleted("a-1", "command", "bash -lc ls", { ok: true, detail: { exit_code: 0 } }),
  actionCompleted("a-2", "note", "Checking repository root for README", { ok: true }),
];

export function formatResume(token: { value: string }): string {
  return `\`codex resume ${token.value}\``;
}
