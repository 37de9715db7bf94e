/**
 * The few git questions takopi asks, answered by the real git binary (never
 * by parsing .git ourselves: worktrees, submodules and bare repos all differ).
 */
import { statSync } from "node:fs";
import { basename, dirname } from "node:path";
import { withoutTakopiSecrets } from "../secrets/names.js";
import { errorMessage } from "./errors.js";

export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /**
   * True when no `git` executable could be started from PATH. A `cwd` that is
   * not a directory fails to spawn as well, but is not reported as this.
   */
  gitNotFound: boolean;
}

export async function git(args: readonly string[], cwd: string): Promise<GitResult> {
  try {
    // Hooks run in this environment, and an agent can write hooks: no takopi secrets in it.
    const env = { ...withoutTakopiSecrets(process.env), GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" };
    // execa is ~130 modules: loaded with the first git question, not with every module that may ask one.
    const { execa } = await import("execa");
    const result = await execa("git", args, { cwd, reject: false, stdin: "ignore", env, extendEnv: false });
    if (result.exitCode === undefined) {
      // Spawn failures (git not installed, cwd gone) are answers too. Node
      // reports both as `spawn git ENOENT`; only a valid cwd tells them apart.
      const notFound = result.code === "ENOENT" && isDirectory(cwd);
      return { ok: false, stdout: "", stderr: result.shortMessage ?? "git could not be started", gitNotFound: notFound };
    }
    return { ok: result.exitCode === 0, stdout: result.stdout.trim(), stderr: result.stderr.trim(), gitNotFound: false };
  } catch (error) {
    return { ok: false, stdout: "", stderr: errorMessage(error), gitNotFound: false };
  }
}

/** Whether `ref` (a full name such as `refs/heads/main`) exists in `repo`. */
export async function refExists(repo: string, ref: string): Promise<boolean> {
  return (await git(["show-ref", "--verify", "--quiet", ref], repo)).ok;
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
 * The branch new worktrees start from when the project names none:
 * origin's default branch, else the current branch, else master or main.
 */
export async function defaultBaseBranch(repo: string): Promise<string | null> {
  const originHead = await git(["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], repo);
  if (originHead.ok && originHead.stdout.startsWith("origin/")) return originHead.stdout.slice("origin/".length);
  const current = await currentBranch(repo);
  if (current !== null) return current;
  for (const candidate of ["master", "main"]) {
    if (await refExists(repo, `refs/heads/${candidate}`)) return candidate;
  }
  return null;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
