// @ts-check
/**
 * `/reload [now]`: restart takopi from the chat. The bridge stops polling
 * (confirming the update that carried `/reload`, so it is not delivered
 * again), and the process exits 0; in the container, the restart policy
 * brings it back and the entrypoint rediscovers the projects directory.
 *
 * Running engines are given time to finish (`[plugins.reload] wait_s`,
 * default 300), and the chat is told which runs it waits for; `/reload now`
 * cancels them instead — their messages keep the resume line, so each can be
 * continued after the restart. Once back up, the `started` hook posts what
 * changed: projects added and removed, and how long the restart took.
 */
import { readFile, rm, writeFile, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout } from "node:timers";

/** @import { BridgeRuntime, CommandBackend, CommandContext, CommandResult, RunInfo, StartupContext } from "takopi" */

/** What `/reload` leaves for the next start, beside the config. */
const SNAPSHOT_FILE = "takopi_reload_state.json";
const DEFAULT_WAIT_S = 300;
const POLL_MS = 1000;

/**
 * @typedef {object} Snapshot
 * @property {number} requestedAt epoch ms
 * @property {string[]} projects aliases before the restart
 * @property {number} chatId where `/reload` was sent
 * @property {number | null} threadId
 * @property {number} messageId the `/reload` message
 */

/** @type {CommandBackend} */
const reload = {
  id: "reload",
  description: "restart takopi and pick up new projects",

  /**
   * @param {CommandContext} ctx
   * @returns {Promise<CommandResult>}
   */
  async handle(ctx) {
    const [mode, ...extra] = ctx.args;
    if (extra.length > 0 || (mode !== undefined && mode !== "now")) {
      return { text: "usage: /reload (waits for running engines), or /reload now (cancels them; their resume lines stay)" };
    }
    const waitS = waitSeconds(ctx.pluginConfig);
    if (waitS === null) return { text: `[plugins.reload] wait_s must be a number of seconds ≥ 0 (in ${ctx.configPath})` };
    const { runtime } = ctx;

    const active = runtime.runs();
    let text = "reloading…";
    if (active.length > 0 && mode === "now") {
      for (const run of active) runtime.cancelRun(run.id);
      text = `cancelling ${plural(active.length, "run")} and reloading; reply to their messages after the restart to continue.`;
    } else if (active.length > 0) {
      await ctx.reply(`reloading once ${describeRuns(active)} ${active.length === 1 ? "finishes" : "finish"} (waiting up to ${waitS} s; /reload now cancels them).`, {
        notify: false,
      });
      const left = await waitForRuns(runtime, waitS * 1000);
      if (left.length > 0) {
        for (const run of left) runtime.cancelRun(run.id);
        text = `still running after ${waitS} s: cancelled ${describeRuns(left)}; reply to their messages after the restart to continue.`;
      }
    }

    await saveSnapshot(runtime.configPath, {
      requestedAt: Date.now(),
      projects: runtime.projects().map((project) => project.alias),
      chatId: ctx.message.chatId,
      threadId: ctx.message.threadId,
      messageId: ctx.message.messageId,
    }).catch((/** @type {unknown} */ error) => {
      // Only the "what changed" message is lost; the reload itself goes on.
      ctx.log.warn({ event: "reload.snapshot_failed", err: error }, "could not save the project list before reloading");
    });
    ctx.log.info({ event: "reload.requested", chat_id: ctx.message.chatId }, "reload requested from chat");
    // Polling stops before the reply goes out: whatever the person sends after
    // seeing it waits for the restarted takopi instead of being taken now and
    // cancelled by the shutdown.
    await runtime.shutdown({ exitCode: 0, reason: "/reload" });
    return { text, notify: false };
  },

  /** @param {StartupContext} ctx */
  async started(ctx) {
    const snapshot = await takeSnapshot(ctx.runtime.configPath);
    if (snapshot === null) return;
    const now = ctx.runtime.projects().map((project) => project.alias);
    const added = now.filter((alias) => !snapshot.projects.includes(alias));
    const removed = snapshot.projects.filter((alias) => !now.includes(alias));
    const lines = [`reloaded in ${((Date.now() - snapshot.requestedAt) / 1000).toFixed(1)} s.`];
    if (added.length > 0) lines.push(`projects added: ${added.map((alias) => `/${alias}`).join(", ")}`);
    if (removed.length > 0) lines.push(`projects removed: ${removed.join(", ")}`);
    if (added.length === 0 && removed.length === 0) lines.push(`projects: ${now.length > 0 ? now.join(", ") : "none"} (no change)`);
    await ctx.runtime.send(snapshot.chatId, lines.join("\n"), {
      replyTo: { chatId: snapshot.chatId, messageId: snapshot.messageId, threadId: snapshot.threadId },
    });
  },
};
export default reload;

/**
 * @param {Record<string, unknown>} config
 * @returns {number | null}
 */
function waitSeconds(config) {
  const value = config.wait_s ?? DEFAULT_WAIT_S;
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * Resolves with the runs still going after `timeoutMs` (none when all ended).
 * @param {BridgeRuntime} runtime
 * @param {number} timeoutMs
 * @returns {Promise<RunInfo[]>}
 */
async function waitForRuns(runtime, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const active = runtime.runs();
    if (active.length === 0 || Date.now() >= deadline) return active;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
  }
}

/**
 * `2 runs (codex in app @dev, claude)`.
 * @param {RunInfo[]} runs
 */
function describeRuns(runs) {
  const each = runs.map((run) => {
    const where = run.project === null ? "" : ` in ${run.project}${run.branch === null ? "" : ` @${run.branch}`}`;
    return `${run.engine}${where}${run.state === "queued" ? " (queued)" : ""}`;
  });
  return `${plural(runs.length, "run")} (${each.join(", ")})`;
}

/**
 * @param {number} count
 * @param {string} noun
 */
function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * @param {string} configPath
 * @param {Snapshot} snapshot
 */
async function saveSnapshot(configPath, snapshot) {
  const path = join(dirname(configPath), SNAPSHOT_FILE);
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(snapshot, null, 2)}\n`);
  await rename(temporary, path);
}

/**
 * Reads and removes the snapshot, so "what changed" is posted once.
 * @param {string} configPath
 * @returns {Promise<Snapshot | null>}
 */
async function takeSnapshot(configPath) {
  const path = join(dirname(configPath), SNAPSHOT_FILE);
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return null;
  }
  await rm(path, { force: true });
  try {
    const value = JSON.parse(text);
    if (typeof value !== "object" || value === null || !Array.isArray(value.projects) || typeof value.chatId !== "number") return null;
    return {
      requestedAt: typeof value.requestedAt === "number" ? value.requestedAt : Date.now(),
      projects: value.projects.filter((/** @type {unknown} */ alias) => typeof alias === "string"),
      chatId: value.chatId,
      threadId: typeof value.threadId === "number" ? value.threadId : null,
      messageId: typeof value.messageId === "number" ? value.messageId : 0,
    };
  } catch {
    return null;
  }
}
