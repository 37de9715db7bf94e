/**
 * What each accepted update becomes: a cancel, a built-in or
 * plugin command, or a prompt for an engine run. The poller hands updates
 * over one by one and must never wait, so `handle` returns at once; routing
 * of one chat's messages runs in arrival order on a chain of its own, and
 * anything slow (a command's API calls, waiting for a running session's
 * token, creating a worktree) runs off that chain so it never holds up the
 * next message — a `/cancel` acts while the run it cancels is still starting.
 * Routing overlaps the poller's save of the update id (polling.ts): only
 * acting — a reply, a command, submitting a run — waits for it.
 */
import { resolveResume } from "../core/directives.js";
import type { ResumeToken } from "../core/events.js";
import type { JobHandle } from "../core/scheduler.js";
import { parseSlashCommand, type SlashCommand } from "../core/slash.js";
import { dispatchCommand } from "../plugins/commands.js";
import { RESERVED_CHAT_COMMAND_IDS } from "../plugins/ids.js";
import { messageRefOf, type MessageRef, type SendOptions } from "../core/chat.js";
import { ForwardCoalescer, formatForwardedPrompt, isForwardCandidate, type CoalescedPrompt, type LateForwards } from "./forwards.js";
import { BUILTIN_COMMANDS, cancelButton, cancelCommand } from "./commands/index.js";
import { addressesBot } from "./commands/trigger.js";
import { hearVoice } from "./voice/voice-note.js";
import { FileTransfer } from "./files/transfer.js";
import { PROJECT_CALLBACK_PREFIX, ProjectChoices } from "./project-choice.js";
import { CallbackRoutes, STALE_BUTTON } from "./callbacks.js";
import { PLUGIN_CALLBACK_PREFIX, pluginButtonPressed } from "./plugin-buttons.js";
import { CANCEL_CALLBACK_DATA } from "./render.js";
import type { IncomingCallback, IncomingMessage, IncomingUpdate } from "./incoming.js";
import { sendReply } from "./replies.js";
import { planPrompt } from "./prompt-job.js";
import { effectiveTrigger, scopeSettings, type ScopeSettings } from "./scope.js";
import { telegramSettings, type BridgeServices } from "./services.js";

/** What the coalescer carries for a prompt until it runs. */
interface PendingPrompt {
  /** The session this prompt continues because it replied to a running progress message. */
  replyResume: ResumeToken | null;
  /**
   * The job the prompt became, or null when it could not run: forwards that
   * arrive after it started wait for the job's session through it.
   */
  job: PromiseWithResolvers<JobHandle | null>;
  /** Its chat's or topic's settings read while the prompt was routed; only while it is dispatched at once. */
  settings: Promise<ScopeSettings> | null;
  /** The project the person picked for a prompt that named none (project-choice.ts). */
  project: string | null;
}

export class MessageRouter {
  readonly #services: BridgeServices;
  readonly #coalescer: ForwardCoalescer<PendingPrompt>;
  /** Per chat: routing of its messages, one after another. */
  readonly #routing = new Map<number, Promise<void>>();
  /** Per chat: prompts being turned into runs, in order (directives, state, worktrees). */
  readonly #dispatching = new Map<number, Promise<void>>();
  /** Everything started and not finished (commands, dispatches), for a clean shutdown. */
  readonly #tasks = new Set<Promise<void>>();
  /** Settles once every update handed on so far is saved (batches are saved in turn). */
  #saved: Promise<void> = Promise.resolve();
  /** Prompts waiting for the person to pick a project. */
  readonly #choices: ProjectChoices;
  readonly #files: FileTransfer;
  /** Button presses, by callback-data prefix (callbacks.ts). */
  readonly #callbacks: CallbackRoutes;

