/**
 * `takopi init` in real git repositories: the project is the main checkout
 * (also from a subdirectory or a linked worktree), its alias a usable chat
 * command, and the config written is one `takopi run` accepts.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { parse } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { takopi } from "../support/cli.js";
import { gitRepo } from "../support/git-repo.js";
import { scratchDir, type ScratchDir } from "../support/scripts.js";

let dir: ScratchDir;
let home: string;
let configPath: string;

async function configTable(): Promise<Record<string, unknown>> {
  return parse(await readFile(configPath, "utf8"));
}

beforeEach(async () => {
  dir = await scratchDir("takopi-init-");
  home = join(dir.path, "home");
  await mkdir(home);
  configPath = join(home, ".takopi", "takopi.toml");
});

afterEach(async () => {
  await dir.dispose();
});

describe("takopi init", () => {
  it("registers the main checkout under an alias made from the directory name, from a subdirectory", async () => {
    const repo = await gitRepo(join(dir.path, "My App.v2"), "trunk");
    await mkdir(join(repo, "src", "deep"), { recursive: true });
    const result = await takopi(["init"], { home, cwd: join(repo, "src", "deep") });
    expect(result.exitCode).toBe(0);
    // A first project in a fresh config: what is still needed before `takopi run` is said, not fatal.
    expect(result.stderr).toContain("note: still to set:");
    expect(result.stderr).toContain("bot_token");
    expect(result.stdout.split("\n")[0]).toBe("saved project 'my_app_v2' to ~/.takopi/takopi.toml");
    expect(result.stdout).toContain("/my_app_v2 @<branch> <prompt>");
    expect(await configTable()).toEqual({ projects: { my_app_v2: { path: repo, worktrees_dir: ".worktrees", worktree_base: "trunk" } } });
  });

  it("from a linked worktree still registers the main checkout", async () => {
    const repo = await gitRepo(join(dir.path, "app"));
    const worktree = join(dir.path, "app-feature");
    await execa("git", ["worktree", "add", "-q", "-b", "feature", worktree], { cwd: repo });
    const result = await takopi(["init", "web", "--default", "--engine", "claude"], { home, cwd: worktree });
    expect(result.exitCode).toBe(0);
    const table = await configTable();
    expect(table.default_project).toBe("web");
    expect(table.projects).toEqual({ web: { path: repo, worktrees_dir: ".worktrees", worktree_base: "main", default_engine: "claude" } });
  });

  it("refuses to replace an existing project without --force, and keeps its other keys with it", async () => {
    const repo = await gitRepo(join(dir.path, "api"));
    expect((await takopi(["init"], { home, cwd: repo })).exitCode).toBe(0);
    expect((await takopi(["config", "set", "projects.api.chat_id", "-100123"], { home })).exitCode).toBe(0);

    const again = await takopi(["init"], { home, cwd: repo });
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toBe("takopi: project 'api' already exists in ~/.takopi/takopi.toml; use --force to replace it, or pick another alias");

    const forced = await takopi(["init", "--force"], { home, cwd: repo });
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout.split("\n")[0]).toBe("updated project 'api' to ~/.takopi/takopi.toml");
    expect((await configTable()).projects).toEqual({ api: { path: repo, worktrees_dir: ".worktrees", worktree_base: "main", chat_id: -100123 } });
  });

  it.each([
    ["cancel", "takopi: alias 'cancel' is a built-in chat command; pick another alias"],
    ["codex", "takopi: alias 'codex' is an engine id; pick another alias"],
    ["my-app", "takopi: alias 'my-app' is not usable as a chat command; use 1–32 of a-z, 0-9, _ (e.g. my_app)"],
  ])("refuses the alias %s with one line", async (alias, message) => {
    const repo = await gitRepo(join(dir.path, "x"));
    const result = await takopi(["init", alias], { home, cwd: repo });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(message);
  });

  it("outside git it still registers the directory, and says what will not work", async () => {
    const plain = join(dir.path, "notes");
    await mkdir(plain);
    const result = await takopi(["init"], { home, cwd: plain, env: { GIT_CEILING_DIRECTORIES: dir.path } });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("is not a git repository; @branch worktrees will not work there");
    expect((await configTable()).projects).toEqual({ notes: { path: plain, worktrees_dir: ".worktrees" } });
  });
});
