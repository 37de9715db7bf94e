// The log of every Bot API call and file download the fake received: what was
// asked and how it was answered. Tokens are never recorded, only the bot's id
// and username.
import type { BodyEncoding } from "./body.js";
import type { JsonObject } from "./types.js";
import { preview } from "./util.js";

/** An HTTP status once answered; `dropped` when a fault cut the socket; `aborted` when the client left first. */
export type CallStatus = number | "pending" | "dropped" | "aborted";

/** Why the fake refused a call that the method itself would have served. */
export type CallFault = "injected" | "rate-limit" | "flood-wait" | "conflict";

export interface FileSummary {
  field: string;
  filename: string;
  contentType: string | undefined;
  size: number;
}

export interface CallRecord {
  readonly seq: number;
  /** The bot the token belongs to; null for an unknown token. */
  readonly bot: { readonly id: number; readonly username: string } | null;
  /** The canonical method name, `downloadFile` for `GET /file/bot…/<path>`, or as sent when unknown. */
  readonly method: string;
  /** Parameters as received: JSON values, or strings from form encodings. File parts are in `files`. */
  readonly params: JsonObject;
  readonly files: readonly FileSummary[];
  readonly encoding: BodyEncoding;
  /** `chat_id` as an integer (or `@username`), when given. */
  readonly chatId: number | string | undefined;
  /** Epoch ms. */
  readonly receivedAt: number;
  finishedAt: number | undefined;
  status: CallStatus;
  ok: boolean | undefined;
  result: unknown;
  errorCode: number | undefined;
  description: string | undefined;
  retryAfter: number | undefined;
  fault: CallFault | undefined;
}

export type CallInit = Pick<CallRecord, "bot" | "method" | "params" | "files" | "encoding" | "chatId">;

export class CallLog {
  readonly records: CallRecord[] = [];

  open(init: CallInit): CallRecord {
    const record: CallRecord = {
      ...init,
      seq: this.records.length + 1,
      receivedAt: Date.now(),
      finishedAt: undefined,
      status: "pending",
      ok: undefined,
      result: undefined,
      errorCode: undefined,
      description: undefined,
      retryAfter: undefined,
      fault: undefined,
    };
    this.records.push(record);
    return record;
  }

  list(method?: string): CallRecord[] {
    return method === undefined ? [...this.records] : this.records.filter((r) => r.method === method);
  }
}

/** One line per call, for timeout messages: `#3 sendMessage chat=42 "hi" → 400 Bad Request: …`. */
export function describeCall(call: CallRecord): string {
  const parts = [`#${call.seq}`, call.method];
  if (call.bot === null) parts.push("(unknown token)");
  if (call.chatId !== undefined) parts.push(`chat=${String(call.chatId)}`);
  if (call.params.message_id !== undefined) parts.push(`message=${JSON.stringify(call.params.message_id)}`);
  if (typeof call.params.text === "string") parts.push(preview(call.params.text, 40));
  if (call.method === "getUpdates" && call.params.offset !== undefined) parts.push(`offset=${JSON.stringify(call.params.offset)}`);
  let outcome = String(call.status);
  if (call.description !== undefined) outcome += ` ${call.description}`;
  return `${parts.join(" ")} → ${outcome}`;
}
