/**
 * An in-memory chat (spec §30's FakeTransport): records every send, edit and
 * delete, keeps what each message shows now, and lets a test wait — bounded —
 * until the chat looks a certain way, woken by the calls themselves rather
 * than by polling a clock.
 */
import type { ChatSurface, MessageMarkup, MessageRef, RenderedMessage, SurfaceEditOptions, SurfaceSendOptions } from "../../src/core/presenter.js";

export interface ChatMessage {
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
  | { kind: "send"; ref: MessageRef; text: string; options: Required<SurfaceSendOptions> }
  | { kind: "edit"; ref: MessageRef; text: string; markup: MessageMarkup }
  | { kind: "delete"; ref: MessageRef };

export class MemorySurface implements ChatSurface {
  readonly calls: SurfaceCall[] = [];
  readonly messages: ChatMessage[] = [];
  /** Edits settle with null while true, like a chat service that refuses them. */
  failEdits = false;
  #nextId = 1000;
  #listeners = new Set<() => void>();

  send(chatId: number, message: RenderedMessage, options: SurfaceSendOptions = {}): Promise<MessageRef | null> {
    const ref: MessageRef = { chatId, messageId: this.#nextId++, threadId: options.threadId ?? null };
    const text = shown(message);
    const full: Required<SurfaceSendOptions> = {
      replyTo: options.replyTo ?? null,
      threadId: options.threadId ?? null,
      notify: options.notify ?? true,
      markup: options.markup ?? "none",
    };
    this.messages.push({ ref, text, entities: message.entities, markup: full.markup, replyTo: full.replyTo, notify: full.notify, deleted: false, history: [text] });
    this.calls.push({ kind: "send", ref, text, options: full });
    this.#changed();
    return Promise.resolve(ref);
  }

  edit(ref: MessageRef, message: RenderedMessage, options: SurfaceEditOptions = {}): Promise<MessageRef | null> {
    const target = this.message(ref);
    const text = shown(message);
    const markup = options.markup ?? "none";
    this.calls.push({ kind: "edit", ref, text, markup });
    if (this.failEdits || target === undefined || target.deleted) {
      this.#changed();
      return Promise.resolve(null);
    }
    target.text = text;
    target.entities = message.entities;
    target.markup = markup;
    target.history.push(text);
    this.#changed();
    return Promise.resolve(target.ref);
  }

  delete(ref: MessageRef): Promise<boolean> {
    const target = this.message(ref);
    this.calls.push({ kind: "delete", ref });
    const found = target !== undefined && !target.deleted;
    if (target !== undefined) target.deleted = true;
    this.#changed();
    return Promise.resolve(found);
  }

  message(ref: Pick<MessageRef, "chatId" | "messageId">): ChatMessage | undefined {
    return this.messages.find((m) => m.ref.chatId === ref.chatId && m.ref.messageId === ref.messageId);
  }

  /** Messages still in the chat, oldest first. */
  visible(): ChatMessage[] {
    return this.messages.filter((m) => !m.deleted);
  }

  /** The live message whose text contains `needle`, if exactly one does. */
  find(needle: string): ChatMessage | undefined {
    const found = this.visible().filter((m) => m.text.includes(needle));
    return found.length === 1 ? found[0] : undefined;
  }

  /** Resolves once `check` holds after some call has settled (or at once); rejects after `timeoutMs` with the chat's state. */
  until(check: () => boolean, timeoutMs = 10_000, what = "the chat to change"): Promise<void> {
    if (check()) return Promise.resolve();
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
  async waitForText(needle: string, timeoutMs = 10_000): Promise<ChatMessage> {
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
