/**
 * What takopi sends codex app-server to start a run (`thread/start` or
 * `thread/resume`, then `turn/start`), and the small readers of its answers.
 */
import type { RunRequest } from "../backend.js";
import { SANDBOX_FOR_POLICY, type CodexConfig } from "./schema.js";

/** `thread/start` / `thread/resume` params: cwd, approval policy (and the sandbox it needs), model, reasoning. */
export function threadParams(config: CodexConfig, request: RunRequest): Record<string, unknown> {
  const policy = config.approval_policy;
  const params: Record<string, unknown> = { cwd: request.cwd, approvalPolicy: policy };
  const sandbox = SANDBOX_FOR_POLICY[policy];
  if (sandbox !== null) params.sandbox = sandbox;
  const model = request.options?.model ?? config.model;
  if (model !== undefined && model !== "") params.model = model;
  const reasoning = request.options?.reasoning;
  if (reasoning !== undefined && reasoning !== "") params.config = { model_reasoning_effort: reasoning };
  return params;
}

/** `turn/start` params: the prompt, and the reasoning effort (codex passes it on unvalidated). */
export function turnParams(threadId: string, request: RunRequest): Record<string, unknown> {
  const params: Record<string, unknown> = { threadId, input: [textInput(request.prompt)] };
  const reasoning = request.options?.reasoning;
  if (reasoning !== undefined && reasoning !== "") params.effort = reasoning;
  return params;
}

export function textInput(text: string): Record<string, unknown> {
  return { type: "text", text, text_elements: [] };
}

/** `result.thread.id` / `result.turn.id`. */
export function idOf(value: unknown, key: "thread" | "turn"): string | null {
  if (typeof value !== "object" || value === null) return null;
  const inner = (value as Record<string, unknown>)[key];
  if (typeof inner !== "object" || inner === null) return null;
  const id = (inner as Record<string, unknown>).id;
  return typeof id === "string" && id !== "" ? id : null;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
