#!/usr/bin/env node
/**
 * A scripted stand-in for `codex app-server` (only when invoked as
 * `… app-server`): enough JSON-RPC to start a thread and a turn, then per
 * prompt — `ask`: a command approval request, answered with what takopi
 * replied; `ask-files`: a patch (files only in its `item/started`, as codex
 * 0.169 does) and its approval request; `ask-question`: a requestUserInput;
 * `ask-withdrawn`: an approval withdrawn (`serverRequest/resolved`) before
 * anyone answers, the answer reporting how many replies came after all;
 * `wait`: a turn that ends only when steered (`turn/steer`); `wait-command`:
 * the same while a command item is running; `thread-params`: answers with
 * the approval policy and sandbox the thread was started or resumed with.
 */
import { createInterface } from "node:readline";
import { setTimeout } from "node:timers";

if (!process.argv.includes("app-server")) {
  process.stderr.write("fake app-server: expected the app-server subcommand\n");
  process.exit(2);
}
const send = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
const threadId = "thread-1";
let turnId = null;
let turns = 0;
let nextServerId = 0;
const waitingFor = new Map();
let lateReplies = 0;
/** The approval policy and sandbox of the last thread/start or thread/resume (prompt `thread-params`). */
let threadParams = null;

/** Sends a server request; `then` gets the result takopi replied with. */
function ask(method, params, then) {
  const id = nextServerId++;
  waitingFor.set(id, then);
  send({ id, method, params: { threadId, turnId, ...params } });
  return id;
}

function finish(text) {
  send({ method: "item/completed", params: { threadId, turnId, item: { type: "agentMessage", id: `msg_${turns}`, text, phase: null } } });
  send({ method: "turn/completed", params: { threadId, turn: { id: turnId, status: "completed", error: null } } });
  turnId = null;
}

function interrupted() {
  send({ method: "turn/completed", params: { threadId, turn: { id: turnId, status: "interrupted", error: null } } });
  turnId = null;
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const msg = JSON.parse(line);
  if (msg.method === undefined) {
    const then = waitingFor.get(msg.id);
    waitingFor.delete(msg.id);
    if (then === undefined) lateReplies += 1;
    then?.(msg.result ?? { error: msg.error });
    return;
  }
  switch (msg.method) {
    case "initialize":
      send({ id: msg.id, result: { userAgent: "fake" } });
      break;
    case "initialized":
      break;
    case "thread/start":
    case "thread/resume":
      threadParams = { method: msg.method, approvalPolicy: msg.params.approvalPolicy, sandbox: msg.params.sandbox };
      send({ id: msg.id, result: { thread: { id: threadId } } });
      break;
    case "thread/unsubscribe":
      send({ id: msg.id, result: { status: "unsubscribed" } });
      break;
    case "turn/start": {
      turns += 1;
      turnId = `turn-${turns}`;
      send({ id: msg.id, result: { turn: { id: turnId, status: "inProgress" } } });
      send({ method: "turn/started", params: { threadId, turn: { id: turnId, status: "inProgress" } } });
      const prompt = msg.params.input[0].text;
      // As codex: `cancel` declines the item and interrupts the turn.
      const decided = (result) => (result?.decision === "cancel" ? interrupted() : finish(`decision: ${JSON.stringify(result)}`));
      if (prompt === "ask") {
        ask("item/commandExecution/requestApproval", { itemId: "call_1", command: "/bin/bash -lc 'rm -rf /'", cwd: "/repo", reason: null }, decided);
      } else if (prompt === "ask-files") {
        const diff = "@@ -1 +1 @@\n-old\n+new\n";
        const item = { type: "fileChange", id: "call_2", status: "inProgress", changes: [{ path: "/repo/a.txt", kind: { type: "update", move_path: null }, diff }] };
        send({ method: "item/started", params: { threadId, turnId, item } });
        ask("item/fileChange/requestApproval", { itemId: "call_2", reason: "write outside", grantRoot: null }, decided);
      } else if (prompt === "ask-question") {
        const questions = [{ id: "color", header: "Color", question: "Which color?", isOther: true, isSecret: false, options: [{ label: "Red", description: "warm" }, { label: "Blue", description: "" }] }];
        ask("item/tool/requestUserInput", { itemId: "call_3", questions, isBlocking: true, autoResolutionMs: null }, decided);
      } else if (prompt === "ask-withdrawn") {
        const id = ask("item/commandExecution/requestApproval", { itemId: "call_4", command: "echo hi", cwd: "/repo" }, () => undefined);
        setTimeout(() => {
          waitingFor.delete(id);
          send({ method: "serverRequest/resolved", params: { threadId, requestId: id } });
          // Time for a late reply to arrive, were one sent.
          setTimeout(() => finish(`withdrawn; late replies: ${lateReplies}`), 300);
        }, 100);
      } else if (prompt === "wait-command") {
        send({ method: "item/started", params: { threadId, turnId, item: { type: "commandExecution", id: "call_5", command: "sleep 30", status: "inProgress" } } });
      } else if (prompt === "thread-params") {
        finish(JSON.stringify(threadParams));
      } else if (prompt !== "wait") {
        finish("hello from fake app-server");
      }
      break;
    }
    case "turn/interrupt":
      send({ id: msg.id, result: {} });
      for (const [id] of waitingFor) send({ method: "serverRequest/resolved", params: { threadId, requestId: id } });
      waitingFor.clear();
      interrupted();
      break;
    case "thread/backgroundTerminals/clean":
      send({ id: msg.id, result: {} });
      break;
    case "turn/steer":
      if (turnId === null || msg.params.expectedTurnId !== turnId) {
        send({ id: msg.id, error: { code: -32600, message: "no active turn to steer" } });
      } else {
        send({ id: msg.id, result: { turnId } });
        finish(`steered: ${msg.params.input[0].text}`);
      }
      break;
    default:
      send({ id: msg.id, error: { code: -32601, message: `fake app-server: no ${msg.method}` } });
  }
});
