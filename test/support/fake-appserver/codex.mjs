#!/usr/bin/env node
/**
 * A scripted stand-in for `codex app-server` (only when invoked as
 * `… app-server`): enough JSON-RPC to start a thread and a turn, then per
 * prompt — `ask`: a server request for approval, answered with what takopi
 * replied; `wait`: a turn that ends only when steered (`turn/steer`).
 */
import { createInterface } from "node:readline";

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

function finish(text) {
  send({ method: "item/completed", params: { threadId, turnId, item: { type: "agentMessage", id: `msg_${turns}`, text, phase: null } } });
  send({ method: "turn/completed", params: { threadId, turn: { id: turnId, status: "completed", error: null } } });
  turnId = null;
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const msg = JSON.parse(line);
  if (msg.method === undefined) {
    waitingFor.get(msg.id)?.(msg.result);
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
      if (prompt === "ask") {
        const id = nextServerId++;
        waitingFor.set(id, (result) => finish(`decision: ${JSON.stringify(result)}`));
        send({ id, method: "item/commandExecution/requestApproval", params: { threadId, turnId, itemId: "call_1", command: "rm -rf /" } });
      } else if (prompt !== "wait") {
        finish("hello from fake app-server");
      }
      break;
    }
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
