/**
 * What codex asks while one run's turn is going (app-server server requests:
 * approvals and questions), handed to that run's `control.interact` and the
 * answer put back in codex's words. Also what the run needs to know about its
 * turn's items: the files a pending patch touches (codex 0.169 sends them only
 * in the item's `item/started`, not with its approval request) and whether a
 * command is running (a steer then waits for it).
 *
 * Shapes seen with codex-cli 0.169.0 (`codex app-server generate-ts`):
 * - `item/commandExecution/requestApproval {threadId, turnId, itemId, command?, cwd?, reason?}`
 *   → `{decision: "accept"|"acceptForSession"|"decline"|"cancel"}`;
 * - `item/fileChange/requestApproval {threadId, turnId, itemId, reason?, grantRoot?}` → the same decisions;
 * - `item/tool/requestUserInput {threadId, turnId, itemId, questions:[{id, header, question, isOther, options}]}`
 *   → `{answers: {<question id>: {answers: [...]}}}`;
 * - `serverRequest/resolved {threadId, requestId}`: codex withdrew a request
 *   (the turn was interrupted); a late reply is ignored by codex.
 */
import { refusal, type ApprovalDecision, type InteractionAnswer, type InteractionHandler, type InteractionRequest, type Question } from "../../core/interaction.js";
import type { Logger } from "../../util/log.js";
import { NO_REPLY, type JsonRpcNotification, type JsonRpcServerRequest } from "../jsonrpc.js";
import { isRecord } from "../tool-actions.js";
import { commandText, displayCommand } from "./schema.js";

type Json = Record<string, unknown>;

/** The server requests that become interactions. */
export const INTERACTION_METHODS = ["item/commandExecution/requestApproval", "item/fileChange/requestApproval", "item/tool/requestUserInput"] as const;

const DECISIONS: Record<ApprovalDecision, string> = {
  approve: "accept",
  approve_session: "acceptForSession",
  deny: "decline",
  stop: "cancel",
};

/** A diff longer than this is cut (the request message is read on a phone). */
const MAX_DIFF_CHARS = 3000;

/** A patch item's files and diff, from its `item/started`. */
interface PatchInfo {
  files: string[];
  diff: string | null;
}

/** One run's thread: its pending requests and what its turn's items are doing. */
export class ThreadInteractions {
  readonly #threadId: string;
  readonly #interact: InteractionHandler | undefined;
  readonly #log: Logger;
  /** Server request id → the controller aborting its `interact` signal. */
  readonly #pending = new Map<string, AbortController>();
  readonly #patches = new Map<string, PatchInfo>();
  /** `commandExecution` items started and not completed. */
  readonly #runningCommands = new Set<string>();
  #closed = false;
  #stopped = false;

  constructor(threadId: string, interact: InteractionHandler | undefined, log: Logger) {
    this.#threadId = threadId;
    this.#interact = interact;
    this.#log = log;
  }

  /** Whether a command of the turn is running now (a steer waits for it). */
  get commandRunning(): boolean {
    return this.#runningCommands.size > 0;
  }

  /** Whether a request was answered `stop` (codex then interrupts the turn: the run ends as cancelled). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Sees every notification of the thread, before the run's translator does. */
  observe(message: JsonRpcNotification): void {
    const params = isRecord(message.params) ? message.params : {};
    switch (message.method) {
      case "item/started":
      case "item/completed": {
        const item = isRecord(params.item) ? params.item : null;
        if (item === null || typeof item.id !== "string") return;
        const started = message.method === "item/started";
        if (item.type === "commandExecution") {
          if (started) this.#runningCommands.add(item.id);
          else this.#runningCommands.delete(item.id);
        } else if (item.type === "fileChange") {
          if (started) this.#patches.set(item.id, patchInfo(item.changes));
          else this.#patches.delete(item.id);
        }
        return;
      }
      case "turn/completed":
        this.#runningCommands.clear();
        return;
      case "serverRequest/resolved": {
        const id = params.requestId;
        if (typeof id === "number" || typeof id === "string") this.#withdraw(String(id));
        return;
      }
    }
  }

