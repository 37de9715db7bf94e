/**
 * The question a prompt that names no project gets when there are several
 * projects and no default (core/plain-prompt.ts): the projects as buttons, in
 * a reply to the prompt; a press runs the prompt in that project.
 *
 * The prompt waits here, with any forwards it carried. After a restart the
 * press still works from the prompt Telegram nests in the button's message
 * (without forwards). Only the prompt's sender chooses, and a second press
 * runs nothing twice.
 */
import { messageRefOf, type MessageRef } from "../core/chat.js";
import type { PlainPromptTarget } from "../core/plain-prompt.js";
import type { IncomingCallback, IncomingMessage } from "./incoming.js";
import { CLEAR_MARKUP } from "./render.js";
import { renderReply, sendReply } from "./replies.js";
import type { BridgeServices } from "./services.js";
import type { InlineKeyboardButton, InlineKeyboardMarkup } from "grammy/types";

/** The callback data of a project button: this, then the alias. */
export const PROJECT_CALLBACK_PREFIX = "takopi:project:";
const CALLBACK_PREFIX = PROJECT_CALLBACK_PREFIX;
/** Telegram's limit on callback_data, in bytes. */
const CALLBACK_DATA_BYTES = 64;
/** Telegram allows 100 buttons on a message; a few rows of them is already a lot on a phone. */
const MAX_BUTTONS = 60;
const BUTTONS_PER_ROW = 2;
/** Unanswered questions kept; the oldest go first (their press then falls back to the nested prompt). */
const MAX_WAITING = 200;

interface Waiting {
  message: IncomingMessage;
  text: string;
  /** Set by the first press. */
  chosen: string | null;
}

export interface ChosenProject {
  message: IncomingMessage;
  text: string;
  project: string;
}

export class ProjectChoices {
  readonly #services: Pick<BridgeServices, "client" | "config" | "log">;
  /** By `chat:message` of the question. */
  readonly #waiting = new Map<string, Waiting>();

  constructor(services: Pick<BridgeServices, "client" | "config" | "log">) {
    this.#services = services;
  }

  /** Asks where `text` (the prompt as typed, with its directives) should run, or says there is nowhere yet. */
  async ask(message: IncomingMessage, text: string, target: Extract<PlainPromptTarget, { kind: "choose" | "no_projects" }>): Promise<void> {
    if (target.kind === "no_projects") {
      const why = `there is no project to run this in: ${target.projectsDir} has no project directories yet. Create one (or clone a repository into it), then restart takopi (\`/reload\` in the container).`;
      await sendReply(this.#services.client, messageRefOf(message), `error:\n${why}`);
      return;
    }
    const { projects } = target;
    const fits = projects.filter((alias) => Buffer.byteLength(CALLBACK_PREFIX + alias) <= CALLBACK_DATA_BYTES);
    const buttons = fits.slice(0, MAX_BUTTONS);
    const others = projects.filter((alias) => !buttons.includes(alias));
    const lines = ["which project should this run in?"];
    if (others.length > 0) lines.push(`not shown: ${others.map((alias) => `/${alias}`).join(", ")} — send the prompt again starting with one of them.`);
    lines.push("(a prompt that starts with `/<project>` runs there at once; `default_project` or `TAKOPI_DEFAULT_PROJECT` makes one the default)");
    const rendered = renderReply(lines.join("\n"));
    const question = await this.#services.client.sendMessage(message.chatId, rendered.text, {
      entities: rendered.entities,
      replyTo: messageRefOf(message),
      replyMarkup: keyboard(buttons),
    });
    if (question === null) return;
    this.#waiting.set(key(question), { message, text, chosen: null });
    for (const oldest of this.#waiting.keys()) {
      if (this.#waiting.size <= MAX_WAITING) break;
      this.#waiting.delete(oldest);
    }
    this.#services.log.info({ event: "run.project_asked", chat_id: message.chatId, projects: projects.length }, "asked which project a prompt runs in");
  }

  /** The prompt a press runs and where, or null once the press was answered without running anything. */
  async chosen(callback: IncomingCallback): Promise<ChosenProject | null> {
    const { client, config } = this.#services;
    const answer = (text: string) => client.answerCallbackQuery(callback.id, { text });
    const project = (callback.data ?? "").slice(CALLBACK_PREFIX.length);
    const question: MessageRef = { chatId: callback.chatId, messageId: callback.messageId, threadId: callback.threadId };
    let waiting = this.#waiting.get(key(question));
    if (waiting === undefined && callback.repliedTo !== null) {
      waiting = { message: callback.repliedTo, text: callback.repliedTo.text, chosen: null };
      this.#waiting.set(key(question), waiting);
    }
    if (waiting === undefined) {
      await answer("this question has expired: send the prompt again.");
      return null;
    }
    if (waiting.chosen !== null) {
      await answer(`already running in ${waiting.chosen}.`);
      return null;
    }
    if (waiting.message.senderId !== null && waiting.message.senderId !== callback.senderId) {
      await answer("only the person who sent the prompt can choose where it runs.");
      return null;
    }
    if (!Object.hasOwn(config().settings.projects, project)) {
      await answer(`project ${project} is no longer configured.`);
      return null;
    }
    waiting.chosen = project;
    await answer(`running in ${project}`);
    const rendered = renderReply(`running in \`${project}\``);
    void client.editMessageText(question, rendered.text, { entities: rendered.entities, replyMarkup: CLEAR_MARKUP });
    return { message: waiting.message, text: waiting.text, project };
  }
}

function keyboard(aliases: readonly string[]): InlineKeyboardMarkup {
  const rows: InlineKeyboardButton[][] = [];
  for (let index = 0; index < aliases.length; index += BUTTONS_PER_ROW) {
    rows.push(aliases.slice(index, index + BUTTONS_PER_ROW).map((alias) => ({ text: alias, callback_data: CALLBACK_PREFIX + alias })));
  }
  return { inline_keyboard: rows };
}

function key(ref: Pick<MessageRef, "chatId" | "messageId">): string {
  return `${ref.chatId}:${ref.messageId}`;
}
