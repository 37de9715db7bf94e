/**
 * The Telegram side of an engine asking the person (core/interaction.ts):
 * each request becomes a message in the run's chat and thread, replying to
 * the run's progress message, with buttons (render.ts). A press by an allowed
 * user (bridge.ts refuses everyone else before a press gets here) answers it;
 * so does a typed reply to a question or a plan. The message is then edited
 * to say what was decided and by whom, without buttons — likewise when the
 * request expires (`approval_timeout_s`, a deny with a note) or is no longer
 * needed (the engine withdrew it, the run ended). `Stop` also cancels the run.
 * Every press is answered, a stale one with callbacks.ts's note.
 */
import type { InlineKeyboardMarkup } from "grammy/types";
import { messageRefOf, type MessageRef } from "../../core/chat.js";
import { refusal, type Decider, type InteractionAnswer } from "../../core/interaction.js";
import type { InteractionHost } from "../../core/run-message.js";
import { systemClock, type Clock } from "../../util/clock.js";
import type { Logger } from "../../util/log.js";
import { STALE_BUTTON } from "../callbacks.js";
import type { TelegramClient } from "../client.js";
import type { IncomingCallback, IncomingMessage } from "../incoming.js";
import { prepareTelegram, CLEAR_MARKUP } from "../render.js";
import { PendingRequests, type ClosedBy, type PendingRequest } from "./pending.js";
import { closedMarkdown, interruptedMarkdown, parseAskData, requestKeyboard, requestMarkdown, type AskAction } from "./render.js";

export interface ChatInteractionsOptions {
  client: Pick<TelegramClient, "sendMessage" | "editMessageText" | "answerCallbackQuery" | "redact">;
  /** `approval_timeout_s`, read for each request (a reload applies to the next one). */
  timeoutS: () => number;
  /** Cancels the run whose progress message is `ref` (the answer `stop`). */
  stopRun: (ref: MessageRef) => void;
  clock?: Clock;
  log: Logger;
}

/** The answer to a typed reply to an open approval. */
export const APPROVAL_REPLY_HINT = "to approve or deny, press a button under the request; this reply was not run as a prompt.";

/** What a press is answered with, per decision. */
const PRESS_ANSWERS = { approve: "approved.", approve_session: "approved for this session.", deny: "denied.", stop: "stopping the run." } as const;

export class ChatInteractions {
  readonly #options: ChatInteractionsOptions;
  readonly #pending: PendingRequests;

