/**
 * What a running engine may ask the person driving it, and what they can
 * answer: approve or deny a command or a file change, answer a question,
 * accept a plan. Engines ask through `RunControl.interact`
 * (engines/runner.ts); the bridge shows the request in the run's chat or
 * topic with buttons and settles the promise with the person's answer — or
 * with a deny when nobody answers in time (`approval_timeout_s`) or the run
 * ends first. Nothing here knows which engine asked or which chat answers.
 */

/** Who decided, as shown under the request once it is closed. */
export interface Decider {
  /** The chat service's user id; null for the bridge itself (timeout, run ended). */
  userId: number | null;
  /** A display name (`@name` or first name) when the chat service gave one. */
  name: string | null;
}

/** One option of a question. */
export interface QuestionOption {
  label: string;
  description: string | null;
}

/** One question of an engine's question request (claude AskUserQuestion, codex requestUserInput). */
export interface Question {
  /** The key the engine wants the answer under (claude: the question text; codex: its id). */
  id: string;
  /** A short label (claude `header`), or null. */
  header: string | null;
  question: string;
  options: QuestionOption[];
  /** Several options may be chosen. */
  multiSelect: boolean;
}

/** What the engine wants to do, as the request message shows it. */
export type InteractionRequest =
  /** A shell command (codex commandExecution, claude Bash). */
  | { kind: "command"; command: string; cwd: string | null; reason: string | null }
  /** Files the engine wants to change (codex fileChange, claude Write/Edit), with a short diff when the engine gives one. */
  | { kind: "files"; files: string[]; diff: string | null; reason: string | null }
  /** Any other tool that needs permission (claude WebFetch, MCP tools…): its name and a one-line summary of its input. */
  | { kind: "tool"; tool: string; summary: string }
  | { kind: "question"; questions: Question[] }
  /** A plan to approve before the engine goes on (claude ExitPlanMode). */
  | { kind: "plan"; plan: string };

/**
 * The answer to an approval (`command`, `files`, `tool`):
 * - `approve`: this once;
 * - `approve_session`: and do not ask again for the like in this session;
 * - `deny`: refused, the turn goes on and the agent answers;
 * - `stop`: refused, and the run ends (cancelled).
 */
export type ApprovalDecision = "approve" | "approve_session" | "deny" | "stop";

export type InteractionAnswer =
  | { kind: "approval"; decision: ApprovalDecision; by: Decider; note?: string }
  /** Per question id: the labels chosen, or the text typed as an answer. */
  | { kind: "answers"; answers: Record<string, string[]>; by: Decider }
  /** `approve` leaves plan mode; otherwise the engine keeps planning, with `note` as the person's feedback. */
  | { kind: "plan"; approve: boolean; by: Decider; note?: string };

/**
 * Asks the person. Settles with their answer, or with a refusal (a deny, an
 * empty answer, a plan kept) when nobody answers in time; `signal` aborts
 * when the engine withdrew the request or the run ended, and the request is
 * closed without waiting further (the promise then settles with a refusal).
 */
export type InteractionHandler = (request: InteractionRequest, signal: AbortSignal) => Promise<InteractionAnswer>;

/** The refusal an engine uses when nobody can be asked (no handler: a replay, a capture run). */
export function refusal(request: InteractionRequest, note: string): InteractionAnswer {
  const by: Decider = { userId: null, name: null };
  if (request.kind === "question") return { kind: "answers", answers: {}, by };
  if (request.kind === "plan") return { kind: "plan", approve: false, by, note };
  return { kind: "approval", decision: "deny", by, note };
}
