// @ts-check
/**
 * `/projects`: the projects takopi knows (in the container: the directories
 * of the mounted projects folder), with their default engine and the branches
 * that have a worktree, and how to add one.
 *
 * Its `started` hook watches the projects folder: when a directory appears or
 * disappears the main chat is told to `/reload` — or, with
 * `[plugins.projects] auto_reload = true`, takopi reloads by itself as soon as
 * no engine is running.
 */
import { execFile } from "node:child_process";
import { basename } from "node:path";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { promisify } from "node:util";
import { watch } from "chokidar";

/** @import { BridgeRuntime, CommandBackend, CommandContext, CommandResult, ProjectInfo, StartupContext } from "takopi" */

const execFileAsync = promisify(execFile);
/** Changes arriving together (an unpacked repo, a `mv`) make one message. */
const SETTLE_MS = 2000;
const IDLE_POLL_MS = 2000;

/** @type {CommandBackend} */
const projects = {
  id: "projects",
  description: "list projects and their branches",

  /**
   * @param {CommandContext} ctx
   * @returns {Promise<CommandResult>}
   */
  async handle(ctx) {
    const list = ctx.runtime.projects();
    const dir = projectsDir(ctx.pluginConfig);
    const howToAdd =
      dir === null
        ? "add one: run `takopi init` in a git repository, or add [projects.<alias>] to takopi.toml."
        : `add one: create a directory in ${dir} (on the host: the mounted projects folder), then /reload.`;
    if (list.length === 0) return { text: `no projects yet.\n${howToAdd}` };
    const defaultEngine = ctx.runtime.defaultEngine();
    const defaultProject = ctx.runtime.config().settings.default_project;
    const blocks = await Promise.all(list.map((project) => describeProject(project, defaultEngine, defaultProject)));
    return { text: `${blocks.join("\n\n")}\n\n${howToAdd}\nuse one: /<alias> your prompt, or /<alias> @branch your prompt for a worktree.` };
  },

  /** @param {StartupContext} ctx */
  async started(ctx) {
    const dir = projectsDir(ctx.pluginConfig);
    if (dir === null) return;
    watchProjects(ctx, dir);
  },
};
export default projects;

/**
 * `[plugins.projects] dir`, else `$TAKOPI_PROJECTS_DIR` (set by the container); null outside the container.
 * @param {Record<string, unknown>} config
 * @returns {string | null}
 */
function projectsDir(config) {
  if (typeof config.dir === "string" && config.dir !== "") return config.dir;
  const fromEnv = process.env.TAKOPI_PROJECTS_DIR;
  return fromEnv === undefined || fromEnv === "" ? null : fromEnv;
}

/**
 * @param {ProjectInfo} project
 * @param {string} defaultEngine
 * @param {string | null} defaultProject
 */
async function describeProject(project, defaultEngine, defaultProject) {
  const marks = [`engine: ${project.defaultEngine ?? `${defaultEngine} (default)`}`];
  if (project.alias === defaultProject) marks.push("default project");
  if (project.chatId !== null) marks.push(`chat ${project.chatId}`);
  const lines = [`/${project.alias} — ${project.path}`, `  ${marks.join(", ")}`];
  const branches = await worktreeBranches(project.path);
  if (branches === null) lines.push("  not a git repository: @branch is not available");
  else lines.push(`  branches with a worktree: ${branches.length > 0 ? branches.join(", ") : "none"}`);
  return lines.join("\n");
}

/**
 * Branches checked out in the project's worktrees (the main checkout's included), or null when it is not a git repository.
 * @param {string} path
 * @returns {Promise<string[] | null>}
 */
async function worktreeBranches(path) {
  try {
    const { stdout } = await execFileAsync("git", ["worktree", "list", "--porcelain"], { cwd: path, timeout: 10_000 });
    return stdout
      .split("\n")
      .filter((line) => line.startsWith("branch "))
      .map((line) => line.slice("branch ".length).replace(/^refs\/heads\//, ""));
  } catch {
    return null;
  }
}

/**
 * @param {StartupContext} ctx
 * @param {string} dir
 */
function watchProjects(ctx, dir) {
  const { runtime, log } = ctx;
  const autoReload = ctx.pluginConfig.auto_reload === true;
  /** @type {Set<string>} */
  const added = new Set();
  /** @type {Set<string>} */
  const removed = new Set();
  /** @type {NodeJS.Timeout | null} */
  let timer = null;
  let reloading = false;

  const flush = async () => {
    timer = null;
    const known = new Set(runtime.projects().map((project) => basename(project.path)));
    const appeared = [...added].filter((name) => !known.has(name));
    const vanished = [...removed].filter((name) => known.has(name));
    added.clear();
    removed.clear();
    if (appeared.length === 0 && vanished.length === 0) return;
    const what = [
      appeared.length > 0 ? `new project ${appeared.length === 1 ? "directory" : "directories"}: ${appeared.join(", ")}` : null,
      vanished.length > 0 ? `removed: ${vanished.join(", ")}` : null,
    ].filter((part) => part !== null);
    if (!autoReload) {
      await runtime.send(runtime.mainChatId(), `${what.join("; ")}.\nsend /reload to pick up the change.`);
      return;
    }
    if (reloading) return;
    reloading = true;
    await runtime.send(runtime.mainChatId(), `${what.join("; ")}.\nreloading as soon as no engine is running…`, { notify: false });
    await waitUntilIdle(runtime);
    log.info({ event: "projects.auto_reload", added: appeared, removed: vanished }, "projects changed; reloading");
    await runtime.shutdown({ exitCode: 0, reason: "projects directory changed" });
  };

  const schedule = () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      flush().catch((/** @type {unknown} */ error) => {
        log.error({ event: "projects.watch_failed", err: error }, "reporting a projects directory change failed");
      });
    }, SETTLE_MS).unref();
  };

  // Not persistent: the bridge keeps the process alive while it runs; once it
  // has shut down (`/reload`, SIGTERM) the watch must not hold the process
  // open, or every restart waits for the CLI's last-resort exit timer.
  const watcher = watch(dir, {
    depth: 0,
    ignoreInitial: true,
    persistent: false,
    ignored: (path) => basename(path).startsWith(".") && path !== dir,
  });
  watcher.on("addDir", (path) => {
    if (path === dir) return;
    added.add(basename(path));
    removed.delete(basename(path));
    schedule();
  });
  watcher.on("unlinkDir", (path) => {
    if (path === dir) return;
    removed.add(basename(path));
    added.delete(basename(path));
    schedule();
  });
  watcher.on("error", (error) => {
    log.warn({ event: "projects.watch_error", err: error }, "watching the projects directory failed");
  });
  watcher.on("ready", () => {
    log.info({ event: "projects.watching", dir, auto_reload: autoReload }, "watching the projects directory");
  });
}

/** @param {BridgeRuntime} runtime */
async function waitUntilIdle(runtime) {
  while (runtime.runs().length > 0) await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
}
