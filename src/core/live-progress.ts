/**
 * The progress message of one run: opened while the engine starts, kept up to
 * date while it works, and finally turned into — or replaced by — the outcome.
 *
 * A change costs nothing but a flag: at most one live edit waits in the
 * surface at a time, and the message is rendered when that edit goes out
 * (`editLive`), from the run's state at that moment. So an engine printing
 * thousands of events a second costs one render per edit Telegram's pacing
 * allows, not one per event. Edits that would not change what the reader
 * sees are skipped.
 */
import { sameContent, sameMessage, type ChatMessage, type ChatSurface, type MessageRef, type SendOptions } from "./chat.js";

/** `new`: a new message that notifies, then the progress message goes. `edit`: the progress message becomes it. */
export type Delivery = "new" | "edit";

export interface LiveProgressOptions {
  chatId: number;
  /** Where a new progress (or final) message goes: a reply to the prompt, in its thread. */
  reply: SendOptions;
  /** The progress message as it should look now. */
  render(): ChatMessage;
  /** The progress message is known, or was replaced by a new one. */
  onMessage(ref: MessageRef): void;
}

export class LiveProgress {
  readonly #surface: ChatSurface;
  readonly #options: LiveProgressOptions;
  #ref: MessageRef | null = null;
  #ready: Promise<MessageRef | null> = Promise.resolve(null);
  /** What the message shows (or was last asked to show); null forces the next edit. */
  #shown: ChatMessage | null = null;
  /** Something changed before the message existed. */
  #dirty = false;
  /** A live edit is waiting in the surface: it will show the newest state when it goes out. */
  #waiting = false;
  #closed = false;

  constructor(surface: ChatSurface, options: LiveProgressOptions) {
    this.#surface = surface;
    this.#options = options;
  }

  /** Posts `starting` — or turns the run's `queued` placeholder into it. */
  open(starting: ChatMessage, placeholder: MessageRef | PromiseLike<MessageRef | null> | null): void {
    this.#shown = starting;
    this.#ready = this.#post(starting, placeholder).then((ref) => {
      if (ref !== null) {
        this.#ref = ref;
        this.#options.onMessage(ref);
        if (this.#dirty) this.update();
      }
      return ref;
    });
  }

  async #post(starting: ChatMessage, placeholder: MessageRef | PromiseLike<MessageRef | null> | null): Promise<MessageRef | null> {
    const { chatId, reply } = this.#options;
    const queued = await placeholder;
    if (queued != null) {
      const edited = await this.#surface.edit(queued, starting);
      if (edited !== null) return edited;
      // The placeholder is gone or uneditable: post a fresh progress message instead.
      const sent = await this.#surface.send(chatId, starting, { ...reply, notify: false });
      if (sent !== null) void this.#surface.delete(queued);
      return sent;
    }
    return this.#surface.send(chatId, starting, { ...reply, notify: false });
  }

  /** The run's state changed: show it, unless nothing visible changed. */
  update(): void {
    if (this.#closed) return;
    const ref = this.#ref;
    if (ref === null) {
      this.#dirty = true;
      return;
    }
    this.#dirty = false;
    if (this.#waiting) return;
    this.#waiting = true;
    let ran = false;
    let produced: ChatMessage | null = null;
    const produce = (): ChatMessage | null => {
      // Called again when the outbox retries the edit after Telegram failed it: what this edit
      // produced before never landed, so it goes out even if nothing changed since.
      const retry = ran;
      // From here on a change needs an edit of its own: this one's content is fixed.
      ran = true;
      this.#waiting = false;
      if (this.#closed) return null;
      const next = this.#options.render();
      if (!retry && this.#shown !== null && sameContent(this.#shown, next)) return null;
      this.#shown = next;
      produced = next;
      return next;
    };
    void this.#surface.editLive(ref, produce).then((landed) => {
      // Dropped or replaced before it went out: the next change makes a new one.
      if (!ran) this.#waiting = false;
      if (landed === null) {
        // Best effort: a failed edit is not retried, but the next change is not skipped as unchanged.
        if (produced !== null && this.#shown === produced) this.#shown = null;
      } else if (!this.#closed && this.#ref !== null && !sameMessage(landed, this.#ref)) {
        this.#ref = landed;
        this.#options.onMessage(landed);
      }
    });
  }

  /**
   * Stops live edits and shows `outcome`: as a new message that notifies
   * (`new`, the progress message is then deleted) or by editing the progress
   * message (`edit`). Each falls back to the other so the outcome is never
   * lost. Resolves with where the outcome is shown, or null.
   */
  async settle(outcome: ChatMessage, delivery: Delivery): Promise<MessageRef | null> {
    this.#closed = true;
    await this.#ready;
    const progress = this.#ref;
    const { chatId, reply } = this.#options;
    const notify = delivery === "new";
    const sendNew = async (): Promise<MessageRef | null> => {
      const sent = await this.#surface.send(chatId, outcome, { ...reply, notify });
      if (sent !== null && progress !== null && !sameMessage(sent, progress)) void this.#surface.delete(progress);
      return sent;
    };
    const editInPlace = (): Promise<MessageRef | null> =>
      progress === null ? Promise.resolve(null) : this.#surface.edit(progress, outcome, { ...reply, notify });
    if (delivery === "new") return (await sendNew()) ?? (await editInPlace());
    return (await editInPlace()) ?? (await sendNew());
  }
}
