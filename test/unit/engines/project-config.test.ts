/**
 * `[projects.<alias>.<engine>]`: each becomes the whole config of that
 * project's runs, the engine's table with the project's keys over it, checked
 * by the engine's own schema; anything a project may not set is refused.
 */
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { loadConfigText } from "../../../src/config/load.js";
import { configuredEngineIds } from "../../../src/engines/availability.js";
import claude from "../../../src/engines/claude/index.js";
import codex from "../../../src/engines/codex/index.js";
import { projectConfigs } from "../../../src/engines/project-config.js";

const PATH = "/cfg/takopi.toml";

function config(text: string) {
  return loadConfigText(`[transports.telegram]\nbot_token = "1:t"\nchat_id = 1\n${text}`, PATH, { env: { HOME: "/home/me" } });
}

function engineTable(loaded: ReturnType<typeof config>, id: string): Record<string, unknown> {
  const table = loaded.raw[id];
  return typeof table === "object" && table !== null ? (table as Record<string, unknown>) : {};
}

describe("projectConfigs", () => {
  it("merges a project's keys over the engine table, keyed by the lower-cased alias", () => {
    const loaded = config(`[codex]\nprofile = "work"\n[projects.App]\npath = "/a"\n[projects.App.codex]\napproval_policy = "untrusted"\n[projects.other]\npath = "/b"\n`);
    const result = projectConfigs(loaded, codex, engineTable(loaded, "codex"));
    expect(result.ok && Object.keys(result.configs)).toEqual(["app"]);
    expect(result.ok && result.configs.app).toMatchObject({ profile: "work", approval_policy: "untrusted", backend: "app-server" });
  });

  it("claude: permission_mode, allowed_tools and dangerously_skip_permissions may be set per project", () => {
    const loaded = config(`[claude]\nmodel = "opus"\n[projects.app]\npath = "/a"\n[projects.app.claude]\npermission_mode = "default"\nallowed_tools = []\n`);
    const result = projectConfigs(loaded, claude, engineTable(loaded, "claude"));
    expect(result.ok && result.configs.app).toMatchObject({ model: "opus", permission_mode: "default", allowed_tools: [] });
  });

  it("refuses a bad value, a key no project may set, and a non-table, naming the key and the table to fix", () => {
    const bad = config(`[projects.app]\npath = "/a"\n[projects.app.codex]\napproval_policy = "always"\n`);
    expect(projectConfigs(bad, codex, {})).toEqual({
      ok: false,
      detail: '`projects.app.codex.approval_policy`: approval_policy must be one of: "never", "on-request", "untrusted"',
      fix: `fix the [projects.app.codex] table in ${PATH}`,
    });
    const model = config(`[projects.app]\npath = "/a"\n[projects.app.claude]\nmodel = "opus"\n`);
    expect(projectConfigs(model, claude, {})).toMatchObject({
      ok: false,
      detail: "`projects.app.claude.model` cannot be set per project (a project may set: permission_mode, allowed_tools, dangerously_skip_permissions; the rest goes in [claude])",
    });
    const scalar = config(`[projects.app]\npath = "/a"\ncodex = "untrusted"\n`);
    expect(projectConfigs(scalar, codex, {})).toMatchObject({ ok: false, detail: "`projects.app.codex`: expected a table of codex settings for project app" });
  });

  it("an engine that declares no project keys takes none", () => {
    const plugin = { id: "gemini", configSchema: z.object({ model: z.string().optional() }) };
    const loaded = config(`[projects.app]\npath = "/a"\n[projects.app.gemini]\nmodel = "x"\n`);
    expect(projectConfigs(loaded, plugin, {})).toMatchObject({ ok: false, detail: "`projects.app.gemini.model` cannot be set per project (gemini takes no settings per project)" });
    expect(projectConfigs(config(`[projects.app]\npath = "/a"\n`), plugin, {})).toEqual({ ok: true, configs: {} });
  });

  it("an engine with settings in a project is configured, so a missing CLI is a failure, not a skip", () => {
    const loaded = config(`[projects.app]\npath = "/a"\n[projects.app.claude]\npermission_mode = "default"\n`);
    expect(configuredEngineIds(loaded, ["claude", "codex", "pi"], "codex")).toEqual(["claude", "codex"]);
  });
});
