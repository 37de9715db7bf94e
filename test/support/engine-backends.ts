/**
 * The built-in engine backends imported straight from `src/`, for tests and
 * benchmarks that exercise translators without the plugin registry (which
 * loads the built `dist/` modules named in package.json).
 */
import type { EngineBackend } from "../../src/engines/backend.js";
import claude from "../../src/engines/claude/index.js";
import codex from "../../src/engines/codex/index.js";
import opencode from "../../src/engines/opencode/index.js";
import pi from "../../src/engines/pi/index.js";

export const ENGINE_BACKENDS: Readonly<Record<string, EngineBackend>> = {
  codex,
  claude,
  opencode,
  pi,
};

export const ENGINE_IDS: readonly string[] = Object.keys(ENGINE_BACKENDS);

export function engineBackend(id: string): EngineBackend {
  const backend = ENGINE_BACKENDS[id];
  if (!backend) throw new Error(`no built-in engine '${id}'`);
  return backend;
}
