// Standalone fake LLM server: `node test/support/fake-llm-main.ts`.
// Env: PORT (default 18080; 0 = any), HOST (127.0.0.1), LOG (request log file,
// JSON lines; unset = no log), SCENARIO (default `text`), SLOW_MS (20000).
//
// Node strips the types of this file natively. The library uses `.js` import
// specifiers (module "nodenext"), so a resolve hook maps `./x.js` to `./x.ts`
// before the library is imported dynamically.
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL;
    if (parent?.startsWith("file:") === true && /^\.\.?\//.test(specifier) && specifier.endsWith(".js")) {
      const ts = new URL(`${specifier.slice(0, -3)}.ts`, parent);
      if (!existsSync(fileURLToPath(new URL(specifier, parent))) && existsSync(fileURLToPath(ts))) {
        return nextResolve(ts.href, context);
      }
    }
    return nextResolve(specifier, context);
  },
});

const { startFakeLlm } = await import("./fake-llm.js");

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
