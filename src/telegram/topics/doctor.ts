/**
 * `takopi doctor`'s topics check: with topics enabled, each topic chat must
 * be a forum where the bot may manage topics (the checks `takopi run`
 * refuses to start without, see validate.ts).
 */
import type { LoadedConfig } from "../../config/load.js";
import type { DoctorCheck } from "../../plugins/types.js";
import type { BotApi } from "../bot-api.js";
import { scopeLabel, topicsScope } from "./settings.js";
import { topicsProblems } from "./validate.js";

/** One Bot API call that never throws: its result, or why it failed (doctor.ts's callBotApi). */
type Call = <T>(call: (api: BotApi, signal: AbortSignal) => Promise<T>) => Promise<{ ok: true; result: T } | { ok: false; description: string }>;

export async function topicsDoctorChecks(config: LoadedConfig, botId: number, call: Call): Promise<DoctorCheck[]> {
  const scope = topicsScope(config);
  if (!scope.enabled) return [{ label: "topics", status: "ok", detail: "disabled" }];
  const problems = await topicsProblems(scope, {
    chat: async (chatId) => {
      const outcome = await call((api, signal) => api.getChat(chatId, signal));
      return outcome.ok ? outcome.result : outcome.description;
    },
    botMember: async (chatId) => {
      const outcome = await call((api, signal) => api.getChatMember(chatId, botId, signal));
      return outcome.ok ? outcome.result : outcome.description;
    },
  });
  const label = `topics (scope=${scopeLabel(scope)})`;
  if (problems.length === 0) {
    const chats = [...scope.chatIds].join(", ");
    return [{ label, status: "ok", detail: `forum chats where the bot manages topics: ${chats}` }];
  }
  return problems.map((problem) => {
    const [detail = problem, fix] = problem.split("; ");
    return fix === undefined ? { label, status: "fail", detail } : { label, status: "fail", detail, fix };
  });
}
