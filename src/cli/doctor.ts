/**
 * `takopi doctor`: every reason the bridge might not work, one line each with
 * what to do about it. Exit 1 when any check fails.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import type { LoadedConfig } from "../config/load.js";
import { checkEngine, configuredEngineIds } from "../engines/availability.js";
import { engineEnvironment, withheldValues } from "../engines/env.js";
import type { DoctorCheck } from "../plugins/types.js";
import type { PluginRegistry } from "../plugins/registry.js";
import { errorMessage } from "../util/errors.js";
import { shortenHome } from "../util/home.js";
import { loadSetupLeniently, openPlugins } from "./setup.js";

const VERSION_TIMEOUT_MS = 15_000;

export async function doctorCommand(options: { config?: string }): Promise<number> {
  const checks: DoctorCheck[] = [];
  const print = (check: DoctorCheck): void => {
    checks.push(check);
    process.stdout.write(formatCheck(check));
  };
  process.stdout.write("takopi doctor\n");

  const { setup, configPath, problem } = await loadSetupLeniently(options);
  if (setup === null) {
    print({ label: "config", status: "fail", detail: problem ?? "unreadable", fix: "fix the config, then run `takopi doctor` again" });
    // Without a config only the plugins can still be looked at.
    checkPlugins(await openPlugins(null), print);
    return 1;
  }
  const { config, plugins } = setup;
  print({ label: "config", status: "ok", detail: shortenHome(configPath) });
  for (const warning of config.warnings) print({ label: "config", status: "warn", detail: warning });

  checkPlugins(plugins, print);
  await checkTransport(config, plugins, print);
  await checkEngines(config, plugins, print);
  await checkProjects(config, print);
  await checkStateDir(configPath, print);

  return checks.some((check) => check.status === "fail") ? 1 : 0;
}

export function formatCheck(check: DoctorCheck): string {
  const mark = { ok: "ok  ", warn: "warn", fail: "FAIL", skip: "skip" }[check.status];
  const fix = check.fix !== undefined && (check.status === "fail" || check.status === "warn") ? `\n        fix: ${check.fix}` : "";
  return `[${mark}] ${check.label}: ${check.detail}${fix}\n`;
}

function checkPlugins(plugins: PluginRegistry, print: (check: DoctorCheck) => void): void {
  for (const problem of plugins.problems()) {
    const what = problem.kind === null ? `package ${problem.packageName}` : `${problem.kind} ${problem.id ?? "?"} (${problem.packageName})`;
    print({ label: "plugin", status: "warn", detail: `${what}: ${problem.message}`, fix: "fix or remove it; takopi ignores it meanwhile" });
  }
}

async function checkTransport(config: LoadedConfig, plugins: PluginRegistry, print: (check: DoctorCheck) => void): Promise<void> {
  const id = config.settings.transport;
  const loaded = await plugins.tryLoad("transport", id);
  if (!loaded.ok) {
    print({ label: "transport", status: "fail", detail: loaded.error, fix: "set `transport` to an installed transport (see `takopi plugins`)" });
    return;
  }
  print({ label: "transport", status: "ok", detail: id });
  if (!loaded.backend.doctor) return;
  try {
    for (const check of await loaded.backend.doctor(config, AbortSignal.timeout(60_000))) print(check);
  } catch (error) {
    print({ label: `${id} checks`, status: "fail", detail: errorMessage(error) });
  }
}

async function checkEngines(config: LoadedConfig, plugins: PluginRegistry, print: (check: DoctorCheck) => void): Promise<void> {
  const engineIds = plugins.ids("engine");
  const defaultEngine = config.settings.default_engine;
  if (!engineIds.includes(defaultEngine)) {
    print({ label: "default engine", status: "fail", detail: `'${defaultEngine}' is not an installed engine`, fix: `set default_engine to one of: ${engineIds.join(", ")}` });
  }
  const configured = new Set(configuredEngineIds(config, engineIds, defaultEngine));
  for (const id of engineIds) {
    const label = `engine ${id}`;
    const status = await checkEngine(plugins, config, id);
    if (status.status === "ok") {
      const version = await engineVersion(status.executable, engineEnvironment(process.env, status.env, withheldValues(config, process.env)));
      print(
        version.ok
          ? { label, status: "ok", detail: `${version.text} (${status.executable})` }
          : { label, status: "fail", detail: `${status.executable} --version failed: ${version.text}`, fix: `reinstall it: ${status.backend.installHint}` },
      );
      continue;
    }
    if (status.status === "missing_cli" && !configured.has(id)) {
      print({ label, status: "skip", detail: "not installed (not used by the config)" });
      continue;
    }
    print({ label, status: "fail", detail: status.detail, fix: status.fix });
  }
}

/** `<engine> --version`, in the environment a run would get (without takopi's secrets). */
async function engineVersion(executable: string, env: NodeJS.ProcessEnv): Promise<{ ok: boolean; text: string }> {
  const result = await execa(executable, ["--version"], {
    reject: false,
    timeout: VERSION_TIMEOUT_MS,
    stdin: "ignore",
    env: { ...env, NO_COLOR: "1" },
    extendEnv: false,
  });
  const output = `${result.stdout}\n${result.stderr}`.trim().split("\n")[0]?.trim() ?? "";
  if (result.exitCode === 0) return { ok: true, text: output || "ok" };
  if (result.timedOut) return { ok: false, text: `no answer within ${VERSION_TIMEOUT_MS / 1000} s` };
  return { ok: false, text: output || `exit ${result.exitCode ?? result.signal ?? "?"}` };
}

async function checkProjects(config: LoadedConfig, print: (check: DoctorCheck) => void): Promise<void> {
  for (const [alias, project] of Object.entries(config.settings.projects).sort(([a], [b]) => a.localeCompare(b))) {
    const label = `project ${alias}`;
    const info = await stat(project.path).catch(() => null);
    if (!info?.isDirectory()) {
      print({ label, status: "fail", detail: `${project.path} does not exist`, fix: `create it, or fix projects.${alias}.path` });
      continue;
    }
    const git = await execa("git", ["-C", project.path, "rev-parse", "--show-toplevel"], { reject: false, stdin: "ignore" });
    if (git.exitCode !== 0) {
      print({ label, status: "warn", detail: `${project.path} is not a git repository; @branch worktrees will not work`, fix: `git init ${project.path}` });
      continue;
    }
    print({ label, status: "ok", detail: project.path });
  }
}

async function checkStateDir(configPath: string, print: (check: DoctorCheck) => void): Promise<void> {
  const dir = dirname(configPath);
  const probe = join(dir, `.takopi-doctor-${randomBytes(4).toString("hex")}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, "");
    print({ label: "state dir", status: "ok", detail: `${shortenHome(dir)} is writable` });
  } catch (error) {
    const reason = error instanceof Error && "code" in error ? String(error.code) : String(error);
    print({ label: "state dir", status: "fail", detail: `${shortenHome(dir)} is not writable (${reason})`, fix: "make the directory writable by the user takopi runs as" });
  } finally {
    await rm(probe, { force: true });
  }
}
