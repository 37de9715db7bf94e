/**
 * An in-memory chat (upstream's FakeTransport): records every send, edit and
 * delete, keeps what each message shows now, and lets a test wait — bounded —
 * until the chat looks a certain way, woken by the calls themselves rather
 * than by polling a clock.
 */
import type { ChatMessage, ChatSurface, MessageMarkup, MessageRef, SendOptions } from "../../src/core/chat.js";
import { renderChatMessage, type RenderedMessage } from "../../src/telegram/render.js";

/** What a send asked for, every default filled in (`replyTo` as the replied-to message id). */
export interface SentOptions {
  replyTo: number | null;
  threadId: number | null;
  notify: boolean;
  markup: MessageMarkup;
}

export interface ShownMessage {
  ref: MessageRef;
  /** The rendered text without the trailing blank lines the markdown renderer leaves. */
  text: string;
  entities: RenderedMessage["entities"];
  markup: MessageMarkup;
  replyTo: number | null;
  notify: boolean;
  deleted: boolean;
  /** Texts it showed, the current one last. */
  history: string[];
}

export type SurfaceCall =
  | { kind: "send"; ref: MessageRef; text: string; options: SentOptions }
  | { kind: "edit"; ref: MessageRef; text: string; markup: MessageMarkup }
  | { kind: "delete"; ref: MessageRef };

export class MemorySurface implements ChatSurface {
  readonly calls: SurfaceCall[] = [];
  readonly messages: ShownMessage[] = [];
  /** Edits settle with null while true, like a chat service that refuses them. */
  failEdits = false;
  #nextId = 1000;
  #listeners = new Set<() => void>();

  /** Rendered as the Telegram surface renders it; the follow-ups of a split message are sent after it. */
  send(chatId: number, message: ChatMessage, options: SendOptions = {}): Promise<MessageRef | null> {
    const [primary, ...followUps] = renderChatMessage(message);
    const ref = this.#post(chatId, primary, message.markup ?? "none", options);
    for (const followUp of followUps) this.#post(chatId, followUp, "none", options);
    return Promise.resolve(ref);
  }

  edit(ref: MessageRef, message: ChatMessage, followUps: SendOptions = { threadId: ref.threadId }): Promise<MessageRef | null> {
    const target = this.message(ref);
    const [primary, ...rest] = renderChatMessage(message);
    const text = shown(primary);
    const markup = message.markup ?? "none";
    this.calls.push({ kind: "edit", ref, text, markup });
    if (this.failEdits || target === undefined || target.deleted) {
      this.#changed();
      return Promise.resolve(null);
    }
    target.text = text;
    target.entities = primary.entities;
    target.markup = markup;
    target.history.push(text);
    for (const followUp of rest) this.#post(ref.chatId, followUp, "none", followUps);
    this.#changed();
    return Promise.resolve(target.ref);
  }

  /** Produced at once: an in-memory chat has no pacing to wait for. */
  editLive(ref: MessageRef, produce: () => ChatMessage | null): Promise<MessageRef | null> {
    const message = produce();
    if (message === null) return Promise.resolve(this.message(ref)?.deleted === false ? ref : null);
    return this.edit(ref, { ...message, overflow: "trim" });
  }

  #post(chatId: number, message: RenderedMessage, markup: MessageMarkup, options: SendOptions): MessageRef {
    const threadId = options.threadId !== undefined ? options.threadId : (options.replyTo?.threadId ?? null);
    const ref: MessageRef = { chatId, messageId: this.#nextId++, threadId };
    const text = shown(message);
    const full: SentOptions = { replyTo: options.replyTo?.messageId ?? null, threadId, notify: options.notify ?? true, markup };
    this.messages.push({ ref, text, entities: message.entities, markup, replyTo: full.replyTo, notify: full.notify, deleted: false, history: [text] });
    this.calls.push({ kind: "send", ref, text, options: full });
    this.#changed();
    return ref;
  }

  delete(ref: MessageRef): Promise<boolean> {
    const target = this.message(ref);
    this.calls.push({ kind: "delete", ref });
    const found = target !== undefined && !target.deleted;
    if (target !== undefined) target.deleted = true;
    this.#changed();
    return Promise.resolve(found);
  }

  message(ref: Pick<MessageRef, "chatId" | "messageId">): ShownMessage | undefined {
    return this.messages.find((m) => m.ref.chatId === ref.chatId && m.ref.messageId === ref.messageId);
  }

  /** Messages still in the chat, oldest first. */
  visible(): ShownMessage[] {
    return this.messages.filter((m) => !m.deleted);
  }

  /** The live message whose text contains `needle`, if exactly one does. */
  find(needle: string): ShownMessage | undefined {
    const found = this.visible().filter((m) => m.text.includes(needle));
    return found.length === 1 ? found[0] : undefined;
  }

  /** Resolves once `check` holds after some call has settled (or at once); rejects after `timeoutMs` with the chat's state. */
  until(check: () => boolean, timeoutMs = 10_000, what = "the chat to change"): Promise<void> {
    // Even a check that holds already answers after the callers got their answers (see #changed).
    if (check()) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve, reject) => {
      const listener = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; chat:\n${this.describe()}`));
      }, timeoutMs);
      this.#listeners.add(listener);
    });
  }

  /** Waits until a live message contains `needle` and returns it. */
  async waitForText(needle: string, timeoutMs = 10_000): Promise<ShownMessage> {
    await this.until(() => this.find(needle) !== undefined, timeoutMs, `a message containing ${JSON.stringify(needle)}`);
    const found = this.find(needle);
    if (found === undefined) throw new Error(`no message containing ${JSON.stringify(needle)}`);
    return found;
  }

  describe(): string {
    return this.messages
      .map((m) => `#${m.ref.messageId}${m.deleted ? " (deleted)" : ""} [${m.markup}] ${JSON.stringify(m.text)}`)
      .join("\n");
  }

  /**
   * Waiters look after the caller got its answer, as a person sees a message
   * only after the bot was told it was sent.
   */
  #changed(): void {
    setImmediate(() => {
      for (const listener of [...this.#listeners]) listener();
    });
  }
}

function shown(message: RenderedMessage): string {
  return message.text.trimEnd();
}
