// Standalone fake LLM server: `npm run fake-llm`
// (node --import ./scripts/register-ts.mjs test/support/fake-llm-main.ts).
// Env: PORT (default 18080; 0 = any), HOST (127.0.0.1), LOG (request log file,
// JSON lines; unset = no log), SCENARIO (default `text`), SLOW_MS (20000).
import { startFakeLlm } from "./fake-llm.js";

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return value;
}

const logFile = process.env.LOG;
const llm = await startFakeLlm({
  port: envInt("PORT", 18080),
  host: process.env.HOST ?? "127.0.0.1",
  scenario: process.env.SCENARIO ?? "text",
  slowMs: envInt("SLOW_MS", 20_000),
  ...(logFile !== undefined && logFile !== "" ? { logFile } : {}),
});

process.on("uncaughtException", (err) => {
  process.stderr.write(`fake-llm: uncaught ${err.stack ?? err.message}\n`);
});

process.stderr.write(`fake-llm listening on ${llm.url} scenario=${llm.scenario} log=${logFile ?? "(none)"}\n`);

const shutdown = (): void => {
  void llm.close().then(() => process.exit(0));
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
