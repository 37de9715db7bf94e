/**
 * Projects-directory discovery on real directories: hostile names, symlinks,
 * collisions, reserved ids, `.takopi.toml` and the base config's projects —
 * and, over random trees, that the config built from it always loads and
 * every project directory is exactly one project.
 */
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { aliasFromName, discoverProjects, fallbackAlias, type DiscoveryResult } from "../../../src/config/projects-dir.js";
import { buildDiscoveredConfig } from "../../../src/config/discovered-config.js";
import { ConfigError } from "../../../src/config/errors.js";
import { loadConfigText } from "../../../src/config/load.js";
import { BUILTIN_ENGINE_IDS, PLUGIN_ID_PATTERN, RESERVED_CHAT_COMMAND_IDS } from "../../../src/plugins/ids.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";
import { prng } from "../../support/prng.js";

let dir: ScratchDir;
let projectsDir: string;

beforeEach(async () => {
  dir = await scratchDir("takopi-discover-");
  projectsDir = join(dir.path, "projects");
  await mkdir(projectsDir);
});
afterEach(async () => {
  await dir.dispose();
});

async function makeDirs(...names: string[]): Promise<void> {
  for (const name of names) await mkdir(join(projectsDir, name));
}

async function projectFile(name: string, text: string): Promise<string> {
  await mkdir(join(projectsDir, name), { recursive: true });
  const file = join(projectsDir, name, ".takopi.toml");
  await writeFile(file, text);
  return file;
}

function aliases(result: DiscoveryResult): Record<string, string> {
  return Object.fromEntries(result.projects.map((project) => [project.directory, project.alias]));
}

describe("aliasFromName", () => {
  it.each([
    ["My App.v2", "my_app_v2"],
    ["café", "cafe"],
    ["Ｆｕｌｌ", "full"],
    ["repo.git", "repo"],
    ["日本語-app", "app"],
    ["project", "project"],
    ["a".repeat(40), "a".repeat(32)],
  ])("%s → %s", (name, alias) => {
    expect(aliasFromName(name)).toBe(alias);
  });

  it.each(["日本語", "🙂", "---", "日本.git"])("%s yields no alias, and its fallback is stable and valid", (name) => {
    expect(aliasFromName(name)).toBeNull();
    expect(fallbackAlias(name)).toMatch(/^project_[0-9a-f]{8}$/);
    expect(fallbackAlias(name)).toBe(fallbackAlias(name));
  });
});

