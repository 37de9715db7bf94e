/**
 * `@branch` working directories against real git repositories in temp dirs:
 * creation from worktree_base, origin/<branch> and local
 * branches, reuse, the project root shortcut, and every way it must refuse.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureWorktree, resolveRunCwd, validateBranchName, WorktreeError, type WorktreeProject } from "../../src/core/worktrees.js";
import { scratchDir, type ScratchDir } from "../support/scripts.js";

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "takopi test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "takopi test",
  GIT_COMMITTER_EMAIL: "test@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_TERMINAL_PROMPT: "0",
};

/** Runs git for test setup and inspection (the code under test uses its own runner). */
async function gitIn(cwd: string, ...args: string[]): Promise<string> {
  const result = await execa("git", args, { cwd, env: GIT_ENV, timeout: 30_000 });
  return result.stdout.trim();
}

async function commit(repo: string, file: string, text: string): Promise<string> {
  writeFileSync(join(repo, file), text);
  await gitIn(repo, "add", file);
  await gitIn(repo, "commit", "-q", "-m", `add ${file}`);
  return gitIn(repo, "rev-parse", "HEAD");
}

async function initRepo(path: string, branch = "main"): Promise<string> {
  mkdirSync(path, { recursive: true });
  await gitIn(path, "init", "-q", "-b", branch);
  await commit(path, "README.md", "hello\n");
  return path;
}

function projectAt(path: string, overrides: Partial<WorktreeProject> = {}): WorktreeProject {
  return { path, worktrees_dir: join(path, ".worktrees"), worktree_base: null, ...overrides };
}

async function worktreePaths(repo: string): Promise<string[]> {
  const porcelain = await gitIn(repo, "worktree", "list", "--porcelain");
  return porcelain
    .split("\n")
    .filter((line) => line.startsWith("worktree "))
    .map((line) => line.slice("worktree ".length));
}

async function rejection(promise: Promise<unknown>): Promise<WorktreeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WorktreeError);
    return error as WorktreeError;
  }
  throw new Error("expected a WorktreeError, but the call succeeded");
}

let dir: ScratchDir;
let base: string;
beforeEach(async () => {
  dir = await scratchDir("takopi-worktrees-");
  base = realpathSync(dir.path);
});
afterEach(async () => {
  await dir.dispose();
});

describe("resolveRunCwd", () => {
  it("inherits the process cwd without a project", async () => {
    expect(await resolveRunCwd(null, {})).toBeNull();
    expect(await resolveRunCwd({ project: null, branch: "feat" }, {})).toBeNull();
  });

  it("refuses an unknown project, including names every object has", async () => {
    const repo = await initRepo(join(base, "app"));
    const projects = { app: projectAt(repo) };
    expect((await rejection(resolveRunCwd({ project: "nope" }, projects))).message).toBe("unknown project 'nope'");
    expect((await rejection(resolveRunCwd({ project: "constructor", branch: "x" }, projects))).message).toBe("unknown project 'constructor'");
  });

  it("runs in the project root without a branch, git repository or not", async () => {
    const repo = await initRepo(join(base, "app"));
    const plain = join(base, "plain");
    mkdirSync(plain);
    const projects = { app: projectAt(repo), plain: projectAt(plain) };
    expect(await resolveRunCwd({ project: "app", branch: null }, projects)).toBe(repo);
    expect(await resolveRunCwd({ project: "APP" }, projects)).toBe(repo);
    expect(await resolveRunCwd({ project: "plain" }, projects)).toBe(plain);
  });

  it("uses the project root when the branch is the one checked out there", async () => {
    const repo = await initRepo(join(base, "app"));
    expect(await resolveRunCwd({ project: "app", branch: " main " }, { app: projectAt(repo) })).toBe(repo);
    expect(existsSync(join(repo, ".worktrees"))).toBe(false);
    expect(await worktreePaths(repo)).toEqual([repo]);
  });

  it("creates a worktree for any other branch", async () => {
    const repo = await initRepo(join(base, "app"));
    const cwd = await resolveRunCwd({ project: "app", branch: "feat/api" }, { app: projectAt(repo) });
    expect(cwd).toBe(join(repo, ".worktrees", "feat", "api"));
    expect(await gitIn(cwd as string, "branch", "--show-current")).toBe("feat/api");
  });

  it("answers @branch in a directory that is not a git repository with a clear error and creates nothing", async () => {
    const plain = join(base, "plain");
    mkdirSync(plain);
    const error = await rejection(resolveRunCwd({ project: "plain", branch: "feat" }, { plain: projectAt(plain) }));
    expect(error.message).toBe(`${plain} is not a git repository, so @feat cannot get a worktree there (runs without @branch still work)`);
    expect(readdirSync(plain)).toEqual([]);
  });

  it("reports a missing project path", async () => {
    const gone = join(base, "gone");
    const error = await rejection(resolveRunCwd({ project: "gone", branch: "feat" }, { gone: projectAt(gone) }));
    expect(error.message).toBe(`project path not found: ${gone}`);
  });
});

