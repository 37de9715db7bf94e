/**
 * Button presses by what their callback data starts with. Every button
 * takopi puts under a message carries a namespaced `callback_data`:
 *
 * - `takopi:cancel` — a progress or `queued` message's cancel (commands/cancel.ts);
 * - `takopi:project:<alias>` — a project question (project-choice.ts);
 * - further `takopi:<feature>:` prefixes for the features that add buttons;
 * - `p:<plugin>:<data>` — a plugin's own buttons.
 *
 * The longest matching prefix wins. A press nobody claims (a button from an
 * older version, a message from before a restart whose state is gone) is
 * answered with a short note, so the phone stops spinning and nothing throws.
 * Access (allowed chats and users) is checked before a press gets here (bridge.ts).
 */
import type { IncomingCallback } from "./incoming.js";

export type CallbackHandler = (press: IncomingCallback) => Promise<void>;

/** Said for a press no handler claims. */
export const STALE_BUTTON = "this button is no longer active.";

export class CallbackRoutes {
  readonly #routes: { prefix: string; handler: CallbackHandler }[] = [];
  readonly #unclaimed: CallbackHandler;

  /** `unclaimed` answers a press that matches no prefix (it must answer the press). */
  constructor(unclaimed: CallbackHandler) {
    this.#unclaimed = unclaimed;
  }

  /** Routes presses whose data starts with `prefix` (exact data for a prefix without a trailing `:`). */
  add(prefix: string, handler: CallbackHandler): this {
    if (this.#routes.some((route) => route.prefix === prefix)) throw new Error(`callback prefix ${prefix} is taken`);
    this.#routes.push({ prefix, handler });
    this.#routes.sort((a, b) => b.prefix.length - a.prefix.length);
    return this;
  }

  /** The handler for a press; never throws. */
  dispatch(press: IncomingCallback): Promise<void> {
    const data = press.data ?? "";
    const route = this.#routes.find(({ prefix }) => (prefix.endsWith(":") ? data.startsWith(prefix) : data === prefix));
    return (route?.handler ?? this.#unclaimed)(press);
  }
}
