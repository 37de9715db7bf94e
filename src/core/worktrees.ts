/**
 * Where a run happens: the project root, or — for
 * `@branch` — a git worktree of the project under its `worktrees_dir`,
 * created on first use with the real `git worktree add` and reused after.
 *
 * Every failure is a WorktreeError whose message is the text the user reads
 * (the bridge replies `error:\n<message>` and does not run).
 */
import { lstat, mkdir, readlink, realpath, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { ProjectSettings } from "../config/schema.js";
import { errorMessage } from "../util/errors.js";
import { currentBranch, defaultBaseBranch, git, refExists, type GitResult } from "../util/git.js";

/** A user-facing reason why a run cannot get its working directory. */
export class WorktreeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WorktreeError";
  }
}

/** What a worktree needs of a project: `path` absolute; `worktrees_dir` absolute or relative to `path`. */
export type WorktreeProject = Pick<ProjectSettings, "path" | "worktrees_dir" | "worktree_base">;

/** The project and branch a run is for; null fields mean "not chosen". */
export interface RunLocation {
  project?: string | null;
  branch?: string | null;
}

const GIT_MISSING = "git not available on PATH";

/**
 * The directory a run for `context` starts in: null without a project (the
 * run inherits takopi's own cwd), the project root without a branch or when
 * the branch is the one checked out there, otherwise the branch's worktree.
 * The branch checked out in the root and the branch's worktree (when it is
 * there already) are looked up together: each is a git process or two, and
 * they would add up before the run.
 */
export async function resolveRunCwd(context: RunLocation | null | undefined, projects: Readonly<Record<string, WorktreeProject>>): Promise<string | null> {
  if (context?.project == null) return null;
  const alias = context.project;
  const key = alias.toLowerCase();
  // Own keys only: a project called `constructor` must not find Object's.
  const project = Object.hasOwn(projects, key) ? projects[key] : undefined;
  if (project === undefined) throw new WorktreeError(`unknown project '${alias}'`);
  if (context.branch == null) return project.path;
  const branch = await validateBranchName(context.branch);
  const current = currentBranch(project.path);
  // A branch checked out in the root proves it is a repository; otherwise git is asked why not.
  const repository = current.then((name) => (name === null ? requireRepository(resolve(project.path), branch) : undefined));
  const existing = existingWorktree(project, branch, repository);
  // Neither is asked for when the root has the branch checked out.
  repository.catch(() => undefined);
  existing.catch(() => undefined);
  if ((await current) === branch) return project.path;
  return (await existing) ?? createWorktree(project, branch);
}

/**
 * The worktree for `branch` under the project's worktrees dir, created when
 * missing: from the local branch when it exists, else from `origin/<branch>`,
 * else as a new branch from `worktree_base` (or the repository's default).
 * Calls for the same project run one at a time, so two messages naming the
 * same new branch do not both try to create it.
 */
export async function ensureWorktree(project: WorktreeProject, branch: string): Promise<string> {
  const name = await validateBranchName(branch);
  return (await existingWorktree(project, name)) ?? createWorktree(project, name);
}

/**
 * The branch's worktree when it is there already (checked as ensureWorktree
 * reuses one: the root a repository, the path inside the worktrees dir and a
 * worktree's top level), or null. Touches nothing. `repository` is the
 * check that the root is a git repository, when the caller has one going.
 */
async function existingWorktree(project: WorktreeProject, name: string, repository?: Promise<unknown>): Promise<string | null> {
  const root = resolve(project.path);
  if (!(await isDirectory(root))) throw new WorktreeError(`project path not found: ${project.path}`);
  const worktreesRoot = resolve(root, project.worktrees_dir);
  const target = join(worktreesRoot, name);
  const isRepository = repository ?? requireRepository(root, name);
  const found = (async () => {
    await requireInside(worktreesRoot, target);
    if (!(await exists(target))) return null;
    await requireWorktreeRoot(target);
    return target;
  })();
  // Both run at once; a repository problem is reported first, as it is the first to fix.
  const [inRepository, worktree] = await Promise.allSettled([isRepository, found]);
  if (inRepository.status === "rejected") throw inRepository.reason;
  if (worktree.status === "rejected") throw worktree.reason;
  return worktree.value;
}

/** Creates the worktree (ensureWorktree), one creation per project at a time; reuses one made meanwhile. */
async function createWorktree(project: WorktreeProject, name: string): Promise<string> {
  const root = resolve(project.path);
  const worktreesRoot = resolve(root, project.worktrees_dir);
  return serializedPerProject(await physicalPath(root), async () => {
    const made = await existingWorktree(project, name);
    if (made !== null) return made;
    const target = join(worktreesRoot, name);
    try {
      await mkdir(worktreesRoot, { recursive: true });
    } catch (error) {
      throw new WorktreeError(`cannot create the worktrees directory ${worktreesRoot}: ${errorMessage(error)}`, { cause: error });
    }
    // The root exists now and may itself resolve elsewhere; check again against what is on disk.
    await requireInside(worktreesRoot, target);
    const args = await worktreeAddArgs(root, target, name, project.worktree_base);
    const result = await git(["worktree", "add", "--quiet", ...args], root);
    if (!result.ok) throw gitFailure(result, "git worktree add failed");
    return target;
  });
}

/** Names git accepted: its verdict depends on the name alone, so each is asked once (the newest 256 kept). */
const acceptedNames = new Set<string>();
const ACCEPTED_NAMES_KEPT = 256;

