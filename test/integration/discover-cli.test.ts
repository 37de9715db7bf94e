/**
 * `takopi discover` as the container entrypoint runs it: a real process over
 * real directories (git repositories, symlinks, hostile names), writing a
 * config that takopi's own loader accepts, with a summary that says what
 * happened to every entry — or one line and no file when it cannot.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { parse } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { takopi } from "../support/cli.js";
import { scratchDir, type ScratchDir } from "../support/scripts.js";
import { gitRepo } from "../support/git-repo.js";

const EXAMPLE = fileURLToPath(new URL("../../projects.example", import.meta.url));

let dir: ScratchDir;
let home: string;
let projectsDir: string;
let outPath: string;

beforeEach(async () => {
  dir = await scratchDir("takopi-discover-cli-");
  home = join(dir.path, "home");
  projectsDir = join(dir.path, "projects");
  outPath = join(home, ".takopi", "takopi.toml");
  await mkdir(home);
  await mkdir(projectsDir);
});

afterEach(async () => {
  await dir.dispose();
});

const READY = { TELEGRAM_BOT_TOKEN: "123456789:ABCdefGHIjklMNOpqrSTUvwxYZ012345678", TELEGRAM_CHAT_ID: "123456789" };

function discover(args: string[] = [], env: Record<string, string> = {}) {
  return takopi(["discover", "--projects-dir", projectsDir, "--out", outPath, ...args], { home, env });
}

function expectRefused(result: Awaited<ReturnType<typeof takopi>>, code: number, message: string): void {
  expect(result.exitCode).toBe(code);
  expect(result.stderr).toBe(message);
  expect(result.stdout).toBe("");
  expect(existsSync(outPath)).toBe(false);
}

describe("takopi discover", () => {
  it("turns projects.example into two projects", async () => {
    const result = await takopi(["discover", "--projects-dir", EXAMPLE, "--out", outPath], { home, env: READY });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      [
        `2 projects in ${EXAMPLE}:`,
        "  hello_web ← hello-web: engine codex (default), not a git repository",
        "  notes     ← notes: engine claude, not a git repository",
        `wrote ${outPath}`,
      ].join("\n"),
    );
    expect(parse(await readFile(outPath, "utf8"))).toEqual({
      transport: "telegram",
      projects_dir: EXAMPLE,
      transports: { telegram: { bot_token: READY.TELEGRAM_BOT_TOKEN, chat_id: 123456789 } },
      projects: { hello_web: { path: join(EXAMPLE, "hello-web") }, notes: { path: join(EXAMPLE, "notes"), default_engine: "claude" } },
    });
    // Holds the bot token: readable by its owner only.
    expect((await stat(outPath)).mode & 0o777).toBe(0o600);
    const loaded = await loadConfig(outPath, { env: { HOME: home } });
    expect(Object.keys(loaded.settings.projects)).toEqual(["hello_web", "notes"]);
  });

  it("makes every hostile directory one project, and reports every rename and skip", async () => {
    const long = "x".repeat(40);
    for (const name of ["My App", "my-app", "cancel", "codex", "new", "日本語", "café", "dots.v2", long]) await mkdir(join(projectsDir, name));
    await gitRepo(join(projectsDir, "repo"));
    await mkdir(join(projectsDir, ".cache"));
    await writeFile(join(projectsDir, "notes.txt"), "not a project");
    await mkdir(join(dir.path, "outside"));
    await symlink(join(dir.path, "outside"), join(projectsDir, "linked"));
    await symlink(join(projectsDir, "notes.txt"), join(projectsDir, "to-file"));
    await symlink(join(dir.path, "gone"), join(projectsDir, "dangling"));
    await writeFile(join(projectsDir, "café", ".takopi.toml"), 'alias = "Kitchen"\ndefault_engine = "pi"\nchat_id = "oops"\n');

    const result = await discover([], READY);
    expect(result.exitCode).toBe(0);
    const [jp] = Object.entries(parse(await readFile(outPath, "utf8")).projects as Record<string, { path: string }>).find(([, p]) => p.path.endsWith("日本語")) ?? [];
    expect(jp).toMatch(/^project_[0-9a-f]{8}$/);
    const row = (alias: string, rest: string) => `  ${alias.padEnd(32)} ← ${rest}`;
    expect(result.stdout).toBe(
      [
        `11 projects in ${projectsDir}:`,
        row("cancel_project", "cancel: engine codex (default), not a git repository"),
        row("codex_project", "codex: engine codex (default), not a git repository"),
        row("dots_v2", "dots.v2: engine codex (default), not a git repository"),
        row("kitchen", "café: engine pi, not a git repository"),
        row("linked", "linked: engine codex (default), not a git repository, symlink"),
        row("my_app", "My App: engine codex (default), not a git repository"),
        row("my_app_2", "my-app: engine codex (default), not a git repository"),
        row("new_project", "new: engine codex (default), not a git repository"),
        row(jp ?? "", "日本語: engine codex (default), not a git repository"),
        row("repo", "repo: engine codex (default), git"),
        row("x".repeat(32), `${long}: engine codex (default), not a git repository`),
        "renamed:",
        "  cancel → cancel_project (not cancel): /cancel is a built-in chat command",
        "  codex → codex_project (not codex): /codex selects the codex engine",
        '  my-app → my_app_2 (not my_app): my_app is already taken by directory "My App"',
        "  new → new_project (not new): /new is a built-in chat command",
        `  日本語 → ${jp}: the name has no letters a-z or digits to make an alias from`,
        "skipped:",
        "  .cache: hidden (the name starts with a dot)",
        "  dangling: dangling symlink (its target does not exist)",
        "  notes.txt: not a directory",
        "  to-file: symlink to something that is not a directory",
        `wrote ${outPath}`,
      ].join("\n"),
    );
    expect(result.stderr).toBe(`warning: ${join(projectsDir, "café", ".takopi.toml")}: \`chat_id\` must be an integer chat id, found the string "oops"; using the default`);

    const loaded = await loadConfig(outPath, { env: { HOME: home } });
    expect(Object.keys(loaded.settings.projects)).toHaveLength(11);
    expect(loaded.settings.projects.linked?.path).toBe(join(projectsDir, "linked"));
    expect(loaded.settings.projects.kitchen?.default_engine).toBe("pi");
  });

  it("an empty projects directory still writes a config, and says what is missing", async () => {
    const result = await discover();
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      [
        `0 projects in ${projectsDir}`,
        `wrote ${outPath}`,
        "not ready for takopi run yet; still to set: TELEGRAM_BOT_TOKEN (transports.telegram.bot_token), TELEGRAM_CHAT_ID (transports.telegram.chat_id)",
      ].join("\n"),
    );
    expect(parse(await readFile(outPath, "utf8"))).toEqual({ transport: "telegram", projects_dir: projectsDir, projects: {} });
  });

  it("keeps the base file's settings and projects; the environment wins over it", async () => {
    await mkdir(join(projectsDir, "notes"));
    await mkdir(join(projectsDir, "site"));
    const base = await dir.file(
      "base.toml",
      [
        'default_engine = "claude"',
        "[transports.telegram]",
        'bot_token = "111:base-token"',
        "chat_id = 1",
        "[projects.notes]",
        'path = "elsewhere/notes"',
        "[projects.web]",
        'path = "projects/site"',
        "chat_id = -100",
        "[codex]",
        'model = "o3"',
        "",
      ].join("\n"),
    );
    const result = await discover(["--base", base], { ...READY, TAKOPI_DEFAULT_PROJECT: "web" });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      [
        `1 project in ${projectsDir}:`,
        "  notes_2 ← notes: engine claude (default), not a git repository",
        "from the base config: notes, web",
        "renamed:",
        "  notes → notes_2 (not notes): notes is already taken by [projects.notes] in the base config",
        "skipped:",
        "  site: already in the base config as [projects.web]",
        "default project: web",
        `wrote ${outPath}`,
      ].join("\n"),
    );
    expect(parse(await readFile(outPath, "utf8"))).toEqual({
      transport: "telegram",
      projects_dir: projectsDir,
      default_engine: "claude",
      default_project: "web",
      transports: { telegram: { bot_token: READY.TELEGRAM_BOT_TOKEN, chat_id: 123456789 } },
      projects: {
        notes: { path: join(dir.path, "elsewhere", "notes") },
        notes_2: { path: join(projectsDir, "notes") },
        web: { path: join(projectsDir, "site"), chat_id: -100 },
      },
      codex: { model: "o3" },
    });
  });

  it("a missing base file is a note, not an error", async () => {
    const result = await discover(["--base", join(dir.path, "none.toml")], READY);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe(`note: base config ${join(dir.path, "none.toml")} does not exist; starting from an empty one`);
  });

  it("a missing projects directory: one line, no stack trace, nothing written", async () => {
    const result = await takopi(["discover", "--projects-dir", join(dir.path, "nope"), "--out", outPath], { home });
    expectRefused(result, 1, `takopi: projects directory ${join(dir.path, "nope")} does not exist`);
  });

  it("a bad environment variable: one line, nothing written", async () => {
    const result = await discover([], { TELEGRAM_CHAT_ID: "@me" });
    expectRefused(result, 1, 'takopi: TELEGRAM_CHAT_ID must be an integer chat id such as 123456789 or -1001234567890, found "@me"');
  });

  it("the same file as base and output is refused", async () => {
    const result = await discover(["--base", outPath]);
    expectRefused(result, 2, `takopi: --base and --out are both ${outPath}; the output is regenerated from the base at every start, so they must differ`);
  });

  it("a base config the loader rejects writes nothing and says why", async () => {
    const base = await dir.file("base.toml", '[transports.telegram]\nsession_mode = "group"\n');
    const result = await discover(["--base", base], READY);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(`takopi: ${outPath}: \`transports.telegram.session_mode\` must be one of "stateless", "chat", found the string "group"`);
    expect(existsSync(outPath)).toBe(false);
  });

  it("replaces the previous output: a removed directory is no longer a project", async () => {
    await mkdir(join(projectsDir, "old"));
    expect((await discover([], READY)).exitCode).toBe(0);
    await execa("rmdir", [join(projectsDir, "old")]);
    await mkdir(join(projectsDir, "new-one"));
    expect((await discover([], READY)).exitCode).toBe(0);
    expect(Object.keys(parse(await readFile(outPath, "utf8")).projects as object)).toEqual(["new_one"]);
  });
});
