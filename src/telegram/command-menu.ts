/**
 * The bot's `/` command menu, sent with setMyCommands at start-up
 * and after each config reload: engines, projects, plugin commands, then the
 * built-ins. Telegram accepts at most 100 entries of `^[a-z0-9_]{1,32}$`.
 */
import { PLUGIN_ID_PATTERN } from "../plugins/ids.js";

export interface MenuCommand {
  command: string;
  description: string;
}

export interface MenuInput {
  /** Engines that can run now (missing or broken ones are left out). */
  engines: readonly string[];
  projectAliases: readonly string[];
  /** Enabled command plugins; descriptions come from their manifests, so nothing is imported. */
  plugins: readonly { id: string; description: string | null }[];
  topicsEnabled: boolean;
  filesEnabled: boolean;
}

/** Telegram's limit on the number of menu entries. */
export const MAX_MENU_COMMANDS = 100;

const BUILTINS_BEFORE_TOPIC: readonly MenuCommand[] = [
  { command: "new", description: "start a new thread" },
  { command: "ctx", description: "show or update context" },
  { command: "agent", description: "set default engine" },
  { command: "model", description: "set model override" },
  { command: "reasoning", description: "set reasoning override" },
  { command: "trigger", description: "set trigger mode" },
];
const CANCEL: MenuCommand = { command: "cancel", description: "cancel run" };

/** The menu, in spec order, without duplicates, capped so that `cancel` always survives. */
export function buildCommandMenu(input: MenuInput): { commands: MenuCommand[]; truncated: number } {
  const candidates: MenuCommand[] = [
    ...input.engines.map((id) => ({ command: id, description: `use engine: ${id}` })),
    ...input.projectAliases.map((alias) => ({ command: alias.toLowerCase(), description: `work on: ${alias}` })),
    ...input.plugins.map((plugin) => ({ command: plugin.id, description: plugin.description ?? `command: ${plugin.id}` })),
    ...BUILTINS_BEFORE_TOPIC,
    ...(input.topicsEnabled ? [{ command: "topic", description: "create or bind a topic" }] : []),
    ...(input.filesEnabled ? [{ command: "file", description: "upload or fetch files" }] : []),
    CANCEL,
  ];
  const seen = new Set<string>();
  const commands: MenuCommand[] = [];
  for (const candidate of candidates) {
    // An alias that is no valid command name gets no entry; typing `/My-App` still selects it as a directive.
    if (!PLUGIN_ID_PATTERN.test(candidate.command) || seen.has(candidate.command)) continue;
    seen.add(candidate.command);
    commands.push({ command: candidate.command, description: candidate.description.slice(0, 256) }); // Telegram's limit
  }
  if (commands.length <= MAX_MENU_COMMANDS) return { commands, truncated: 0 };
  const kept = commands.slice(0, MAX_MENU_COMMANDS);
  if (!kept.some((entry) => entry.command === CANCEL.command)) kept[MAX_MENU_COMMANDS - 1] = CANCEL;
  return { commands: kept, truncated: commands.length - MAX_MENU_COMMANDS };
}
