/**
 * The engines that ship with takopi. Each is imported only when used, so
 * `takopi --help` and friends never load an engine module.
 */
import type { EngineBackend } from "./backend.js";

type Loader = () => Promise<EngineBackend>;

const LOADERS: Record<string, Loader> = {
  codex: async () => (await import("./codex.js")).default,
  claude: async () => (await import("./claude.js")).default,
  opencode: async () => (await import("./opencode.js")).default,
  pi: async () => (await import("./pi.js")).default,
};

export const BUILTIN_ENGINE_IDS: readonly string[] = Object.keys(LOADERS);

/** The built-in engine `id`, or null when there is none by that name. */
export async function loadBuiltinEngine(id: string): Promise<EngineBackend | null> {
  const load = Object.hasOwn(LOADERS, id) ? LOADERS[id] : undefined;
  return load ? load() : null;
}
