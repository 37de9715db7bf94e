/**
 * `takopi doctor` checks for the Telegram transport: does the token work, can
 * the bot see the chats it is configured for, are risky settings on.
 * Bot API calls on the bridge's client, with a timeout; the token only ever appears in the URL.
 */
import type { LoadedConfig } from "../config/load.js";
import type { DoctorCheck } from "../plugins/types.js";
import { errorMessage } from "../util/errors.js";
import { Redactor } from "../secrets/redactor.js";
import { BotApi, BotApiError, HttpError } from "./bot-api.js";
import { topicsDoctorChecks } from "./topics/doctor.js";
import { voiceDoctorChecks } from "./voice/doctor.js";

const REQUEST_TIMEOUT_MS = 10_000;

type BotApiOutcome<T> = { ok: true; result: T } | { ok: false; status: number | null; description: string };

/** One Bot API call on the bridge's client; never throws, never puts the token into the returned text. */
export async function callBotApi<T>(apiRoot: string, token: string, signal: AbortSignal, call: (api: BotApi, signal: AbortSignal) => Promise<T>): Promise<BotApiOutcome<T>> {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const redactor = Redactor.of([{ name: "bot_token", value: token }]);
  try {
    return { ok: true, result: await call(new BotApi(token, { apiRoot }), AbortSignal.any([signal, timeout])) };
  } catch (error) {
    if (error instanceof BotApiError) return { ok: false, status: error.error_code, description: redactor.redact(error.description) };
    if (timeout.aborted) return { ok: false, status: null, description: `no answer from ${apiRoot} within ${REQUEST_TIMEOUT_MS / 1000} s` };
    if (error instanceof HttpError && error.status !== null) return { ok: false, status: error.status, description: `HTTP ${error.status}` };
    return { ok: false, status: null, description: redactor.redact(networkReason(error, apiRoot)) };
  }
}

export async function telegramDoctorChecks(config: LoadedConfig, signal: AbortSignal): Promise<DoctorCheck[]> {
  const settings = config.settings.transports.telegram;
  if (!settings) {
    return [{ label: "telegram", status: "fail", detail: "no [transports.telegram] table", fix: "add bot_token and chat_id under [transports.telegram]" }];
  }
  const { api_root: apiRoot, bot_token: token } = settings;
  const checks: DoctorCheck[] = [];

  const me = await callBotApi(apiRoot, token, signal, (api, callSignal) => api.getMe(callSignal));
  if (!me.ok) {
    const rejected = me.status === 401 || me.status === 404;
    checks.push({
      label: "telegram token",
      status: "fail",
      detail: rejected ? `rejected by the Bot API (${me.description})` : me.description,
      fix: rejected ? "check transports.telegram.bot_token; @BotFather shows your bot's token" : `check the network and transports.telegram.api_root (${apiRoot})`,
    });
    checks.push({ label: "chat_id", status: "skip", detail: `${settings.chat_id} (token not usable)` });
    return checks;
  }
  checks.push({ label: "telegram token", status: "ok", detail: describeBot(me.result) });

  const chats: [string, number][] = [["chat_id", settings.chat_id]];
  for (const [alias, project] of Object.entries(config.settings.projects)) {
    if (project.chat_id !== null) chats.push([`projects.${alias}.chat_id`, project.chat_id]);
  }
  for (const [label, chatId] of chats) {
    const chat = await callBotApi(apiRoot, token, signal, (api, callSignal) => api.getChat(chatId, callSignal));
    checks.push(
      chat.ok
        ? { label, status: "ok", detail: `${describeChat(chat.result)} (${chatId})` }
        : {
            label,
            status: "fail",
            detail: `unreachable (${chatId}): ${chat.description}`,
            fix: "add the bot to that chat (or message it once in private) and check the id",
          },
    );
  }

  checks.push(...(await topicsDoctorChecks(config, me.result.id, (call) => callBotApi(apiRoot, token, signal, call))));

  const files = settings.files;
  if (!files.enabled) checks.push({ label: "file transfer", status: "ok", detail: "disabled" });
  else if (files.allowed_user_ids.length > 0) checks.push({ label: "file transfer", status: "ok", detail: `restricted to ${files.allowed_user_ids.length} user id(s)` });
  else checks.push({ label: "file transfer", status: "warn", detail: "enabled for all users", fix: "set transports.telegram.files.allowed_user_ids" });

  checks.push(...(await voiceDoctorChecks(settings, signal)));

  if (settings.allowed_user_ids.length === 0) {
    checks.push({
      label: "allowed users",
      status: "warn",
      detail: "anyone in the configured chats can start runs",
      fix: "set transports.telegram.allowed_user_ids to your Telegram user id",
    });
  } else {
    checks.push({ label: "allowed users", status: "ok", detail: `${settings.allowed_user_ids.length} user id(s)` });
  }
  return checks;
}

function describeBot(result: unknown): string {
  const bot = (typeof result === "object" && result !== null ? result : {}) as { username?: unknown; id?: unknown };
  if (typeof bot.username === "string") return `@${bot.username}`;
  return typeof bot.id === "number" ? `id=${bot.id}` : "ok";
}

function describeChat(result: unknown): string {
  const chat = (typeof result === "object" && result !== null ? result : {}) as { type?: unknown; title?: unknown; username?: unknown };
  const type = typeof chat.type === "string" ? chat.type : "chat";
  const name = typeof chat.title === "string" ? chat.title : typeof chat.username === "string" ? `@${chat.username}` : null;
  return name === null ? type : `${type} "${name}"`;
}

function networkReason(error: unknown, apiRoot: string): string {
  const cause = error instanceof HttpError ? error.error : error;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String((cause).code) : null;
  const what = code ?? errorMessage(cause);
  return `cannot reach ${apiRoot} (${what})`;
}
