/**
 * `codex app-server` for the stand-in engine (cli.mjs): JSON-RPC over stdio,
 * one process for every thread, each turn replaying a recording as
 * notifications — the app-server recording (`codex_appserver_<scenario>.jsonl`)
 * when there is one, else the exec recording rewritten into notifications —
 * with the recording's thread and turn ids replaced by this process's.
 *
 * The prompt markers of exec mode apply per turn (see cli.mjs): scenario, gate,
 * mute, hang, delay, flood; [deaf] makes this process ignore SIGTERM. Every
 * turn/start is a line of spawns.jsonl (pid: this process; `backend:
 * "app-server"`; the model from thread/start as `--model` in argv, where an
 * exec run has it), every turn that ends on its own a line of exits.jsonl.
 * turn/interrupt ends the turn (`interrupted`) and kills its [hang] child, as
 * codex cleans a turn's background terminals. Stdin EOF ends the process.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setImmediate } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";

/** App-server item types for exec ones. */
const ITEM_TYPES = { agent_message: "agentMessage", reasoning: "reasoning", command_execution: "commandExecution", file_change: "fileChange", mcp_tool_call: "mcpToolCall", web_search: "webSearch" };

const camel = (text) => (typeof text === "string" ? text.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase()) : text);

/**
 * @param {{ args: string[], fixtures: string, stateDir: string | null, log: (file: string, entry: object) => void,
 *           markerOf: (prompt: string, name: string) => string | null, toolCallOf: (lines: string[]) => object }} env
 */
export async function serveAppServer({ args, fixtures, stateDir, log, markerOf, toolCallOf }) {
  const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
  /** threadId → { cwd, resume, model } */
  const threads = new Map();
  /** threadId → the turn in flight: { id, stopped, child } */
  const turns = new Map();

  const endTurn = (threadId, turn, status, error = null) => {
    if (turns.get(threadId) === turn) turns.delete(threadId);
    turn.stopped = true;
    send({ method: "turn/completed", params: { threadId, turn: { id: turn.id, status, error, items: [] } } });
  };

  const killChild = (turn) => {
    if (turn.child !== null && turn.child.exitCode === null) turn.child.kill("SIGKILL");
  };

  async function runTurn(threadId, turn, prompt) {
    const thread = threads.get(threadId);
    const marker = (name) => markerOf(prompt, name);
    const scenario = marker("scenario") ?? (thread.resume === null ? "text" : "resume");
    const delayMs = Number(marker("delay") ?? process.env.FAKE_ENGINE_DELAY_MS ?? 40);
    const gate = marker("gate");
    const mute = marker("mute");
    const hang = prompt.includes("[hang]");
    const flood = marker("flood") === null ? 0 : Number(marker("flood"));
    if (prompt.includes("[deaf]")) process.on("SIGTERM", () => undefined);
    const lines = recordingLines(fixtures, scenario);
    if (hang) turn.child = spawn("sleep", ["1000"], { stdio: "ignore" });
    const argv = [...args, ...(thread.model !== null ? ["--model", thread.model] : [])];
    log("spawns.jsonl", { engine: "codex", backend: "app-server", argv, cwd: thread.cwd, pid: process.pid, prompt, resume: thread.resume, session: threadId, scenario, childPid: turn.child?.pid ?? null });

    const ids = recordedIds(lines);
    const own = (line) => {
      let text = line;
      if (ids.thread !== null) text = text.split(ids.thread).join(threadId);
      if (ids.turn !== null) text = text.split(ids.turn).join(turn.id);
      return text;
    };
    const waitForGate = async (name) => {
      const path = join(stateDir ?? ".", "gates", name);
      while (!existsSync(path) && !turn.stopped) await sleep(20);
    };
    if (mute !== null) await waitForGate(mute);
    const toolCall = flood > 0 ? toolCallOf(lines) : null;
    let first = true;
    for (const [index, line] of lines.entries()) {
      if (turn.stopped) return;
      if (toolCall !== null && index === toolCall.first) {
        for (let i = 0; i < flood && !turn.stopped; i++) {
          const id = `${toolCall.id}f${i}`;
          for (const copy of toolCall.lines) process.stdout.write(`${own(copy).split(`"${toolCall.id}"`).join(`"${id}"`)}\n`);
          if (delayMs > 0) await sleep(delayMs);
        }
      }
      if (toolCall !== null && index >= toolCall.first && index <= toolCall.last) continue;
      const message = JSON.parse(own(line));
      if (message.method === "thread/started") continue; // takopi's runner announces the thread itself
      if (message.method === "turn/completed") {
        if (turns.get(threadId) === turn) turns.delete(threadId);
        turn.stopped = true;
        send(message);
        log("exits.jsonl", { engine: "codex", backend: "app-server", pid: process.pid, session: threadId, exitCode: 0 });
        return;
      }
      send(message);
      if (first) {
        first = false;
        if (gate !== null) await waitForGate(gate);
        if (hang) return; // until turn/interrupt
      }
      if (delayMs > 0) await sleep(delayMs);
    }
    // A recording that ends without its turn's end (a run cut short): the turn never ends on its own.
  }

  const handlers = {
    initialize: () => ({ userAgent: "codex-fake/0.0.0", codexHome: process.env.CODEX_HOME ?? null }),
    "thread/start": (params) => {
      const id = randomUUID();
      threads.set(id, { cwd: params.cwd ?? process.cwd(), resume: null, model: params.model ?? null });
      return { thread: { id }, model: params.model ?? "gpt-fake" };
    },
    "thread/resume": (params) => {
      threads.set(params.threadId, { cwd: params.cwd ?? process.cwd(), resume: params.threadId, model: params.model ?? null });
      return { thread: { id: params.threadId }, model: params.model ?? "gpt-fake" };
    },
    "turn/start": (params) => {
      const threadId = params.threadId;
      if (!threads.has(threadId)) throw { code: -32600, message: `thread not found: ${threadId}` };
      const active = turns.get(threadId);
      if (active !== undefined) return { turn: { id: active.id, status: "inProgress" } };
      const turn = { id: randomUUID(), stopped: false, child: null };
      turns.set(threadId, turn);
      const prompt = (params.input ?? []).map((part) => part.text ?? "").join("\n");
      setImmediate(() => {
        runTurn(threadId, turn, prompt).catch((error) => {
          process.stderr.write(`fake app-server: ${error?.stack ?? error}\n`);
          if (!turn.stopped) endTurn(threadId, turn, "failed", { message: String(error) });
        });
      });
      return { turn: { id: turn.id, status: "inProgress" } };
    },
    "turn/interrupt": (params) => {
      const turn = turns.get(params.threadId);
      if (turn !== undefined && turn.id === params.turnId) {
        killChild(turn);
        setImmediate(() => endTurn(params.threadId, turn, "interrupted"));
      }
      return {};
    },
    "turn/steer": (params) => {
      const turn = turns.get(params.threadId);
      if (turn === undefined || turn.id !== params.expectedTurnId) throw { code: -32600, message: "no active turn to steer" };
      return { turnId: turn.id };
    },
    "thread/backgroundTerminals/clean": (params) => {
      const turn = turns.get(params.threadId);
      if (turn !== undefined) killChild(turn);
      return {};
    },
    "thread/unsubscribe": () => ({ status: "unsubscribed" }),
  };

  const input = createInterface({ input: process.stdin });
  input.on("line", (line) => {
    if (line.trim() === "") return;
    const message = JSON.parse(line);
    if (message.method === undefined || message.id === undefined) return; // a response, or `initialized`
    const handler = handlers[message.method];
    if (handler === undefined) {
      send({ id: message.id, error: { code: -32601, message: `fake app-server: no ${message.method}` } });
      return;
    }
    try {
      send({ id: message.id, result: handler(message.params ?? {}) });
    } catch (error) {
      send({ id: message.id, error: { code: error?.code ?? -32603, message: error?.message ?? String(error) } });
    }
  });
  await new Promise((resolve) => input.once("close", resolve));
  // Stdin EOF: codex stops its background terminals and exits 0.
  for (const turn of turns.values()) killChild(turn);
  await new Promise((resolve) => process.stdout.write("", resolve));
}