  /**
   * Asks the run's person and answers codex: the result to send, or
   * `NO_REPLY` when codex withdrew the request or the run ended first.
   */
  async answer(request: JsonRpcServerRequest): Promise<unknown> {
    const params = isRecord(request.params) ? request.params : {};
    const asked = this.#request(request.method, params);
    const key = String(request.id);
    if (this.#closed) return NO_REPLY;
    const controller = new AbortController();
    this.#pending.set(key, controller);
    let answer: InteractionAnswer;
    try {
      if (this.#interact === undefined) {
        this.#log.debug({ threadId: this.#threadId, method: request.method }, "codex asked, but this run has nobody to ask; refused");
        answer = refusal(asked, "nobody to ask");
      } else {
        answer = await this.#interact(asked, controller.signal);
      }
    } catch (error) {
      this.#log.warn({ threadId: this.#threadId, method: request.method, error: error instanceof Error ? error.message : String(error) }, "asking for codex's request failed; refused");
      answer = refusal(asked, "could not ask");
    } finally {
      this.#pending.delete(key);
    }
    if (controller.signal.aborted) return NO_REPLY;
    if (answer.kind === "approval" && answer.decision === "stop" && asked.kind !== "question") this.#stopped = true;
    return reply(asked, answer);
  }

  /** The run is over: every open request is closed, and none is answered any more. */
  close(): void {
    this.#closed = true;
    for (const key of [...this.#pending.keys()]) this.#withdraw(key);
  }

  #withdraw(key: string): void {
    const controller = this.#pending.get(key);
    this.#pending.delete(key);
    controller?.abort();
  }

  #request(method: string, params: Json): InteractionRequest {
    const reason = typeof params.reason === "string" && params.reason !== "" ? params.reason : null;
    if (method === "item/fileChange/requestApproval") {
      const patch = typeof params.itemId === "string" ? this.#patches.get(params.itemId) : undefined;
      return { kind: "files", files: patch?.files ?? [], diff: patch?.diff ?? null, reason };
    }
    if (method === "item/tool/requestUserInput") {
      return { kind: "question", questions: Array.isArray(params.questions) ? params.questions.filter(isRecord).map(question) : [] };
    }
    const command = typeof params.command === "string" || Array.isArray(params.command) ? commandText(params.command as string | string[]) : "";
    return { kind: "command", command: displayCommand(command), cwd: typeof params.cwd === "string" ? params.cwd : null, reason };
  }
}

/** The result codex expects for `asked`, from the person's answer (anything that does not fit is a refusal). */
function reply(asked: InteractionRequest, answer: InteractionAnswer): Json {
  if (asked.kind === "question") {
    const answers: Record<string, { answers: string[] }> = {};
    if (answer.kind === "answers") for (const [id, chosen] of Object.entries(answer.answers)) answers[id] = { answers: chosen };
    return { answers };
  }
  return { decision: answer.kind === "approval" ? DECISIONS[answer.decision] : "decline" };
}

function question(raw: Json): Question {
  const options = Array.isArray(raw.options) ? raw.options.filter(isRecord) : [];
  return {
    id: typeof raw.id === "string" ? raw.id : "",
    header: typeof raw.header === "string" && raw.header !== "" ? raw.header : null,
    question: typeof raw.question === "string" ? raw.question : "",
    options: options.map((option) => ({
      label: typeof option.label === "string" ? option.label : "",
      description: typeof option.description === "string" && option.description !== "" ? option.description : null,
    })),
    multiSelect: false,
  };
}

/** The files of a patch's `changes` (`[{path, kind, diff}]`) and their diffs joined, cut to a phone-sized length. */
function patchInfo(changes: unknown): PatchInfo {
  const list = Array.isArray(changes) ? changes.filter(isRecord) : [];
  const files = list.map((change) => change.path).filter((path): path is string => typeof path === "string" && path !== "");
  const diffs = list
    .filter((change) => typeof change.diff === "string" && change.diff !== "")
    .map((change) => (change.diff as string).startsWith("---") || list.length === 1 ? (change.diff as string) : `--- ${String(change.path)}\n${change.diff as string}`);
  const diff = diffs.join("\n").trimEnd();
  if (diff === "") return { files, diff: null };
  return { files, diff: diff.length > MAX_DIFF_CHARS ? `${diff.slice(0, MAX_DIFF_CHARS)}\n… (cut)` : diff };
}