describe("ensureWorktree", () => {
  it("creates a new branch from worktree_base", async () => {
    const repo = await initRepo(join(base, "app"));
    await gitIn(repo, "checkout", "-q", "-b", "develop");
    const developHead = await commit(repo, "develop.txt", "develop\n");
    await gitIn(repo, "checkout", "-q", "main");

    const path = await ensureWorktree(projectAt(repo, { worktree_base: "develop" }), "feat/one");

    expect(path).toBe(join(repo, ".worktrees", "feat", "one"));
    expect(await gitIn(path, "rev-parse", "HEAD")).toBe(developHead);
    expect(await gitIn(path, "branch", "--show-current")).toBe("feat/one");
    expect(existsSync(join(path, "develop.txt"))).toBe(true);
    expect(await gitIn(repo, "branch", "--show-current")).toBe("main");
  });

  it("resolves a relative worktrees_dir against the project", async () => {
    const repo = await initRepo(join(base, "app"));
    const path = await ensureWorktree(projectAt(repo, { worktrees_dir: "trees" }), "feat");
    expect(path).toBe(join(repo, "trees", "feat"));
    expect(await gitIn(path, "branch", "--show-current")).toBe("feat");
  });

  describe("with an origin", () => {
    let clone: string;
    let remoteOnlyHead: string;
    let mainHead: string;

    beforeEach(async () => {
      const origin = join(base, "origin.git");
      await gitIn(base, "init", "-q", "--bare", "-b", "main", origin);
      const seed = await initRepo(join(base, "seed"));
      mainHead = await gitIn(seed, "rev-parse", "HEAD");
      await gitIn(seed, "remote", "add", "origin", origin);
      await gitIn(seed, "push", "-q", "origin", "main");
      await gitIn(seed, "checkout", "-q", "-b", "remote-only");
      remoteOnlyHead = await commit(seed, "remote.txt", "from origin\n");
      await gitIn(seed, "push", "-q", "origin", "remote-only");
      clone = join(base, "clone");
      await gitIn(base, "clone", "-q", origin, clone);
    });

    it("checks out origin/<branch> as a tracking branch", async () => {
      const path = await ensureWorktree(projectAt(clone), "remote-only");

      expect(await gitIn(path, "rev-parse", "HEAD")).toBe(remoteOnlyHead);
      expect(await gitIn(path, "rev-parse", "--abbrev-ref", "remote-only@{upstream}")).toBe("origin/remote-only");
      expect(existsSync(join(path, "remote.txt"))).toBe(true);
    });

    it("starts new branches from origin's default branch, not whatever is checked out", async () => {
      await gitIn(clone, "checkout", "-q", "-b", "side");
      await commit(clone, "side.txt", "side\n");

      const path = await ensureWorktree(projectAt(clone), "feat/two");

      expect(await gitIn(path, "rev-parse", "HEAD")).toBe(mainHead);
      expect(existsSync(join(path, "side.txt"))).toBe(false);
    });
  });

  it("checks out an existing local branch", async () => {
    const repo = await initRepo(join(base, "app"));
    await gitIn(repo, "checkout", "-q", "-b", "existing");
    const existingHead = await commit(repo, "existing.txt", "x\n");
    await gitIn(repo, "checkout", "-q", "main");

    const path = await ensureWorktree(projectAt(repo), "existing");

    expect(await gitIn(path, "rev-parse", "HEAD")).toBe(existingHead);
    expect(await gitIn(path, "branch", "--show-current")).toBe("existing");
  });

  it("reuses an existing worktree without touching it", async () => {
    const repo = await initRepo(join(base, "app"));
    const project = projectAt(repo);
    const first = await ensureWorktree(project, "feat");
    writeFileSync(join(first, "work-in-progress.txt"), "keep me\n");

    const second = await ensureWorktree(project, "feat");

    expect(second).toBe(first);
    expect(existsSync(join(second, "work-in-progress.txt"))).toBe(true);
    expect(await worktreePaths(repo)).toEqual([repo, first]);
  });

  it("refuses a directory in the way that is not a worktree", async () => {
    const repo = await initRepo(join(base, "app"));
    const inTheWay = join(repo, ".worktrees", "foo");
    mkdirSync(inTheWay, { recursive: true });
    writeFileSync(join(repo, ".worktrees", "file"), "x");

    expect((await rejection(ensureWorktree(projectAt(repo), "foo"))).message).toBe(`${inTheWay} exists but is not a git worktree`);
    expect((await rejection(ensureWorktree(projectAt(repo), "file"))).message).toBe(`${join(repo, ".worktrees", "file")} exists but is not a git worktree`);
    expect(await gitIn(repo, "branch", "--list", "foo")).toBe("");
  });

  describe("invalid branch names", () => {
    const cases: [name: string, message: string][] = [
      ["", "branch name cannot be empty"],
      ["   ", "branch name cannot be empty"],
      ["..", "branch name cannot contain '..'"],
      ["../oops", "branch name cannot contain '..'"],
      ["feat/../../etc", "branch name cannot contain '..'"],
      ["/abs", "branch name cannot start with '/'"],
      [" /abs", "branch name cannot start with '/'"],
      ["a..b", "invalid branch name 'a..b'"],
      ["feature/", "invalid branch name 'feature/'"],
      ["has space", "invalid branch name 'has space'"],
      ["-rf", "invalid branch name '-rf'"],
      ["x.lock", "invalid branch name 'x.lock'"],
      ["@{-1}", "invalid branch name '@{-1}'"],
      ["what?", "invalid branch name 'what?'"],
    ];

    it.each(cases)("refuses %j before touching the repository", async (name, message) => {
      const repo = await initRepo(join(base, "app"));
      const branchesBefore = await gitIn(repo, "branch", "--list");

      const direct = await rejection(ensureWorktree(projectAt(repo), name));
      const routed = await rejection(resolveRunCwd({ project: "app", branch: name }, { app: projectAt(repo) }));

      expect(direct.message.startsWith(message)).toBe(true);
      expect(routed.message).toBe(direct.message);
      expect(existsSync(join(repo, ".worktrees"))).toBe(false);
      expect(await gitIn(repo, "branch", "--list")).toBe(branchesBefore);
    });

    it("says what git accepts", async () => {
      expect((await rejection(validateBranchName("a..b"))).message).toMatch(/cannot contain spaces, '\.\.'/);
      expect(await validateBranchName("  feat/ok  ")).toBe("feat/ok");
    });
  });

  describe("escape attempts", () => {
    let repo: string;
    let outside: string;
    beforeEach(async () => {
      repo = await initRepo(join(base, "app"));
      outside = join(base, "outside");
      mkdirSync(outside);
      mkdirSync(join(repo, ".worktrees"));
    });

    it("refuses a branch path through a symlink to a directory elsewhere", async () => {
      symlinkSync(outside, join(repo, ".worktrees", "evil"));
      const error = await rejection(ensureWorktree(projectAt(repo), "evil/x"));
      expect(error.message).toBe("branch path escapes the worktrees directory");
      expect(readdirSync(outside)).toEqual([]);
      expect(await gitIn(repo, "branch", "--list", "evil/x")).toBe("");
    });

    it("refuses a branch path through a dangling symlink", async () => {
      symlinkSync(join(outside, "not-yet"), join(repo, ".worktrees", "dangling"));
      const error = await rejection(ensureWorktree(projectAt(repo), "dangling/x"));
      expect(error.message).toBe("branch path escapes the worktrees directory");
      expect(readdirSync(outside)).toEqual([]);
    });

    it("refuses a symlink standing in for the worktree itself, even to a real worktree", async () => {
      const elsewhere = join(outside, "wt");
      await gitIn(repo, "worktree", "add", "-q", "-b", "link", elsewhere, "main");
      symlinkSync(elsewhere, join(repo, ".worktrees", "link"));
      const error = await rejection(resolveRunCwd({ project: "app", branch: "link" }, { app: projectAt(repo) }));
      expect(error.message).toBe("branch path escapes the worktrees directory");
    });

    it("allows the worktrees dir itself to be a symlink", async () => {
      const shared = join(outside, "trees");
      mkdirSync(shared);
      const project = projectAt(repo, { worktrees_dir: join(repo, "trees-link") });
      symlinkSync(shared, project.worktrees_dir);
      const path = await ensureWorktree(project, "feat");
      expect(path).toBe(join(repo, "trees-link", "feat"));
      expect(readdirSync(shared)).toEqual(["feat"]);
    });
  });

  it("shows git's own error text when git refuses", async () => {
    const repo = await initRepo(join(base, "app"));
    const error = await rejection(ensureWorktree(projectAt(repo, { worktree_base: "no-such-base" }), "feat"));
    expect(error.message).toMatch(/^fatal: .*no-such-base/);
    expect(existsSync(join(repo, ".worktrees", "feat"))).toBe(false);

    const checkedOut = await rejection(ensureWorktree(projectAt(repo), "main"));
    expect(checkedOut.message).toMatch(/^fatal: .*'main' is already (checked out|used by worktree)/);
  });

  it("says when there is no base to start a new branch from", async () => {
    const repo = await initRepo(join(base, "app"), "trunk");
    await gitIn(repo, "checkout", "-q", "--detach");
    const error = await rejection(ensureWorktree(projectAt(repo), "feat"));
    expect(error.message).toBe("cannot determine base branch for new worktree");
  });

  it("says when git is not on PATH", async () => {
    const repo = await initRepo(join(base, "app"));
    const emptyBin = join(base, "empty-bin");
    mkdirSync(emptyBin);
    const savedPath = process.env.PATH;
    process.env.PATH = emptyBin;
    try {
      expect((await rejection(ensureWorktree(projectAt(repo), "feat"))).message).toBe("git not available on PATH");
      expect((await rejection(resolveRunCwd({ project: "app", branch: "feat" }, { app: projectAt(repo) }))).message).toBe("git not available on PATH");
      expect(await resolveRunCwd({ project: "app" }, { app: projectAt(repo) })).toBe(repo);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it("creates a new worktree once when many messages ask for it at the same time", async () => {
    const repo = await initRepo(join(base, "app"));
    const project = projectAt(repo);

    const results = await Promise.allSettled([
      ...Array.from({ length: 6 }, () => ensureWorktree(project, "feat/race")),
      ...Array.from({ length: 3 }, () => resolveRunCwd({ project: "app", branch: "feat/race" }, { app: project })),
      ensureWorktree(project, "feat/other"),
      ensureWorktree(project, "feat/third"),
    ]);

    expect(results.map((result) => result.status)).toEqual(Array.from({ length: 11 }, () => "fulfilled"));
    const values = results.map((result) => (result.status === "fulfilled" ? result.value : null));
    expect(new Set(values.slice(0, 9))).toEqual(new Set([join(repo, ".worktrees", "feat", "race")]));
    expect((await worktreePaths(repo)).sort()).toEqual(
      [repo, join(repo, ".worktrees", "feat", "race"), join(repo, ".worktrees", "feat", "other"), join(repo, ".worktrees", "feat", "third")].sort(),
    );
  });
});