describe("discoverProjects", () => {
  it("turns hostile names into valid, distinct aliases and reports every rename", async () => {
    await makeDirs("My App", "my-app", "cancel", "codex", "new", "日本語", "café", "with space", "dots.in.name", "a".repeat(40), `${"a".repeat(39)}b`);
    const result = await discoverProjects({ projectsDir });
    expect(aliases(result)).toEqual({
      "My App": "my_app",
      "my-app": "my_app_2",
      cancel: "cancel_project",
      codex: "codex_project",
      new: "new_project",
      日本語: fallbackAlias("日本語"),
      café: "cafe",
      "with space": "with_space",
      "dots.in.name": "dots_in_name",
      ["a".repeat(40)]: "a".repeat(32),
      [`${"a".repeat(39)}b`]: `${"a".repeat(30)}_2`,
    });
    expect(result.renamed).toEqual([
      { directory: `${"a".repeat(39)}b`, wanted: "a".repeat(32), alias: `${"a".repeat(30)}_2`, reason: `${"a".repeat(32)} is already taken by directory "${"a".repeat(40)}"` },
      { directory: "cancel", wanted: "cancel", alias: "cancel_project", reason: "/cancel is a built-in chat command" },
      { directory: "codex", wanted: "codex", alias: "codex_project", reason: "/codex selects the codex engine" },
      { directory: "my-app", wanted: "my_app", alias: "my_app_2", reason: 'my_app is already taken by directory "My App"' },
      { directory: "new", wanted: "new", alias: "new_project", reason: "/new is a built-in chat command" },
      { directory: "日本語", wanted: null, alias: fallbackAlias("日本語"), reason: "the name has no letters a-z or digits to make an alias from" },
    ]);
    expect(result.projects.map((project) => project.alias)).toEqual([...result.projects.map((project) => project.alias)].sort());
    expect(result.projects.find((project) => project.directory === "My App")?.path).toBe(join(projectsDir, "My App"));
  });

  it("gives the same aliases whatever order the directories were created in", async () => {
    const names = ["b-app", "B App", "b_app", "cancel", "cancel_project"];
    await makeDirs(...names);
    const first = aliases(await discoverProjects({ projectsDir }));
    await dir.dispose();
    await mkdir(projectsDir, { recursive: true });
    await makeDirs(...[...names].reverse());
    expect(aliases(await discoverProjects({ projectsDir }))).toEqual(first);
    // A directory named exactly like an alias keeps it; the others follow in code-unit order ("B App" < "b-app").
    expect(first).toEqual({ "B App": "b_app_2", "b-app": "b_app_3", b_app: "b_app", cancel: "cancel_project_2", cancel_project: "cancel_project" });
  });

  it("skips hidden entries and non-directories, follows symlinks to directories, and says why", async () => {
    await makeDirs(".hidden", "real");
    await writeFile(join(projectsDir, "notes.txt"), "x");
    await symlink(join(projectsDir, "real"), join(projectsDir, "linked"));
    await symlink(join(projectsDir, "notes.txt"), join(projectsDir, "to-file"));
    await symlink(join(dir.path, "gone"), join(projectsDir, "dangling"));
    await symlink(join(projectsDir, "loop"), join(projectsDir, "loop"));
    const result = await discoverProjects({ projectsDir });
    expect(result.projects.map((project) => [project.alias, project.path, project.viaSymlink])).toEqual([
      ["linked", join(projectsDir, "linked"), true],
      ["real", join(projectsDir, "real"), false],
    ]);
    expect(result.skipped).toEqual([
      { name: ".hidden", reason: "hidden (the name starts with a dot)" },
      { name: "dangling", reason: "dangling symlink (its target does not exist)" },
      { name: "loop", reason: "symlink loop" },
      { name: "notes.txt", reason: "not a directory" },
      { name: "to-file", reason: "symlink to something that is not a directory" },
    ]);
    expect(result.warnings).toEqual([`${join(projectsDir, "real")} is the same directory as ${join(projectsDir, "linked")}; both become projects`]);
  });

  it("finds nothing in an empty directory, and refuses a missing one or a file", async () => {
    expect(await discoverProjects({ projectsDir })).toEqual({ projectsDir, projects: [], skipped: [], renamed: [], warnings: [] });
    await expect(discoverProjects({ projectsDir: join(dir.path, "nope") })).rejects.toThrow(new ConfigError(`projects directory ${join(dir.path, "nope")} does not exist`));
    const file = await dir.file("plain", "");
    await expect(discoverProjects({ projectsDir: file })).rejects.toThrow(`projects directory ${file} is not a directory`);
  });

  it("tells a git repository from a plain directory", async () => {
    await makeDirs("plain", "repo");
    await mkdir(join(projectsDir, "repo", ".git"));
    const result = await discoverProjects({ projectsDir });
    expect(result.projects.map((project) => [project.alias, project.isGitRepo])).toEqual([
      ["plain", false],
      ["repo", true],
    ]);
  });
});

