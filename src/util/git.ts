/**
 * The few git questions takopi asks, answered by the real git binary (never
 * by parsing .git ourselves: worktrees, submodules and bare repos all differ).
 */
import { basename, dirname } from "node:path";
import { execa } from "execa";

export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export async function git(args: readonly string[], cwd: string): Promise<GitResult> {
  try {
    const result = await execa("git", args, { cwd, reject: false, stdin: "ignore", env: { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" } });
    return { ok: result.exitCode === 0, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
  } catch (error) {
    // Spawn failures (git not installed, cwd gone) are answers too.
    return { ok: false, stdout: "", stderr: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The main checkout of the repository `cwd` is in — for a linked worktree, the
 * checkout it was made from — or null when `cwd` is not in a git repository.
 */
export async function mainCheckout(cwd: string): Promise<string | null> {
  const common = await git(["rev-parse", "--path-format=absolute", "--git-common-dir"], cwd);
  if (!common.ok || common.stdout === "") return null;
  // A bare repository has no checkout; its directory is the best answer.
  if (basename(common.stdout) !== ".git") return common.stdout;
  return dirname(common.stdout);
}

/** The branch checked out in `repo`, or null (detached HEAD, not a repository). */
export async function currentBranch(repo: string): Promise<string | null> {
  const result = await git(["branch", "--show-current"], repo);
  return result.ok && result.stdout !== "" ? result.stdout : null;
}

/**
 * The branch new worktrees start from when the project names none (spec §22.3):
 * origin's default branch, else the current branch, else master or main.
 */
export async function defaultBaseBranch(repo: string): Promise<string | null> {
  const originHead = await git(["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], repo);
  if (originHead.ok && originHead.stdout.startsWith("origin/")) return originHead.stdout.slice("origin/".length);
  const current = await currentBranch(repo);
  if (current !== null) return current;
  for (const candidate of ["master", "main"]) {
    if ((await git(["show-ref", "--verify", "--quiet", `refs/heads/${candidate}`], repo)).ok) return candidate;
  }
  return null;
}
