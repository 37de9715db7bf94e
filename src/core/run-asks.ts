/**
 * A run's side of the engine asking the person (core/interaction.ts): the
 * `interact` handler handed to the engine, which passes each request to the
 * transport's InteractionHost with the run's context, and the bookkeeping
 * the progress message needs — while a request is open it says "waiting for
 * approval" (or "waiting for an answer") instead of `working`, and the run
 * journal lists the requests' messages so that a restart after a crash can
 * close them. When the run ends (its signal aborts, or its events stop) every
 * open request is closed.
 */
import type { InteractionAnswer, InteractionHandler, InteractionRequest } from "./interaction.js";
import { refusal } from "./interaction.js";
import type { JournalEntry } from "./run-journal.js";
import type { InteractionContext, InteractionHost } from "./run-message.js";

/** An open request's message, as the run journal keeps it. */
export type ShownAsk = NonNullable<JournalEntry["asks"]>[number];

/** What the progress message says while a request is open, in place of `working`. */
export const WAITING_LABELS = {
  approval: "waiting for approval",
  answer: "waiting for an answer",
} as const;

export class RunAsks {
  readonly #host: InteractionHost;
  readonly #context: InteractionContext;
  readonly #onChange: () => void;
  /** Aborted when the run is over: closes whatever is still open. */
  readonly #ended = new AbortController();
  readonly #open = new Set<InteractionRequest>();
  readonly #shown = new Map<InteractionRequest, ShownAsk>();
  readonly #onShown: (shown: ShownAsk[]) => void;

  /**
   * `runSignal`: the run's cancel; `onChange`: the progress message should be
   * rendered again; `onShown`: the open requests' messages changed (for the journal).
   */
  constructor(host: InteractionHost, context: InteractionContext, runSignal: AbortSignal | undefined, onChange: () => void, onShown: (shown: ShownAsk[]) => void = () => undefined) {
    this.#host = host;
    this.#context = context;
    this.#onChange = onChange;
    this.#onShown = onShown;
    if (runSignal !== undefined) {
      if (runSignal.aborted) this.#ended.abort();
      else runSignal.addEventListener("abort", () => { this.#ended.abort(); }, { once: true });
    }
  }

  /** The handler for `RunControl.interact`. */
  readonly handler: InteractionHandler = async (request, signal) => {
    if (this.#ended.signal.aborted) return refusal(request, "the run has ended");
    const closed = AbortSignal.any([signal, this.#ended.signal]);
    this.#open.add(request);
    this.#onChange();
    const context: InteractionContext = {
      ...this.#context,
      shown: (message, closedText) => {
        if (!this.#open.has(request)) return;
        this.#shown.set(request, { message_id: message.messageId, closed: closedText });
        this.#onShown([...this.#shown.values()]);
      },
    };
    try {
      const answer: InteractionAnswer = await this.#host(request, context, closed);
      return answer;
    } catch {
      // A host must not throw; if one does, the engine still gets an answer and the run goes on.
      return refusal(request, "the request could not be shown");
    } finally {
      this.#open.delete(request);
      if (this.#shown.delete(request)) this.#onShown([...this.#shown.values()]);
      this.#onChange();
    }
  };

  /** The progress label while something is open, else null. Approvals take precedence over questions. */
  label(): string | null {
    if (this.#open.size === 0) return null;
    for (const request of this.#open) {
      if (request.kind !== "question" && request.kind !== "plan") return WAITING_LABELS.approval;
    }
    return WAITING_LABELS.answer;
  }

  /** The run is over: requests still open are closed (their promises settle with a refusal). */
  end(): void {
    this.#ended.abort();
  }
}