describe("discoverProjects: .takopi.toml", () => {
  it("applies alias, engine, worktree and chat settings; explicit aliases claim before derived ones", async () => {
    await projectFile("Backend", 'alias = "API"\ndefault_engine = "Claude"\nworktree_base = "trunk"\nworktrees_dir = "../wt"\nchat_id = "-1001"\n');
    await makeDirs("api");
    const result = await discoverProjects({ projectsDir });
    expect(result.warnings).toEqual([]);
    expect(result.projects).toEqual([
      {
        alias: "api",
        directory: "Backend",
        path: join(projectsDir, "Backend"),
        defaultEngine: "claude",
        worktreeBase: "trunk",
        worktreesDir: "../wt",
        chatId: -1001,
        isGitRepo: false,
        viaSymlink: false,
      },
      expect.objectContaining({ alias: "api_2", directory: "api", defaultEngine: null, chatId: null }),
    ]);
    expect(result.renamed).toEqual([{ directory: "api", wanted: "api", alias: "api_2", reason: 'api is already taken by directory "Backend"' }]);
  });

  it("reports each bad key with its file, and the project keeps defaults for those keys only", async () => {
    const file = await projectFile("web", 'alias = "my-web"\ndefault_engine = "gpt"\nchat_id = 1.5\nworktree_base = "dev"\ndefault_engin = "x"\n');
    const result = await discoverProjects({ projectsDir });
    expect(result.projects).toEqual([expect.objectContaining({ alias: "web", defaultEngine: null, chatId: null, worktreeBase: "dev" })]);
    expect(result.warnings).toEqual([
      `${file}: \`alias\` must be 1–32 of a-z, 0-9 and _, found the string "my-web"; using the default`,
      `${file}: \`default_engine\` is "gpt", which is not an engine (available: codex, claude, opencode, pi); using the default`,
      `${file}: \`chat_id\` must be an integer chat id, found the number 1.5; using the default`,
      `${file}: unknown key \`default_engin\` (ignored); did you mean \`default_engine\`?`,
    ]);
  });

  it("an engine table in a project's own file is refused with why: the agent can write it, so approvals live in takopi.toml", async () => {
    const file = await projectFile("web", 'default_engine = "claude"\n[codex]\napproval_policy = "never"\n');
    const result = await discoverProjects({ projectsDir });
    expect(result.projects).toEqual([expect.objectContaining({ alias: "web", defaultEngine: "claude" })]);
    expect(result.warnings).toEqual([
      `${file}: [codex] is ignored: an engine's settings for a project (approvals) are not read from the project itself, which the agent can write; set them in takopi.toml as [projects.<alias>.codex]`,
    ]);
  });

  it("an unparsable file gives defaults and a warning naming the file and line", async () => {
    const file = await projectFile("notes", 'alias = "notes\n');
    const result = await discoverProjects({ projectsDir });
    expect(result.projects).toEqual([expect.objectContaining({ alias: "notes", defaultEngine: null })]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1:\\d+: invalid TOML: .*; the project gets default settings$`));
  });

  it("an explicit alias that is reserved is renamed like a derived one", async () => {
    await projectFile("stuff", 'alias = "file"\n');
    const result = await discoverProjects({ projectsDir, engineIds: ["codex", "gemini"], commandIds: ["reload"] });
    await makeDirs("gemini", "reload");
    const again = await discoverProjects({ projectsDir, engineIds: ["codex", "gemini"], commandIds: ["reload"] });
    expect(aliases(result)).toEqual({ stuff: "file_project" });
    expect(aliases(again)).toEqual({ stuff: "file_project", gemini: "gemini_project", reload: "reload_project" });
    expect(again.renamed.map((rename) => rename.reason)).toEqual([
      "/gemini selects the gemini engine",
      "/reload is the command of an installed plugin",
      "/file is a built-in chat command",
    ]);
  });
});

describe("discoverProjects: projects of the base config", () => {
  it("keeps their aliases and does not add their directories again", async () => {
    await makeDirs("notes", "web", "web-link-target");
    await symlink(join(projectsDir, "web"), join(projectsDir, "web-link"));
    const result = await discoverProjects({
      projectsDir,
      configured: [
        { alias: "notes", path: join(dir.path, "elsewhere") },
        { alias: "site", path: join(projectsDir, "web") },
      ],
    });
    expect(aliases(result)).toEqual({ notes: "notes_2", "web-link-target": "web_link_target" });
    expect(result.renamed).toEqual([{ directory: "notes", wanted: "notes", alias: "notes_2", reason: "notes is already taken by [projects.notes] in the base config" }]);
    expect(result.skipped).toEqual([
      { name: "web", reason: "already in the base config as [projects.site]" },
      { name: "web-link", reason: "already in the base config as [projects.site]" },
    ]);
  });
});


/** Pieces of names that have broken something somewhere. */
const PIECES = ["a", "B", "z9", "_", "-", ".", " ", "  ", "\t", "\n", '"', "'", "\\", "[", "]", "=", "#", "é", "日本", "🙂", "\u0001", "\u007f", "\u200b", "cancel", "codex", "new", ".git", "project", "x".repeat(20)];

function randomName(rand: () => number): string {
  const parts = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => PIECES[Math.floor(rand() * PIECES.length)] ?? "a");
  return parts.join("");
}

describe("discoverProjects: any tree", () => {
  it.each(Array.from({ length: 25 }, (_, index) => index + 1))("seed %i: the built config parses, loads, and has one project per directory", async (seed) => {
    const rand = prng(seed);
    const tree = join(dir.path, `tree-${seed}`);
    await mkdir(tree);
    const made = new Set<string>();
    for (let i = 0; i < 12; i += 1) {
      const name = randomName(rand);
      if (made.has(name) || name === "." || name === "..") continue;
      await mkdir(join(tree, name));
      made.add(name);
    }
    const visible = [...made].filter((name) => !name.startsWith("."));

    const discovery = await discoverProjects({ projectsDir: tree });
    const { table } = buildDiscoveredConfig({ base: {}, discovery, env: { TELEGRAM_BOT_TOKEN: "1:token", TELEGRAM_CHAT_ID: "5" } });
    const text = stringify(table);
    expect(() => parse(text)).not.toThrow();
    const loaded = loadConfigText(text, join(dir.path, "out.toml"), { env: { HOME: dir.path }, engineIds: BUILTIN_ENGINE_IDS });

    expect(discovery.projects.map((project) => project.directory).sort()).toEqual([...visible].sort());
    const byPath = new Map(Object.entries(loaded.settings.projects).map(([alias, project]) => [project.path, alias]));
    expect(byPath.size).toBe(visible.length);
    for (const name of visible) expect(byPath.has(join(tree, name)), `directory ${JSON.stringify(name)}`).toBe(true);
    for (const alias of byPath.values()) {
      expect(alias).toMatch(PLUGIN_ID_PATTERN);
      expect([...RESERVED_CHAT_COMMAND_IDS, ...BUILTIN_ENGINE_IDS]).not.toContain(alias);
    }
  });
});