  constructor(services: BridgeServices) {
    this.#services = services;
    this.#callbacks = new CallbackRoutes(async (press) => {
      await services.client.answerCallbackQuery(press.id, { text: STALE_BUTTON });
    })
      .add(CANCEL_CALLBACK_DATA, (press) => cancelButton(services, press))
      .add(PROJECT_CALLBACK_PREFIX, (press) => this.#projectChosen(press))
      .add(PLUGIN_CALLBACK_PREFIX, (press) => pluginButtonPressed(services, press));
    this.#choices = new ProjectChoices(services);
    this.#files = new FileTransfer(services, {
      saved: () => this.#saved, reply: (to, text) => this.#reply(to, text),
      runPrompt: (to, text) => { this.#queueDispatch(to, () => this.#dispatch(to, text, pendingPrompt(null))); },
    });
    this.#coalescer = new ForwardCoalescer<PendingPrompt>({
      windowMs: () => telegramSettings(services).forward_coalesce_s * 1000,
      dispatch: (ready) => {
        // Settings read while routing are used only when nothing runs before the dispatch.
        const settings = this.#dispatching.has(ready.message.chatId) ? null : ready.prompt.settings;
        this.#queueDispatch(ready.message, () => this.#dispatch(ready.message, promptText(ready), ready.prompt, settings));
      },
      lateForwards: (late) => {
        this.#track(this.#lateForwards(late));
      },
      log: services.log,
    });
  }

  /** Takes one accepted update; never waits and never throws. Acts once `saved` settles. */
  handle(update: IncomingUpdate, saved?: Promise<void>): void {
    if (saved !== undefined) this.#saved = saved;
    if (update.kind === "callback") {
      this.#track(this.#saved.then(() => this.#callbacks.dispatch(update)));
      return;
    }
    this.#chain(this.#routing, update.chatId, () => this.#route(update));
  }

  /**
   * At shutdown: prompts held for their forwards are run now (they were
   * already confirmed to Telegram, so holding them would lose them), and
   * everything in flight is waited for, up to `timeoutMs`.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#coalescer.flushAll();
    this.#coalescer.close();
    const settled = Promise.allSettled([...this.#routing.values(), ...this.#dispatching.values(), ...this.#tasks, this.#files.close()]);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  async #route(message: IncomingMessage): Promise<void> {
    const services = this.#services;
    const slash = parseSlashCommand(message.text);
    const command = slash?.command ?? null;

    // A forward never starts a run: it joins the prompt its sender typed just before or after it.
    if (isForwardCandidate(message)) {
      if (!this.#coalescer.forward(message)) services.log.debug({ event: "telegram.forward_ignored", chat_id: message.chatId }, "forward with no prompt to join");
      return;
    }
    if (this.#files.takesAlbumItem(message)) return;
    // A command acts (replies, changes settings) once its update is saved, and the chat's next
    // messages are routed after it started, so they see what it changed.
    if (slash !== null && isBuiltin(slash.command)) {
      await this.#saved;
      this.#builtin(message, slash);
      return;
    }

    // Read in the same look at the state files as the trigger mode, in case this is a prompt.
    const settings = scopeSettings(this.#services, message);
    settings.catch(() => undefined);
    if (effectiveTrigger((await settings).trigger).mode === "mentions" && !addressesBot(this.#services, message, command)) {
      services.log.debug({ event: "telegram.not_mentioned", chat_id: message.chatId }, "mentions-only chat: message ignored");
      return;
    }
    if (message.voice !== null) {
      const heard = hearVoice(services, message, this.#saved); // off the routing chain; its run keeps its place (voice/voice-note.ts)
      this.#queueDispatch(message, () => heard.then((voice) => (voice === null ? undefined : this.#dispatch(voice.message, voice.message.text, pendingPrompt(voice.replyResume)))));
      return;
    }
    if (this.#files.takesAttachment(message)) return;
    if (slash !== null && this.#isPluginCommand(slash.command)) {
      await this.#saved;
      this.#pluginCommand(message, slash);
      return;
    }

    // A reply to a progress message continues that run's session, once it has one.
    const running = message.replyTo === null ? null : services.scheduler.sessionForProgressMessage({ chatId: message.chatId, messageId: message.replyTo.messageId });
    if (running !== null && resolveResume(message.text, null, services.engines.codecs(services.defaultEngine())) === null) {
      this.#coalescer.flush(message);
      this.#track(
        running.then((token) => {
          if (token === null) {
            void this.#reply(message, "resume token not ready yet; try replying to the final message.", { notify: false });
            return;
          }
          const pending = pendingPrompt(token);
          this.#queueDispatch(message, () => this.#dispatch(message, message.text, pending));
        }),
      );
      return;
    }
    const pending = pendingPrompt(null, settings);
    this.#coalescer.prompt(message, pending);
    // Held for its forwards, it reads its chat's settings when it runs.
    pending.settings = null;
  }

  /** `/cancel` and the built-in commands (commands/). */
  #builtin(message: IncomingMessage, slash: SlashCommand): void {
    const { command, argsText } = slash;
    if (command === "cancel") {
      const answer = cancelCommand(this.#services, message);
      if (answer !== null) this.#track(this.#reply(message, answer));
      return;
    }
    const handler = BUILTIN_COMMANDS.get(command);
    if (handler !== undefined) {
      // `/new` drops a prompt still waiting for its forwards; any other command lets it run first.
      if (command === "new") this.#coalescer.cancel(message);
      else this.#coalescer.flush(message);
      this.#replyWith(message, () => handler(this.#services, message, argsText));
    }
  }

  /** An enabled plugin command that no built-in command, engine or project shadows. */
  #isPluginCommand(command: string): boolean {
    const services = this.#services;
    const reserved = RESERVED_CHAT_COMMAND_IDS.includes(command) || services.engines.ids().includes(command) || Object.hasOwn(services.config().settings.projects, command);
    return !reserved && services.plugins.find("command", command)?.enabled === true;
  }

  #pluginCommand(message: IncomingMessage, slash: SlashCommand): void {
    const services = this.#services;
    const { command, argsText } = slash;
    const config = services.config();
    this.#coalescer.flush(message);
    const ref = messageRefOf(message);
    const runtime = services.runtimeFor(command);
    const replyTo = message.replyTo === null ? null : { chatId: message.chatId, messageId: message.replyTo.messageId, threadId: message.threadId };
    // Plain text through the runtime (allowed chats only), in the command's chat and thread, replying to it by default.
    const reply = (text: string, options: SendOptions = {}): Promise<MessageRef | null> =>
      runtime.send(message.chatId, text, {
        ...options,
        replyTo: options.replyTo === undefined ? ref : options.replyTo,
        threadId: options.threadId === undefined ? message.threadId : options.threadId,
      });
    this.#track(
      dispatchCommand(
        { command, text: message.text, argsText, message: ref, senderId: message.senderId, replyTo, replyText: message.replyTo?.text ?? null },
        { plugins: services.plugins, config, runtime, executor: runtime.executorAt({ chatId: message.chatId, threadId: message.threadId }), reply, log: services.log },
      ),
    );
  }

  /** A press on a project question: its prompt runs in that project. */
  async #projectChosen(press: IncomingCallback): Promise<void> {
    const chosen = await this.#choices.chosen(press);
    if (chosen === null) return;
    const pending = { ...pendingPrompt(null), project: chosen.project };
    this.#queueDispatch(chosen.message, () => this.#dispatch(chosen.message, chosen.text, pending));
  }

  /** Late forwards continue the session their prompt started (they are part of what the user meant to send). */
  async #lateForwards(late: LateForwards<PendingPrompt>): Promise<void> {
    const first = late.forwards[0];
    if (first === undefined) return;
    const message: IncomingMessage = { ...late.message, messageId: first.messageId, text: "", replyTo: null, isForward: true };
    const job = await late.prompt.job.promise;
    const token = job === null ? null : await job.session;
    if (token === null) {
      await this.#reply(message, "these forwards arrived after the run they belong to had ended; send them again with a prompt.");
      return;
    }
    const pending = pendingPrompt(token);
    this.#queueDispatch(message, () => this.#dispatch(message, formatForwardedPrompt("", late.forwards), pending));
  }

  /** Turns a prompt into a run, or answers why it cannot run. */
  async #dispatch(message: IncomingMessage, text: string, pending: PendingPrompt, settings: Promise<ScopeSettings> | null = null): Promise<void> {
    try {
      pending.job.resolve(await this.#submit(message, text, pending, settings ?? scopeSettings(this.#services, message)));
    } finally {
      // A prompt that failed to become a job (an answered error, or a bug) has no session to wait for.
      pending.job.resolve(null);
    }
  }

  /** The job for a prompt, or null once the user was told why it cannot run. */
  async #submit(message: IncomingMessage, text: string, pending: PendingPrompt, scope: Promise<ScopeSettings>): Promise<JobHandle | null> {
    const services = this.#services;
    const source = messageRefOf(message);
    const input = { source, text, replyText: message.replyTo?.text ?? null, replyResume: pending.replyResume, project: pending.project, settings: await scope };
    const plan = await planPrompt(services, input);
    if (plan.kind === "error") return this.#fail(message, plan.text);
    if (plan.kind === "reply") return this.#reply(message, plan.text).then(() => null);
    await this.#saved;
    if (plan.kind === "choose") {
      await this.#choices.ask(message, text, plan.target);
      return null;
    }
    const job = services.scheduler.submit(plan.spec);
    const { resume, cwd } = plan.spec;
    services.log.info(
      { event: "run.submitted", run: job.id, chat_id: message.chatId, engine: plan.engine, resume: resume?.value ?? null, queued: job.queued, cwd },
      job.queued ? "run queued behind its session" : "run started",
    );
    return job;
  }

  async #fail(message: IncomingMessage, text: string): Promise<null> {
    await this.#reply(message, `error:\n${text}`);
    return null;
  }

  #queueDispatch(message: IncomingMessage, dispatch: () => Promise<void>): void {
    this.#chain(this.#dispatching, message.chatId, dispatch);
  }

  #replyWith(message: IncomingMessage, answer: () => Promise<string>): void {
    this.#track(answer().then((text) => (text === "" ? undefined : this.#reply(message, text))));
  }

  #reply(message: IncomingMessage, text: string, options: Pick<SendOptions, "notify"> = {}): Promise<unknown> {
    return this.#saved.then(() => sendReply(this.#services.client, message, text, options));
  }

  /** Runs `step` after the chat's previous step on `chains`; a failure is logged and does not stop the chain. */
  #chain(chains: Map<number, Promise<void>>, chatId: number, step: () => Promise<void>): void {
    const previous = chains.get(chatId) ?? Promise.resolve();
    const next = previous.then(step).catch((error: unknown) => {
      this.#services.log.error({ event: "telegram.route_failed", chat_id: chatId, err: error }, "handling a message failed");
    });
    chains.set(chatId, next);
    void next.then(() => {
      if (chains.get(chatId) === next) chains.delete(chatId);
    });
  }

  #track(task: Promise<unknown>): void {
    const tracked = task.then(
      () => undefined,
      (error: unknown) => {
        this.#services.log.error({ event: "telegram.task_failed", err: error }, "handling an update failed");
      },
    );
    this.#tasks.add(tracked);
    void tracked.then(() => this.#tasks.delete(tracked));
  }
}

/** `/cancel` or a built-in command. */
function isBuiltin(command: string): boolean {
  return command === "cancel" || BUILTIN_COMMANDS.has(command);
}

function pendingPrompt(replyResume: ResumeToken | null, settings: Promise<ScopeSettings> | null = null): PendingPrompt {
  return { replyResume, job: Promise.withResolvers(), settings, project: null };
}

function promptText(ready: CoalescedPrompt<PendingPrompt>): string {
  return formatForwardedPrompt(ready.message.text, ready.forwards);
}