/**
 * The trimmed branch name, or a WorktreeError saying what is wrong with it.
 * Beyond upstream's checks, git itself (`check-ref-format --branch`) must
 * accept the name, so bad names fail here with a clear message rather than
 * deep inside `git worktree add`.
 */
export async function validateBranchName(raw: string): Promise<string> {
  const branch = raw.trim();
  if (branch === "") throw new WorktreeError("branch name cannot be empty");
  if (branch.startsWith("/")) throw new WorktreeError("branch name cannot start with '/'");
  if (branch.split("/").includes("..")) throw new WorktreeError("branch name cannot contain '..'");
  if (acceptedNames.has(branch)) return branch;
  // Run outside any repository: inside one, `--branch` expands `@{-1}` to the
  // previous branch, and the printed name must be exactly the one given.
  const checked = await git(["check-ref-format", "--branch", branch], "/");
  if (checked.gitNotFound) throw new WorktreeError(GIT_MISSING);
  if (!checked.ok || checked.stdout !== branch) {
    throw new WorktreeError(
      `invalid branch name '${branch}': git branch names cannot contain spaces, '..', '~', '^', ':', '?', '*', '[' or '\\', ` +
        "start with '-' or '.', or end with '/', '.' or '.lock'",
    );
  }
  acceptedNames.add(branch);
  if (acceptedNames.size > ACCEPTED_NAMES_KEPT) acceptedNames.delete(acceptedNames.values().next().value ?? branch);
  return branch;
}

/** `git worktree add` arguments after `add` (upstream's order: local branch, origin's branch, new branch from base). */
async function worktreeAddArgs(root: string, target: string, name: string, configuredBase: string | null): Promise<string[]> {
  if (await refExists(root, `refs/heads/${name}`)) return ["--", target, name];
  if (await refExists(root, `refs/remotes/origin/${name}`)) return ["-b", name, "--", target, `origin/${name}`];
  const base = configuredBase ?? (await defaultBaseBranch(root));
  if (base === null) throw new WorktreeError("cannot determine base branch for new worktree");
  return ["-b", name, "--", target, base];
}

async function requireRepository(root: string, branch: string): Promise<void> {
  const result = await git(["rev-parse", "--git-dir"], root);
  if (result.gitNotFound) throw new WorktreeError(GIT_MISSING);
  if (!result.ok) {
    throw new WorktreeError(`${root} is not a git repository, so @${branch} cannot get a worktree there (runs without @branch still work)`);
  }
}

/** An existing path is reused only when it is the top level of a git worktree. */
async function requireWorktreeRoot(target: string): Promise<void> {
  const notWorktree = new WorktreeError(`${target} exists but is not a git worktree`);
  if (!(await isDirectory(target))) throw notWorktree;
  const result = await git(["rev-parse", "--path-format=absolute", "--show-toplevel"], target);
  if (result.gitNotFound) throw new WorktreeError(GIT_MISSING);
  if (!result.ok || result.stdout === "") throw notWorktree;
  const [top, here] = await Promise.all([physicalPath(result.stdout), physicalPath(target)]);
  if (top !== here) throw notWorktree;
}

/**
 * The branch path must land inside the worktrees dir on disk, not just on
 * paper: a symlink inside the dir (to an existing directory or a dangling
 * one) must not send a worktree — and a run — somewhere else.
 */
async function requireInside(worktreesRoot: string, target: string): Promise<void> {
  const [rootOnDisk, targetOnDisk] = await Promise.all([physicalPath(worktreesRoot), physicalPath(target)]);
  const rel = relative(rootOnDisk, targetOnDisk);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new WorktreeError("branch path escapes the worktrees directory");
  }
}

/**
 * Where `path` is on disk: like realpath, but for paths that do not exist
 * yet — the resolved nearest existing ancestor plus the rest, with dangling
 * symlinks followed to where they point.
 */
async function physicalPath(path: string, hops = 0): Promise<string> {
  if (hops > 40) throw new WorktreeError(`too many symbolic links under ${path}`);
  try {
    return await realpath(path);
  } catch (error) {
    if (!isMissing(error)) throw new WorktreeError(`cannot resolve ${path}: ${errorMessage(error)}`, { cause: error });
  }
  const parent = dirname(path);
  if (parent === path) return path;
  let link: string | null = null;
  try {
    link = await readlink(path);
  } catch {
    // Not there, or not a symlink: resolve the parent instead.
  }
  if (link !== null) return physicalPath(resolve(dirname(path), link), hops + 1);
  return join(await physicalPath(parent, hops), basename(path));
}

function gitFailure(result: GitResult, fallback: string): WorktreeError {
  if (result.gitNotFound) return new WorktreeError(GIT_MISSING);
  return new WorktreeError(result.stderr || result.stdout || fallback);
}

/** Tail of the queue of ensureWorktree calls per project (realpath); removed when the last one ends. */
const projectQueues = new Map<string, Promise<void>>();

async function serializedPerProject<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = projectQueues.get(key) ?? Promise.resolve();
  const run = previous.then(task);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  projectQueues.set(key, tail);
  try {
    return await run;
  } finally {
    if (projectQueues.get(key) === tail) projectQueues.delete(key);
  }
}

/** lstat, so a dangling symlink counts as existing (and is then refused as not a worktree). */
async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw new WorktreeError(`cannot inspect ${path}: ${errorMessage(error)}`, { cause: error });
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
