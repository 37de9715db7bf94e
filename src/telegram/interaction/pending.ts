/**
 * The requests waiting for a person, by short id (the id goes into the
 * buttons' callback data, ≤ 64 bytes) and by the message that shows them
 * (a typed reply to a question or plan finds it there). Each request settles
 * exactly once: with the person's answer, with a refusal when it expires
 * (`approval_timeout_s`) or when its signal aborts (the engine withdrew it,
 * the run ended). Kept in memory only: after a restart its buttons are stale.
 */
import { refusal, type InteractionAnswer, type InteractionRequest } from "../../core/interaction.js";
import type { MessageRef } from "../../core/chat.js";
import type { Clock } from "../../util/clock.js";
import { NO_LONGER_NEEDED, timeoutNote } from "./render.js";

/** Why a request closed without a person's answer. */
export type ClosedBy = "answered" | "timeout" | "withdrawn";

export interface PendingRequest {
  readonly id: string;
  readonly request: InteractionRequest;
  readonly engine: string;
  /** Where it is shown; null until the message is posted (or when it could not be). */
  message: MessageRef | null;
  /** Question options chosen so far, per question index. */
  readonly selections: Map<number, Set<number>>;
  /** The run's progress message now (the run to stop when the answer is `stop`). */
  readonly progress: () => MessageRef | null;
  /** The closed message's markdown once settled, for a message posted after it closed. */
  closed: string | null;
}

/** Called once per request, when it settles: the host edits its message. */
export type OnClosed = (pending: PendingRequest, answer: InteractionAnswer, closedBy: ClosedBy) => void;

interface Entry {
  pending: PendingRequest;
  resolve: (answer: InteractionAnswer) => void;
  cancelTimer: () => void;
  onAbort: () => void;
  signal: AbortSignal;
}

export class PendingRequests {
  readonly #clock: Clock;
  readonly #onClosed: OnClosed;
  readonly #entries = new Map<string, Entry>();
  /** A prefix per process, so a button from before a restart never names a new request. */
  readonly #boot = Math.floor(Math.random() * 36 ** 3)
    .toString(36)
    .padStart(3, "0");
  #next = 1;

  constructor(clock: Clock, onClosed: OnClosed) {
    this.#clock = clock;
    this.#onClosed = onClosed;
  }

  /**
   * Registers `request`: the promise settles with the answer, or with a
   * refusal after `timeoutS` or when `signal` aborts.
   */
  open(
    request: InteractionRequest,
    details: { engine: string; progress: () => MessageRef | null; timeoutS: number },
    signal: AbortSignal,
  ): { pending: PendingRequest; answer: Promise<InteractionAnswer> } {
    const id = `${this.#boot}${(this.#next++).toString(36)}`;
    const pending: PendingRequest = { id, request, engine: details.engine, message: null, selections: new Map(), progress: details.progress, closed: null };
    const answer = new Promise<InteractionAnswer>((resolve) => {
      const entry: Entry = {
        pending,
        resolve,
        signal,
        cancelTimer: this.#clock.schedule(details.timeoutS * 1000, () => {
          this.settle(id, refusal(request, timeoutNote(details.timeoutS)), "timeout");
        }),
        onAbort: () => {
          this.settle(id, refusal(request, NO_LONGER_NEEDED), "withdrawn");
        },
      };
      this.#entries.set(id, entry);
      if (signal.aborted) entry.onAbort();
      else signal.addEventListener("abort", entry.onAbort, { once: true });
    });
    return { pending, answer };
  }

  get(id: string): PendingRequest | null {
    return this.#entries.get(id)?.pending ?? null;
  }

  /** The open request shown in message `ref`, if any. */
  byMessage(ref: Pick<MessageRef, "chatId" | "messageId">): PendingRequest | null {
    for (const { pending } of this.#entries.values()) {
      if (pending.message !== null && pending.message.chatId === ref.chatId && pending.message.messageId === ref.messageId) return pending;
    }
    return null;
  }

  /** Settles request `id` with `answer`; false when it is no longer open. */
  settle(id: string, answer: InteractionAnswer, closedBy: ClosedBy = "answered"): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#entries.delete(id);
    entry.cancelTimer();
    entry.signal.removeEventListener("abort", entry.onAbort);
    entry.resolve(answer);
    this.#onClosed(entry.pending, answer, closedBy);
    return true;
  }

  /** How many requests are open. */
  get size(): number {
    return this.#entries.size;
  }
}
