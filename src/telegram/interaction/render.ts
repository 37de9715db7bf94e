/**
 * How an engine's request looks in the chat: the markdown of the message
 * (what the engine wants to do, trimmed to fit) and its buttons, and the
 * same message once closed — with what was decided and by whom, and no
 * buttons. Button labels are the ones issue 13 fixes (Approve, Approve for
 * this session, Deny, Stop; Approve / Keep planning): a person must
 * recognise them at a glance. Pure functions; host.ts sends and edits.
 */
import type { InlineKeyboardButton, InlineKeyboardMarkup } from "grammy/types";
import type { Decider, InteractionAnswer, InteractionRequest, Question } from "../../core/interaction.js";
import { trimBody } from "../../render/final.js";
import { formatElapsed } from "../../render/text.js";

/** What every request button's callback data starts with; then `<request id>:<action>`. */
export const ASK_CALLBACK_PREFIX = "takopi:ask:";

/**
 * What a press asks for: an approval decision (`a` approve, `s` for this
 * session, `d` deny, `x` stop), an option of a question (`o<question>.<option>`),
 * `done` for a multi-select, or a plan's `pa` (approve) / `pk` (keep planning).
 */
export type AskAction =
  | { kind: "decision"; decision: "approve" | "approve_session" | "deny" | "stop" }
  | { kind: "option"; question: number; option: number }
  | { kind: "done" }
  | { kind: "plan"; approve: boolean };

const DECISION_CODES = { a: "approve", s: "approve_session", d: "deny", x: "stop" } as const;

/** The callback data of a request's button. */
export function askData(id: string, action: AskAction): string {
  const code =
    action.kind === "decision"
      ? (Object.entries(DECISION_CODES).find(([, decision]) => decision === action.decision)?.[0] ?? "d")
      : action.kind === "option"
        ? `o${action.question}.${action.option}`
        : action.kind === "done"
          ? "done"
          : action.approve
            ? "pa"
            : "pk";
  return `${ASK_CALLBACK_PREFIX}${id}:${code}`;
}

/** The request id and action of a press's data, or null when it is not one of ours. */
export function parseAskData(data: string): { id: string; action: AskAction } | null {
  if (!data.startsWith(ASK_CALLBACK_PREFIX)) return null;
  const [id, code] = data.slice(ASK_CALLBACK_PREFIX.length).split(":");
  if (id === undefined || id === "" || code === undefined) return null;
  if (code in DECISION_CODES) return { id, action: { kind: "decision", decision: DECISION_CODES[code as keyof typeof DECISION_CODES] } };
  if (code === "done") return { id, action: { kind: "done" } };
  if (code === "pa" || code === "pk") return { id, action: { kind: "plan", approve: code === "pa" } };
  const option = /^o(\d{1,3})\.(\d{1,3})$/.exec(code);
  if (option === null) return null;
  return { id, action: { kind: "option", question: Number(option[1]), option: Number(option[2]) } };
}

/** Longest command, diff or plan shown; the rest is cut with `…`. */
const MAX_SNIPPET_CHARS = 1500;
/** Most file names listed. */
const MAX_FILES = 10;
/** Telegram's limit on a button's text is generous; long option labels are cut so a row stays readable. */
const MAX_BUTTON_CHARS = 60;

/** Per question, the option indexes chosen so far (multi-select toggles, single-select picks). */
export type Selections = ReadonlyMap<number, ReadonlySet<number>>;

/** The markdown describing `request` (without buttons). */
export function requestMarkdown(request: InteractionRequest, engine: string): string {
  switch (request.kind) {
    case "command":
      return joinLines([
        `**${engine} asks to run a command**`,
        fenced(request.command, "sh"),
        request.cwd === null ? null : `in \`${request.cwd}\``,
        reasonLine(request.reason),
      ]);
    case "files": {
      const shown = request.files.slice(0, MAX_FILES).map((file) => `- \`${file}\``);
      if (request.files.length > MAX_FILES) shown.push(`- … and ${request.files.length - MAX_FILES} more`);
      return joinLines([
        `**${engine} asks to change ${request.files.length === 1 ? "a file" : "files"}**`,
        shown.length === 0 ? null : shown.join("\n"),
        request.diff === null || request.diff.trim() === "" ? null : fenced(request.diff, "diff"),
        reasonLine(request.reason),
      ]);
    }
    case "tool":
      return joinLines([`**${engine} asks to use \`${request.tool}\`**`, request.summary === "" ? null : fenced(request.summary, "")]);
    case "question":
      return joinLines([`**${engine} asks**`, ...request.questions.map(questionMarkdown), "Press an option, or reply to this message with your answer."]);
    case "plan":
      return joinLines([`**${engine} has a plan**`, trimBody(request.plan.trim(), MAX_SNIPPET_CHARS), "Approve it, or reply to this message with what to change."]);
  }
}