  constructor(options: ChatInteractionsOptions) {
    this.#options = options;
    this.#pending = new PendingRequests(options.clock ?? systemClock, (pending, answer, closedBy) => {
      this.#closed(pending, answer, closedBy);
    });
  }

  /** BridgeSettings.interact: shows the request and settles with its answer. */
  readonly host: InteractionHost = (request, context, signal) => {
    const { pending, answer } = this.#pending.open(request, { engine: context.engine, progress: () => context.progress(), timeoutS: this.#options.timeoutS() }, signal);
    const { source } = context;
    const shown = this.#render(requestMarkdown(request, context.engine));
    this.#options.log.info({ event: "interaction.asked", id: pending.id, kind: request.kind, chat_id: source.chatId, engine: context.engine }, "engine asks the person");
    // It replies to the progress message, which an engine asking at once may not have yet.
    void context.progressPosted
      .then((progress) => {
        if (pending.closed !== null) return null;
        const replyTo = progress ?? context.progress() ?? source;
        return this.#options.client.sendMessage(source.chatId, shown.text, { entities: shown.entities, replyTo, threadId: source.threadId, replyMarkup: requestKeyboard(pending.id, request) });
      })
      .then((ref) => {
        if (pending.closed !== null && ref === null) return;
        if (ref === null) {
          // Nobody can answer what nobody sees: the engine gets its refusal now, not after the timeout.
          this.#pending.settle(pending.id, refusal(request, "the request could not be shown in the chat"), "withdrawn");
          return;
        }
        pending.message = ref;
        if (pending.closed !== null) void this.#edit(ref, pending.closed, CLEAR_MARKUP);
        else context.shown?.(ref, this.#options.client.redact(interruptedMarkdown(request, context.engine)));
      });
    return answer;
  };

  /** A press on a request's button (`takopi:ask:`). */
  async press(press: IncomingCallback): Promise<void> {
    const { client } = this.#options;
    const parsed = parseAskData(press.data ?? "");
    const pending = parsed === null ? null : this.#pending.get(parsed.id);
    if (parsed === null || pending === null || pending.message === null || pending.message.chatId !== press.chatId || pending.message.messageId !== press.messageId) {
      await client.answerCallbackQuery(press.id, { text: STALE_BUTTON });
      return;
    }
    const by: Decider = { userId: press.senderId, name: press.senderUsername === null ? null : `@${press.senderUsername}` };
    const text = this.#act(pending, parsed.action, by);
    await client.answerCallbackQuery(press.id, { text: text ?? STALE_BUTTON });
  }

  /**
   * A typed reply to an open question (its answer, for every question) or
   * plan (keep planning, with the text as feedback); to an approval, a hint
   * to use the buttons. False when `message` replies to no open request: it
   * is routed as usual.
   */
  reply(message: IncomingMessage): boolean {
    const pending = this.#replyTarget(message);
    const text = message.text.trim();
    if (pending === null) return false;
    const by: Decider = { userId: message.senderId, name: message.senderUsername === null ? null : `@${message.senderUsername}` };
    const { request } = pending;
    if (request.kind === "question") {
      const answers = Object.fromEntries(request.questions.map((question) => [question.id, [text]]));
      return this.#pending.settle(pending.id, { kind: "answers", answers, by });
    }
    if (request.kind === "plan") return this.#pending.settle(pending.id, { kind: "plan", approve: false, by, note: text });
    // Text is no decision ("yes"? "ok, but…"?), and a new run from a reply to a request would surprise: say what to do.
    void this.#options.client.sendMessage(message.chatId, APPROVAL_REPLY_HINT, { replyTo: messageRefOf(message), threadId: message.threadId, notify: false });
    return true;
  }

  /** Whether `message` replies to an open request (`reply` takes it: an answer, or a hint for an approval). */
  takesReply(message: IncomingMessage): boolean {
    return this.#replyTarget(message) !== null;
  }

  #replyTarget(message: IncomingMessage): PendingRequest | null {
    if (message.replyTo === null || message.text.trim() === "") return null;
    const pending = this.#pending.byMessage({ chatId: message.chatId, messageId: message.replyTo.messageId });
    return pending;
  }

  /** Applies a press; the text to answer it with, or null when the button does not fit the request. */
  #act(pending: PendingRequest, action: AskAction, by: Decider): string | null {
    const { request } = pending;
    if (action.kind === "decision") {
      if (request.kind === "question" || request.kind === "plan") return null;
      if (!this.#pending.settle(pending.id, { kind: "approval", decision: action.decision, by })) return null;
      const progress = pending.progress();
      if (action.decision === "stop" && progress !== null) this.#options.stopRun(progress);
      return PRESS_ANSWERS[action.decision];
    }
    if (action.kind === "plan") {
      if (request.kind !== "plan") return null;
      this.#pending.settle(pending.id, { kind: "plan", approve: action.approve, by });
      return action.approve ? "plan approved." : "keep planning: reply to the plan to say what to change.";
    }
    if (request.kind !== "question") return null;
    if (action.kind === "done") {
      this.#pending.settle(pending.id, { kind: "answers", answers: chosenAnswers(pending), by });
      return "answered.";
    }
    const question = request.questions[action.question];
    const option = question?.options[action.option];
    if (question === undefined || option === undefined) return null;
    const chosen = pending.selections.get(action.question) ?? new Set<number>();
    pending.selections.set(action.question, chosen);
    if (question.multiSelect) {
      if (chosen.has(action.option)) chosen.delete(action.option);
      else chosen.add(action.option);
    } else {
      chosen.clear();
      chosen.add(action.option);
    }
    const complete = request.questions.every((each, index) => !each.multiSelect && (pending.selections.get(index)?.size ?? 0) > 0);
    if (complete) {
      this.#pending.settle(pending.id, { kind: "answers", answers: chosenAnswers(pending), by });
      return `answered: ${option.label}`;
    }
    // Toggles show on the buttons; the text stays.
    if (pending.message !== null) void this.#edit(pending.message, requestMarkdown(request, pending.engine), requestKeyboard(pending.id, request, pending.selections));
    return question.multiSelect ? `${chosen.has(action.option) ? "selected" : "unselected"}: ${option.label}` : `chosen: ${option.label}`;
  }

  #closed(pending: PendingRequest, answer: InteractionAnswer, closedBy: ClosedBy): void {
    pending.closed = closedMarkdown(pending.request, pending.engine, answer, closedBy === "withdrawn");
    this.#options.log.info({ event: "interaction.closed", id: pending.id, closed_by: closedBy, by: answer.by.userId }, "request closed");
    if (pending.message !== null) void this.#edit(pending.message, pending.closed, CLEAR_MARKUP);
  }

  #edit(ref: MessageRef, markdown: string, keyboard: InlineKeyboardMarkup): Promise<MessageRef | null> {
    const shown = this.#render(markdown);
    return this.#options.client.editMessageText(ref, shown.text, { entities: shown.entities, replyMarkup: keyboard, keep: true });
  }

  /** Secrets are redacted in the markdown, before any cut could split one. */
  #render(markdown: string): ReturnType<typeof prepareTelegram>[0] {
    return prepareTelegram({ header: "", body: this.#options.client.redact(markdown) })[0];
  }
}

function chosenAnswers(pending: PendingRequest): Record<string, string[]> {
  const answers: Record<string, string[]> = {};
  if (pending.request.kind !== "question") return answers;
  pending.request.questions.forEach((question, index) => {
    const chosen = [...(pending.selections.get(index) ?? [])].sort((a, b) => a - b);
    if (chosen.length > 0) answers[question.id] = chosen.map((option) => question.options[option]?.label ?? "");
  });
  return answers;
}
