/**
 * A real git repository for tests: `git init` on `branch` and one commit, with
 * the user's and the system's git config kept out so tests behave the same
 * on every machine.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";

export const ISOLATED_GIT_ENV = { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };

/** Creates `path` (if needed) as a repository whose `branch` has one commit adding README.md. */
export async function gitRepo(path: string, branch = "main"): Promise<string> {
  await mkdir(path, { recursive: true });
  const git = (...args: string[]) => execa("git", args, { cwd: path, env: ISOLATED_GIT_ENV });
  await git("init", "-q", "-b", branch);
  await writeFile(join(path, "README.md"), "# scratch repository\n");
  await git("add", "README.md");
  await git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "init");
  return path;
}