/** The turn's notifications: the app-server recording of `scenario`, else its exec recording rewritten. */
function recordingLines(fixtures, scenario) {
  const read = (path) => readFileSync(path, "utf8").split("\n").filter((line) => line.trim() !== "");
  const appServer = join(fixtures, `codex_appserver_${scenario}.jsonl`);
  if (existsSync(appServer)) return read(appServer);
  return read(join(fixtures, `codex_${scenario}.jsonl`)).flatMap((line) => notificationsOf(JSON.parse(line)).map((message) => JSON.stringify(message)));
}

/** The thread and turn ids a recording uses (replaced by this process's own). */
function recordedIds(lines) {
  const ids = { thread: null, turn: null };
  for (const line of lines) {
    const message = JSON.parse(line);
    ids.thread ??= message.params?.threadId ?? message.params?.thread?.id ?? null;
    if (message.method === "turn/started") ids.turn ??= message.params?.turn?.id ?? null;
    if (ids.thread !== null && ids.turn !== null) break;
  }
  return ids;
}

const EXEC_THREAD = "exec-thread";
const EXEC_TURN = "exec-turn";

/** One `codex exec --json` event as the app-server notifications that say the same. */
function notificationsOf(event) {
  const params = { threadId: EXEC_THREAD, turnId: EXEC_TURN };
  switch (event.type) {
    case "thread.started":
      return [{ method: "thread/started", params: { thread: { id: EXEC_THREAD } } }];
    case "turn.started":
      return [{ method: "turn/started", params: { threadId: EXEC_THREAD, turn: { id: EXEC_TURN, status: "inProgress" } } }];
    case "item.started":
    case "item.completed": {
      const type = ITEM_TYPES[event.item?.type];
      if (type === undefined) return [];
      const item = { ...event.item, type, status: camel(event.item.status) };
      if (type === "commandExecution") Object.assign(item, { aggregatedOutput: event.item.aggregated_output ?? null, exitCode: event.item.exit_code ?? null });
      if (type === "reasoning") item.summary = [event.item.text ?? ""];
      if (type === "fileChange") item.changes = (event.item.changes ?? []).map((change) => ({ path: change.path, kind: { type: change.kind }, diff: "" }));
      return [{ method: event.type === "item.started" ? "item/started" : "item/completed", params: { ...params, item } }];
    }
    case "error":
      return [{ method: "error", params: { ...params, error: { message: event.message }, willRetry: false } }];
    case "turn.completed":
      return [{ method: "turn/completed", params: { threadId: EXEC_THREAD, turn: { id: EXEC_TURN, status: "completed", error: null } } }];
    case "turn.failed":
      return [{ method: "turn/completed", params: { threadId: EXEC_THREAD, turn: { id: EXEC_TURN, status: "failed", error: { message: event.error?.message ?? "failed" } } } }];
    default:
      return [];
  }
}
