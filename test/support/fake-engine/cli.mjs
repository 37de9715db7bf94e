#!/usr/bin/env node
/**
 * A stand-in engine CLI for end-to-end tests: installed on PATH as `codex`,
 * `claude`, `opencode` and `pi`, it replays this repository's recordings of
 * the real CLIs (test/fixtures/engines/<engine>_<scenario>.jsonl) line by line
 * with a delay, so the bridge sees exactly what the real CLI prints, paced like
 * a real run.
 *
 * Each run gets a session id of its own (the recording's id is replaced), and a
 * resumed run keeps the id it was asked to resume, so reply-to-continue works
 * across runs. Markers in the prompt steer a run:
 *   [scenario:NAME]  replay <engine>_NAME.jsonl (default `text`, or `resume` when resuming)
 *   [gate:NAME]      after the first line, wait for the file $FAKE_ENGINE_DIR/gates/NAME
 *   [mute:NAME]      print nothing at all until the file $FAKE_ENGINE_DIR/gates/NAME exists (a silent engine)
 *   [deaf]           ignore SIGTERM (only SIGKILL stops it)
 *   [hang]           after the first line, start a child `sleep` in our process group and never finish
 *   [delay:MS]       pause between lines (default $FAKE_ENGINE_DELAY_MS, else 40)
 *   [flood:N]        the recording's tool call N times over, each with an id of its own: a long run of
 *                    many tool calls. As fast as the pipe takes them with [delay:0], else one call per delay
 * Every start is appended to $FAKE_ENGINE_DIR/spawns.jsonl (engine, argv, cwd,
 * pid, prompt, resume, session, child pid) and every clean end to exits.jsonl.
 *
 * `codex app-server` (takopi's default codex backend) is served by
 * appserver.mjs: one process, a turn per run, the same markers per prompt.
 */
import { spawn } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const engine = basename(process.argv[1] ?? "");
const args = process.argv.slice(2);
const stateDir = process.env.FAKE_ENGINE_DIR ?? null;
const fixtures = process.env.FAKE_ENGINE_FIXTURES ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "engines");

if (args.includes("--version")) {
  process.stdout.write(`${engine} 0.0.0-fake\n`);
  process.exit(0);
}

if (engine === "codex" && args.includes("app-server")) {
  const { serveAppServer } = await import("./appserver.mjs");
  await serveAppServer({ args, fixtures, stateDir, log, markerOf: markerIn, toolCallOf });
  process.exit(0);
}

const stdin = await readStdin();
const prompt = [stdin, ...args].join("\n");
const resume = resumeArgument(engine, args);
const scenario = marker("scenario") ?? (resume === null ? "text" : "resume");
const delayMs = Number(marker("delay") ?? process.env.FAKE_ENGINE_DELAY_MS ?? 40);
const gate = marker("gate");
const mute = marker("mute");
if (prompt.includes("[deaf]")) process.on("SIGTERM", () => undefined);
const hang = prompt.includes("[hang]");
const flood = marker("flood") === null ? 0 : Number(marker("flood"));

const recording = join(fixtures, `${engine}_${scenario}.jsonl`);
const lines = readFileSync(recording, "utf8").split("\n").filter((line) => line.trim() !== "");
const recorded = sessionIdOf(lines);
const session = resume ?? freshId(recorded);

let child = null;
if (hang) {
  child = spawn("sleep", ["1000"], { stdio: "ignore" });
}
log("spawns.jsonl", { engine, argv: args, cwd: process.cwd(), pid: process.pid, prompt: stdin, resume, session, scenario, childPid: child?.pid ?? null });

