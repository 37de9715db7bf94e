/**
 * The stdin of one claude stream-json session, and what it takes to know
 * when the run is over: the messages written but not yet taken in (claude
 * echoes each one it takes, `--replay-user-messages`), and the tools running
 * now (a steer then waits for the tool result).
 */
import type { Writable } from "node:stream";
import type { SteerOutcome } from "../runner.js";
import { userMessageLine } from "./protocol.js";

export class SessionInput {
  readonly #stdin: Writable;
  /** Texts written and not yet echoed, oldest first; the prompt first of all. */
  readonly #waiting: string[];
  /** Whether the first entry of #waiting is the prompt (its echo may be missing when the turn fails early). */
  #promptWaiting = true;
  readonly #tools = new Set<string>();
  #open = true;

  /** Writes the first message (`promptLine`, a user message line) at once. */
  constructor(stdin: Writable, promptLine: string) {
    this.#stdin = stdin;
    this.#waiting = [promptText(promptLine)];
    stdin.write(promptLine);
  }

  /** False once stdin is closed: no more steers. */
  get open(): boolean {
    return this.#open;
  }

  write(line: string): void {
    if (this.#open) this.#stdin.write(line);
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#stdin.end();
  }

  /** Adds `text` to the session: `after_tool` while a tool runs (claude delivers it with the tool result). */
  steer(text: string): SteerOutcome {
    if (!this.#open) throw new Error("the claude session is closing");
    this.#waiting.push(text);
    this.#stdin.write(userMessageLine(text));
    return this.#tools.size > 0 ? "after_tool" : "joined";
  }

  /** A replayed user message: the message it echoes was taken in. */
  taken(echo: Record<string, unknown>): void {
    const text = echoText(echo);
    const index = text === null ? -1 : this.#waiting.indexOf(text);
    // An echo we cannot match still stands for the oldest message (claude takes them in order).
    const at = index >= 0 ? index : 0;
    if (this.#waiting.length === 0) return;
    if (at === 0) this.#promptWaiting = false;
    this.#waiting.splice(at, 1);
  }

  toolStarted(id: string): void {
    this.#tools.add(id);
  }

  toolEnded(id: string): void {
    this.#tools.delete(id);
  }

  /**
   * A turn's `result` came: true when it is the run's last turn, false when a
   * steer is still waiting to be taken in (it becomes the next turn).
   */
  turnEnded(): boolean {
    this.#tools.clear();
    if (this.#promptWaiting) {
      // The turn ended without echoing the prompt (it failed before it began): the prompt is done with all the same.
      this.#promptWaiting = false;
      this.#waiting.shift();
    }
    return this.#waiting.length === 0;
  }
}

/** The text of a user message line we wrote. */
function promptText(line: string): string {
  const parsed = JSON.parse(line) as { message?: { content?: unknown } };
  const content = parsed.message?.content;
  return typeof content === "string" ? content : "";
}

/** The text an echoed user message carries: a string, or its text blocks joined. */
function echoText(echo: Record<string, unknown>): string | null {
  const message = echo.message as { content?: unknown } | undefined;
  const content = message?.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return null;
  return content
    .map((block: unknown) => (typeof block === "object" && block !== null && typeof (block as { text?: unknown }).text === "string" ? (block as { text: string }).text : ""))
    .join("");
}
