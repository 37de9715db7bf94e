/**
 * The JSON-RPC client against a real child process: a small node script that
 * plays a server — answers, errors, notifications, and requests of its own
 * numbered from 0 like codex app-server's, colliding with our ids.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { JsonRpcClient, JsonRpcError, type JsonRpcNotification } from "../../../src/engines/jsonrpc.js";

/** The scripted server: reads our lines and acts on each request's method. */
const SERVER = String.raw`
const rl = require("node:readline").createInterface({ input: process.stdin });
const send = (value) => process.stdout.write(JSON.stringify(value) + "\n");
let nextId = 0;
rl.on("line", (line) => {
  const msg = JSON.parse(line);
  if (msg.method === undefined) { send({ method: "saw/response", params: msg }); return; }
  switch (msg.method) {
    case "echo": send({ id: msg.id, result: msg.params }); break;
    case "fail": send({ id: msg.id, error: { code: -32600, message: "no active turn to steer" } }); break;
    case "notify-then-answer":
      send({ method: "thread/event", params: { threadId: "t1", n: 1 } });
      send({ id: msg.id, result: { ok: true } });
      break;
    case "ask":
      // A server request whose id equals a pending request of the client, then the answer to that request.
      send({ id: nextId++, method: "item/commandExecution/requestApproval", params: { command: "rm -rf /" } });
      break;
    case "garbage": process.stdout.write("not json\n"); send({ id: 999, result: 1 }); send({ id: msg.id, result: "after" }); break;
    case "exit": process.exit(3);
  }
});
rl.on("close", () => process.exit(0));
`;

const children: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

function start(handlers: ConstructorParameters<typeof JsonRpcClient>[2] = {}): { client: JsonRpcClient; exited: Promise<number | null> } {
  const spawned = spawn(process.execPath, ["-e", SERVER], { stdio: ["pipe", "pipe", "pipe"] });
  children.push(spawned);
  const exited = new Promise<number | null>((resolve) => spawned.once("exit", resolve));
  return { client: new JsonRpcClient(spawned.stdout, spawned.stdin, handlers), exited };
}

describe("JsonRpcClient", () => {
  it("matches responses to requests by id, and rejects an error response with its code", async () => {
    const { client } = start();
    const [a, b] = await Promise.all([client.request("echo", { n: 1 }), client.request("echo", { n: 2 })]);
    expect([a, b]).toEqual([{ n: 1 }, { n: 2 }]);
    const failure = await client.request("fail").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(JsonRpcError);
    expect(failure).toMatchObject({ code: -32600, message: "no active turn to steer" });
  });

  it("delivers notifications in order, before the response that follows them", async () => {
    const seen: string[] = [];
    const { client } = start({ onNotification: (message) => seen.push(message.method) });
    await client.request("notify-then-answer");
    seen.push("answered");
    expect(seen).toEqual(["thread/event", "answered"]);
  });

  it("tells a server request from a response though their ids collide, and sends the handler's answer", async () => {
    const notifications: JsonRpcNotification[] = [];
    const { client } = start({
      onRequest: (request) => (request.method === "item/commandExecution/requestApproval" ? { decision: "decline" } : null),
      onNotification: (message) => notifications.push(message),
    });
    // Our first id is 1; the server's first request is id 0, its second 1 — the same as ours.
    await client.request("echo", 0);
    void client.request("ask").catch(() => undefined);
    void client.request("ask").catch(() => undefined);
    const saw = await new Promise<unknown[]>((resolve) => {
      const check = setInterval(() => {
        const responses = notifications.filter((message) => message.method === "saw/response").map((message) => message.params);
        if (responses.length === 2) {
          clearInterval(check);
          resolve(responses);
        }
      }, 5);
    });
    expect(saw).toEqual([
      { id: 0, result: { decision: "decline" } },
      { id: 1, result: { decision: "decline" } },
    ]);
  });

  it("a thrown JsonRpcError becomes an error response; without a handler requests get -32601", async () => {
    const notifications: JsonRpcNotification[] = [];
    const { client } = start({
      onRequest: () => {
        throw new JsonRpcError(-32000, "not now");
      },
      onNotification: (message) => notifications.push(message),
    });
    void client.request("ask").catch(() => undefined);
    await waitUntil(() => notifications.some((message) => message.method === "saw/response"));
    expect(notifications.find((message) => message.method === "saw/response")?.params).toEqual({ id: 0, error: { code: -32000, message: "not now" } });

    const bare = start({ onNotification: (message) => notifications.push(message) });
    void bare.client.request("ask").catch(() => undefined);
    await waitUntil(() => notifications.filter((message) => message.method === "saw/response").length === 2);
    expect(notifications.filter((message) => message.method === "saw/response")[1]?.params).toMatchObject({ id: 0, error: { code: -32601 } });
  });

  it("reports bad lines and responses to nothing, and goes on", async () => {
    const problems: string[] = [];
    const { client } = start({ onProtocolError: (problem) => problems.push(problem) });
    expect(await client.request("garbage")).toBe("after");
    expect(problems).toEqual([expect.stringContaining("invalid JSON: not json"), expect.stringContaining("response to no request")]);
  });

  it("rejects pending requests when the peer exits, and refuses new ones", async () => {
    let closed = false;
    const { client, exited } = start({ onClose: () => (closed = true) });
    const pending = client.request("never-answered");
    void client.request("exit").catch(() => undefined);
    await expect(pending).rejects.toThrow(/connection closed before never-answered was answered/);
    expect(await exited).toBe(3);
    await client.done;
    expect(closed).toBe(true);
    await expect(client.request("echo")).rejects.toThrow(/connection closed/);
  });

  it("end() closes the peer's stdin, and the peer exits", async () => {
    const { client, exited } = start();
    await client.request("echo", 1);
    client.end();
    expect(await exited).toBe(0);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}