if (mute !== null) await waitForFile(join(stateDir ?? ".", "gates", mute));
const toolCall = flood > 0 ? toolCallOf(lines) : null;
for (const [index, line] of lines.entries()) {
  if (toolCall !== null && index === toolCall.first) await printFlood(toolCall, flood);
  if (toolCall !== null && index >= toolCall.first && index <= toolCall.last) continue;
  process.stdout.write(`${recorded === null ? line : line.split(recorded).join(session)}\n`);
  if (index === 0) {
    if (gate !== null) await waitForFile(join(stateDir ?? ".", "gates", gate));
    if (hang) await new Promise(() => undefined);
  }
  if (delayMs > 0) await sleep(delayMs);
}
const exit = JSON.parse(readFileSync(recording.replace(/\.jsonl$/, ".meta.json"), "utf8")).exitCode ?? 0;
// process.exit() does not wait for stdout: hand every line to the pipe first, or the
// bridge may see a run without its result event.
await new Promise((resolve) => process.stdout.write("", resolve));
log("exits.jsonl", { engine, pid: process.pid, session, exitCode: exit });
process.exit(exit);

function marker(name) {
  return markerIn(prompt, name);
}

function markerIn(text, name) {
  const match = new RegExp(`\\[${name}:([^\\]]+)\\]`).exec(text);
  return match === null ? null : match[1];
}

/**
 * The recording's first tool call: its id (codex `item_0`, claude `toolu_…`,
 * opencode and pi `call_…`) and the lines from the first to the last that name it.
 */
function toolCallOf(recordedLines) {
  const idPattern = /"(item_0|toolu_[A-Za-z0-9]+|call_[A-Za-z0-9]+)"/;
  const first = recordedLines.findIndex((line) => idPattern.test(line));
  if (first === -1) throw new Error("the recording has no tool call to flood with");
  const id = idPattern.exec(recordedLines[first])[1];
  let last = first;
  recordedLines.forEach((line, index) => {
    if (line.includes(`"${id}"`)) last = index;
  });
  return { id, first, last, lines: recordedLines.slice(first, last + 1) };
}

/** `count` copies of the tool call, ids made unique, written in batches that wait for the pipe to drain. */
async function printFlood(toolCall, count) {
  const template = toolCall.lines.map((line) => (recorded === null ? line : line.split(recorded).join(session)));
  let batch = "";
  for (let i = 0; i < count; i++) {
    const id = `${toolCall.id}f${i}`;
    for (const line of template) batch += `${line.split(`"${toolCall.id}"`).join(`"${id}"`)}\n`;
    if (batch.length >= 64 * 1024 || i === count - 1 || delayMs > 0) {
      if (!process.stdout.write(batch)) await new Promise((resolve) => process.stdout.once("drain", resolve));
      batch = "";
      if (delayMs > 0) await sleep(delayMs);
    }
  }
}

/** The session a run was asked to continue, from each CLI's own flag. */
function resumeArgument(cli, argv) {
  const after = (flag) => {
    const index = argv.indexOf(flag);
    return index === -1 ? null : (argv[index + 1] ?? null);
  };
  if (cli === "codex") return argv.includes("exec") ? after("resume") : null;
  if (cli === "claude") return after("--resume") ?? after("-r");
  if (cli === "opencode") return after("--session") ?? after("-s");
  if (cli === "pi") {
    // pi names a new session by a file path it has not created yet; only an existing one is a resume.
    const value = after("--session");
    return value !== null && !value.includes("/") ? value : null;
  }
  return null;
}

/** The recording's session id: the first UUID or `ses_…` id it prints. */
function sessionIdOf(recordedLines) {
  for (const line of recordedLines.slice(0, 5)) {
    const match = /\b(ses_[A-Za-z0-9]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/.exec(line);
    if (match !== null) return match[1];
  }
  return null;
}

function freshId(like) {
  const uuid = randomUUID();
  return like !== null && like.startsWith("ses_") ? `ses_${uuid.replaceAll("-", "").slice(0, 26)}` : uuid;
}

function log(file, entry) {
  if (stateDir !== null) appendFileSync(join(stateDir, file), `${JSON.stringify({ ...entry, at: Date.now() })}\n`);
}

async function readStdin() {
  if (process.stdin.isTTY) return "";
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function waitForFile(path) {
  while (!existsSync(path)) await sleep(20);
}

function sleep(ms) {
  return delay(ms);
}
