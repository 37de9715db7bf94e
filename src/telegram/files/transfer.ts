/**
 * File transfer as the router sees it: `/file` commands, a file or photo sent
 * on its own, and albums (media-groups.ts). Whatever happens, a file gets an
 * answer: saved, a reason it was not, or one line saying what takopi can do
 * with it — once per message, and once per album.
 *
 * Without a `/file put` caption a file is saved by auto-put (`files.auto_put`):
 * into `uploads_dir` when it has no caption, or — in `auto_put_mode =
 * "prompt"` — saved and then its caption runs as a prompt that names the
 * saved paths. A file's caption is never run without the file being saved.
 */
import { parseSlashCommand } from "../../core/slash.js";
import type { Clock } from "../../util/clock.js";
import { systemErrorMessage } from "../../util/errors.js";
import { fileSubcommand } from "../commands/file.js";
import { addressesBot } from "../commands/trigger.js";
import type { FileDescriptor, IncomingMessage } from "../incoming.js";
import { telegramSettings, type BridgeServices } from "../services.js";
import { MediaGroupBuffer } from "./media-groups.js";
import { putFiles, type PutOutcome } from "./put.js";
import { attachmentHint, FILE_LIMITS, FILE_PUT_USAGE, FILE_USAGE, FILES_DISABLED, filesSettings } from "./rules.js";

/** What file transfer needs from the router. */
export interface FileTransferHooks {
  /** Settles once the update being acted on is saved (nothing acts before). */
  saved(): Promise<void>;
  /** Answers `message` in its chat and thread. */
  reply(message: IncomingMessage, text: string): Promise<unknown>;
  /** Runs `text` as a prompt sent by `message`, as if typed (directives and all). */
  runPrompt(message: IncomingMessage, text: string): void;
}

export class FileTransfer {
  readonly #services: BridgeServices;
  readonly #hooks: FileTransferHooks;
  readonly #albums: MediaGroupBuffer;
  /** Saves and replies under way, for a clean shutdown. */
  readonly #tasks = new Set<Promise<void>>();

  constructor(services: BridgeServices, hooks: FileTransferHooks, options: { clock?: Clock } = {}) {
    this.#services = services;
    this.#hooks = hooks;
    this.#albums = new MediaGroupBuffer({
      debounceMs: () => telegramSettings(services).media_group_debounce_s * 1000,
      handle: (items) => {
        this.#track(this.#album(items));
      },
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
  }

  /**
   * Takes a message with a file (or photo, sticker, …) that is part of an
   * album, to be handled with the rest of it; false for anything else.
   */
  takesAlbumItem(message: IncomingMessage): boolean {
    if (message.mediaGroupId === null || !message.hasAttachment || message.voice !== null) return false;
    this.#albums.add(message);
    return true;
  }

  /** Takes a message with a file that is neither a command nor part of an album; false for anything else. */
  takesAttachment(message: IncomingMessage): boolean {
    if (!message.hasAttachment || message.voice !== null) return false;
    this.#track(this.#answer(message, () => this.#single(message)));
    return true;
  }

  /** At shutdown: albums still collecting are handled now; settles once everything under way is done. */
  async close(): Promise<void> {
    this.#albums.flushAll();
    await Promise.allSettled([...this.#tasks]);
  }

  async #single(message: IncomingMessage): Promise<string | null> {
    const files = filesSettings(this.#services);
    const document = message.document;
    if (!files.enabled || document === null) return attachmentHint(files);
    if (!files.auto_put) return FILE_PUT_USAGE;
    const caption = message.text.trim();
    if (caption === "") return this.#put(message, "", [document], false).then((outcome) => outcome.reply);
    if (files.auto_put_mode !== "prompt") return FILE_PUT_USAGE;
    return this.#putAndRun(message, caption, [document], false);
  }

  /** One album, once its last item arrived: one save, one reply, at most one run. */
  async #album(items: readonly IncomingMessage[]): Promise<void> {
    const [first] = items;
    if (first === undefined) return;
    const services = this.#services;
    const message = items.find((item) => item.text.trim() !== "") ?? first;
    const slash = parseSlashCommand(message.text);
    if ((await services.chatPrefs.getTriggerMode(message.chatId)) === "mentions") {
      if (!items.some((item) => addressesBot(services, item, parseSlashCommand(item.text)?.command ?? null))) return;
    }
    await this.#answer(message, async () => {
      const files = filesSettings(services);
      const documents = items.flatMap((item) => (item.document === null ? [] : [item.document]));
      if (!files.enabled) return slash?.command === "file" ? FILES_DISABLED : attachmentHint(files);
      if (slash?.command === "file") {
        const sub = fileSubcommand(slash.argsText);
        if (sub === null) return FILE_USAGE;
        if (sub.action === "put") return documents.length === 0 ? FILE_PUT_USAGE : (await this.#put(message, sub.rest, documents, true)).reply;
      }
      if (documents.length === 0) return attachmentHint(files);
      if (!files.auto_put) return FILE_PUT_USAGE;
      const caption = message.text.trim();
      if (caption === "") return (await this.#put(message, "", documents, true)).reply;
      return files.auto_put_mode === "prompt" ? this.#putAndRun(message, caption, documents, true) : FILE_PUT_USAGE;
    });
  }

  /** Prompt mode: saves the files, then runs the caption with their paths appended. */
  async #putAndRun(message: IncomingMessage, caption: string, documents: readonly FileDescriptor[], album: boolean): Promise<string | null> {
    const outcome = await this.#put(message, caption, documents, album, true);
    const paths = outcome.saved.map((saved) => saved.rel);
    if (paths.length > 0) {
      const annotation = album ? `[uploaded files]\n${paths.map((path) => `- ${path}`).join("\n")}` : `[uploaded file: ${paths[0] ?? ""}]`;
      this.#hooks.runPrompt(message, `${caption}\n\n${annotation}`);
    }
    return outcome.reply;
  }

  async #put(message: IncomingMessage, argsText: string, documents: readonly FileDescriptor[], album: boolean, asPrompt = false): Promise<PutOutcome> {
    return putFiles(this.#services, message, argsText, documents, { album, asPrompt, limits: FILE_LIMITS });
  }

  /** Acts once the update is saved, then posts the reply, if there is one. */
  async #answer(message: IncomingMessage, act: () => Promise<string | null>): Promise<void> {
    await this.#hooks.saved();
    let reply: string | null;
    try {
      reply = await act();
    } catch (error) {
      this.#services.log.error({ event: "telegram.file_transfer_failed", chat_id: message.chatId, err: error }, "handling a file failed");
      reply = `error:\nfile transfer failed: ${systemErrorMessage(error)}`;
    }
    if (reply !== null) await this.#hooks.reply(message, reply);
  }

  #track(task: Promise<void>): void {
    const tracked = task.catch((error: unknown) => {
      this.#services.log.error({ event: "telegram.file_transfer_failed", err: error }, "handling a file failed");
    });
    this.#tasks.add(tracked);
    void tracked.then(() => this.#tasks.delete(tracked));
  }
}
