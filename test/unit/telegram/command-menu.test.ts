import { describe, expect, it } from "vitest";
import { buildCommandMenu, MAX_MENU_COMMANDS } from "../../../src/telegram/command-menu.js";

const BASE = { engines: ["codex", "claude"], projectAliases: ["app", "My-Site"], plugins: [{ id: "reload", description: "restart takopi" }, { id: "status", description: null }], topicsEnabled: false, filesEnabled: false };

describe("buildCommandMenu", () => {
  it("lists engines, projects, plugins, then the built-ins with cancel last", () => {
    const { commands, truncated } = buildCommandMenu(BASE);
    expect(truncated).toBe(0);
    expect(commands.map((entry) => `${entry.command}: ${entry.description}`)).toEqual([
      "codex: use engine: codex",
      "claude: use engine: claude",
      "app: work on: app",
      "reload: restart takopi",
      "status: command: status",
      "new: start a new thread",
      "ctx: show or update context",
      "agent: set default engine",
      "model: set model override",
      "reasoning: set reasoning override",
      "trigger: set trigger mode",
      "cancel: cancel run",
    ]);
  });

  it("adds topic and file only when they are enabled, and skips duplicates", () => {
    const { commands } = buildCommandMenu({ ...BASE, projectAliases: ["app", "codex"], topicsEnabled: true, filesEnabled: true });
    const names = commands.map((entry) => entry.command);
    expect(names.slice(-3)).toEqual(["topic", "file", "cancel"]);
    expect(names.filter((name) => name === "codex")).toHaveLength(1);
  });

  it("caps the menu at Telegram's 100 entries and keeps cancel", () => {
    const projectAliases = Array.from({ length: 120 }, (_, i) => `p${i}`);
    const { commands, truncated } = buildCommandMenu({ ...BASE, projectAliases });
    expect(commands).toHaveLength(MAX_MENU_COMMANDS);
    expect(commands.at(-1)?.command).toBe("cancel");
    expect(truncated).toBe(2 + 120 + 2 + 6 + 1 - MAX_MENU_COMMANDS);
  });
});