/** The buttons of an open request. */
export function requestKeyboard(id: string, request: InteractionRequest, selections: Selections = new Map()): InlineKeyboardMarkup {
  const button = (text: string, action: AskAction): InlineKeyboardButton => ({ text, callback_data: askData(id, action) });
  if (request.kind === "question") {
    const rows: InlineKeyboardButton[][] = [];
    request.questions.forEach((question, q) => {
      question.options.forEach((option, o) => {
        const chosen = selections.get(q)?.has(o) === true;
        const mark = question.multiSelect ? (chosen ? "☑ " : "☐ ") : chosen ? "✓ " : "";
        const prefix = request.questions.length > 1 && question.header !== null ? `${question.header}: ` : "";
        rows.push([button(cut(`${mark}${prefix}${option.label}`, MAX_BUTTON_CHARS), { kind: "option", question: q, option: o })]);
      });
    });
    if (request.questions.some((question) => question.multiSelect)) rows.push([button("Done", { kind: "done" })]);
    return { inline_keyboard: rows };
  }
  if (request.kind === "plan") {
    return { inline_keyboard: [[button("Approve", { kind: "plan", approve: true }), button("Keep planning", { kind: "plan", approve: false })]] };
  }
  return {
    inline_keyboard: [
      [button("Approve", { kind: "decision", decision: "approve" }), button("Approve for this session", { kind: "decision", decision: "approve_session" })],
      [button("Deny", { kind: "decision", decision: "deny" }), button("Stop", { kind: "decision", decision: "stop" })],
    ],
  };
}

/** How a decider is named: `@name`, else the user id; the bridge itself is nobody. */
export function deciderName(by: Decider): string | null {
  if (by.name !== null) return by.name;
  return by.userId === null ? null : String(by.userId);
}

/** The closing line of a request: what was decided, by whom, and the note. */
export function outcomeLine(request: InteractionRequest, answer: InteractionAnswer): string {
  const who = deciderName(answer.by);
  const by = who === null ? "" : ` by ${who}`;
  if (answer.kind === "approval") {
    const what = { approve: "✅ approved", approve_session: "✅ approved for this session", deny: "❌ denied", stop: "⏹ stopped" }[answer.decision];
    return `${what}${by}${noteOf(answer.note)}`;
  }
  if (answer.kind === "plan") {
    if (answer.approve) return `✅ plan approved${by}`;
    return `✏️ keep planning${by}${noteOf(answer.note)}`;
  }
  const chosen = request.kind === "question" ? summarizeAnswers(request.questions, answer.answers) : "";
  if (chosen === "") return who === null ? "no answer" : `answered${by}`;
  return `💬 answered${by}: ${chosen}`;
}

/** Shown under a request whose takopi stopped (a crash, kill -9) before anyone answered; the next start edits it in. */
export const INTERRUPTED_NOTE = "⏹ closed: takopi stopped before anyone answered, and the run was interrupted";

/** The message of a request as the next start leaves it after a crash (kept in the run journal until then). */
export function interruptedMarkdown(request: InteractionRequest, engine: string): string {
  return `${requestMarkdown(request, engine)}\n\n**${escapeStars(INTERRUPTED_NOTE)}**`;
}

/** Shown under a request the engine withdrew, or whose run ended, before anyone answered. */
export const NO_LONGER_NEEDED = "no longer needed";

/** The message of a closed request: what it asked, then the outcome (`withdrawn`: nobody decided, it went away). */
export function closedMarkdown(request: InteractionRequest, engine: string, answer: InteractionAnswer, withdrawn = false): string {
  const line = withdrawn ? `⏏ ${NO_LONGER_NEEDED}` : outcomeLine(request, answer);
  return `${requestMarkdown(request, engine)}\n\n**${escapeStars(line)}**`;
}

/** The note a request that nobody answered closes with. */
export function timeoutNote(seconds: number): string {
  return `no answer within ${formatElapsed(seconds)}`;
}

function questionMarkdown(question: Question): string {
  const title = question.header === null ? question.question : `**${question.header}**: ${question.question}`;
  const hint = question.multiSelect ? " (choose any, then Done)" : "";
  const options = question.options.map((option) => `- ${option.label}${option.description === null || option.description === "" ? "" : ` — ${option.description}`}`);
  return [title + hint, ...options].join("\n");
}

function summarizeAnswers(questions: readonly Question[], answers: Record<string, string[]>): string {
  const parts: string[] = [];
  for (const question of questions) {
    const chosen = answers[question.id];
    if (chosen === undefined || chosen.length === 0) continue;
    parts.push(chosen.join(", "));
  }
  return cut(parts.join("; "), 300);
}

function noteOf(note: string | undefined): string {
  return note === undefined || note === "" ? "" : ` (${cut(note, 200)})`;
}

function reasonLine(reason: string | null): string | null {
  return reason === null || reason.trim() === "" ? null : `reason: ${reason.trim()}`;
}

/** `text` in a code fence longer than any backtick run inside it, trimmed. */
function fenced(text: string, lang: string): string {
  const body = text.length > MAX_SNIPPET_CHARS ? `${text.slice(0, MAX_SNIPPET_CHARS - 1)}…` : text;
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${body.replace(/\n+$/, "")}\n${fence}`;
}

function joinLines(lines: (string | null)[]): string {
  return lines.filter((line): line is string => line !== null && line !== "").join("\n\n");
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function escapeStars(text: string): string {
  return text.replaceAll("*", "\\*").replaceAll("_", "\\_").replaceAll("`", "'");
}
