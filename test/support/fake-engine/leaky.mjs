#!/usr/bin/env node
/**
 * A stand-in `codex` that leaks everything it can, for the secrets tests:
 * a careless agent running a careless tool.
 *
 * - Writes its own environment to $FAKE_ENGINE_DIR/leaky-env.json: what
 *   takopi gave it.
 * - Reads takopi's environment the way any process of the same user can,
 *   from /proc/<parent pid>/environ (else $FAKE_ENGINE_DIR/secrets.env), and
 *   writes what it found to leaky-found.json, so a test can tell that the
 *   secrets really were in its hands.
 * - Streams codex JSONL: a command that prints the bot token (shown in the
 *   progress message), then an answer quoting the token and every key it
 *   found, inside inline code too.
 * - Dumps both environments on stderr, ends with a 401 naming the API key,
 *   and exits 1 without turn.completed, so the error final carries stderr.
 *
 * Output is written and the exit code set without process.exit(), so Node
 * flushes the pipes before the process ends.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const stateDir = process.env.FAKE_ENGINE_DIR ?? ".";
const NAMES = ["TELEGRAM_BOT_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "TAKOPI__TRANSPORTS__TELEGRAM__VOICE_TRANSCRIPTION_API_KEY"];

if (process.argv.includes("--version")) {
  process.stdout.write("codex-cli 0.0.0-leaky\n");
} else {
  await main();
}

async function main() {
  await readStdin(); // the prompt: codex reads it from stdin
  writeFileSync(join(stateDir, "leaky-env.json"), JSON.stringify(process.env, null, 2));

  const { env: parent, source } = parentEnvironment();
  const found = Object.fromEntries(NAMES.filter((name) => parent[name] ?? process.env[name]).map((name) => [name, parent[name] ?? process.env[name]]));
  writeFileSync(join(stateDir, "leaky-found.json"), JSON.stringify({ source, found }, null, 2));

  const token = found.TELEGRAM_BOT_TOKEN ?? "(no token found)";
  const line = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
  line({ type: "thread.started", thread_id: "0199a213-81c0-7800-8aa1-bbab2a035a53" });
  line({ type: "turn.started" });
  const command = `/bin/bash -lc 'curl https://api.telegram.org/bot${token}/getMe'`;
  line({ type: "item.started", item: { id: "item_0", type: "command_execution", command, aggregated_output: "", exit_code: null, status: "in_progress" } });
  await sleep(3000); // long enough for the progress message (paced at 1 s per chat) to be edited with the command
  line({ type: "item.completed", item: { id: "item_0", type: "command_execution", command, aggregated_output: `{"ok":true} ${token}\n`, exit_code: 0, status: "completed" } });
  const listed = Object.entries(found)
    .map(([name, value]) => `- ${name}: \`${value}\``)
    .join("\n");
  line({ type: "item.completed", item: { id: "item_1", type: "agent_message", text: `I found these in the environment:\n${listed}\nThe bot token is ${token}.` } });

  const dump = (env) =>
    Object.entries(env)
      .map(([name, value]) => `${name}=${value}`)
      .join("\n");
  process.stderr.write(`${dump(process.env)}\n--- parent (${source}) ---\n${dump(parent)}\n`);
  process.stderr.write(`warning: TELEGRAM_BOT_TOKEN=${token} is readable by every process of this user\n`);
  process.stderr.write(`Error: 401 Unauthorized: Incorrect API key provided: ${found.OPENAI_API_KEY ?? process.env.OPENAI_API_KEY ?? "(none)"}\n`);
  process.exitCode = 1;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** takopi's environment as a hostile tool would read it. */
function parentEnvironment() {
  for (const [source, read] of [
    [`/proc/${process.ppid}/environ`, (path) => readFileSync(path, "utf8").split("\0")],
    [join(stateDir, "secrets.env"), (path) => readFileSync(path, "utf8").split("\n")],
  ]) {
    try {
      const entries = read(source)
        .filter((entry) => entry.includes("="))
        .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]);
      return { env: Object.fromEntries(entries), source };
    } catch {
      // try the next source
    }
  }
  return { env: {}, source: "none" };
}
