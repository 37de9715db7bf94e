/**
 * The real Docker engine for the container tests: whether it is there, the
 * takopi image built from this checkout, one-shot `docker run`s, and the
 * compose stack from compose.yaml brought up with whichever compose CLI the
 * machine has (`docker compose`, else v1's `docker-compose`).
 *
 * Builds use the classic builder with `--network none`: the layers that fetch
 * (npm ci, apt-get) must come from the cache that .ci/setup-docker.sh warmed,
 * so a test never reaches the network, and a lockfile change shows up as a
 * loud build failure rather than as a silent download.
 */
import { mkdir, readlink, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The Node 24 base image (.ci/setup-docker.sh builds it; registries are out of reach in CI). */
export const NODE_IMAGE = process.env.TAKOPI_TEST_NODE_IMAGE ?? "local/node:24-bookworm-slim";

// No ryuk (its image cannot be pulled) and no gateway probe (it would pull alpine).
process.env.TESTCONTAINERS_RYUK_DISABLED = "true";
process.env.TESTCONTAINERS_HOST_OVERRIDE = "localhost";

/**
 * Environment for docker and compose: compose v1 with COMPOSE_DOCKER_CLI_BUILD
 * or DOCKER_BUILDKIT set shells out to a docker CLI without buildx and fails.
 */
function dockerEnv(): Record<string, string | undefined> {
  return { ...process.env, DOCKER_BUILDKIT: "0", COMPOSE_DOCKER_CLI_BUILD: "0" };
}

export type DockerStatus = { ok: true; server: string } | { ok: false; reason: string };

/** Whether the container tests can run here, and if not, what to do about it. */
export async function dockerStatus(): Promise<DockerStatus> {
  const version = await execa("docker", ["version", "--format", "{{.Server.Version}}"], { reject: false, timeout: 20_000, env: dockerEnv() });
  if (version.failed) {
    const detail = version.stderr.split("\n")[0] || (version.shortMessage ?? "docker version failed");
    return { ok: false, reason: `no Docker engine (${detail}); run .ci/setup-docker.sh as root` };
  }
  const base = await execa("docker", ["image", "inspect", NODE_IMAGE], { reject: false, timeout: 20_000 });
  if (base.failed) return { ok: false, reason: `base image ${NODE_IMAGE} is missing; run .ci/setup-docker.sh as root` };
  return { ok: true, server: version.stdout.trim() };
}

export interface BuiltImage {
  tag: string;
  /** Bytes, as `docker image inspect` reports it. */
  size: number;
  seconds: number;
}

/**
 * Builds the takopi image from this checkout, or from `context` (another
 * tree, such as a release's `git archive`); the layers that fetch must be cached.
 */
export async function buildTakopiImage(tag: string, buildArgs: Record<string, string>, context: string = REPO_ROOT): Promise<BuiltImage> {
  const started = performance.now();
  const args = ["build", "--network", "none", "--force-rm", "-t", tag, "--build-arg", `NODE_IMAGE=${NODE_IMAGE}`];
  for (const [name, value] of Object.entries(buildArgs)) args.push("--build-arg", `${name}=${value}`);
  const build = await execa("docker", [...args, context], { reject: false, all: true, env: dockerEnv(), timeout: 600_000 });
  if (build.failed) {
    const output = build.all;
    // npm's own explanation comes first and the usage text after it: keep the former.
    const npmErrors = output.split("\n").filter((line) => /npm error (code|`npm ci`|Missing|Invalid)/.test(line));
    const tail = [...npmErrors, ...output.split("\n").slice(-15)].join("\n");
    let hint = "";
    if (output.includes("can only install packages when your package.json and package-lock.json")) {
      hint = "\npackage-lock.json is out of sync with package.json or a workspace's (run npm install), then .ci/setup-docker.sh to cache the new dependencies.";
    } else if (/EAI_AGAIN|ENOTFOUND|ENETUNREACH|Temporary failure resolving|Could not resolve/.test(output)) {
      hint = "\nA step that fetches was not in Docker's layer cache (package-lock.json or the Dockerfile changed?): run .ci/setup-docker.sh, which builds once with the network.";
    }
    throw new Error(`docker build of ${tag} failed:\n${tail}${hint}`);
  }
  const inspect = await execa("docker", ["image", "inspect", "-f", "{{.Size}}", tag]);
  return { tag, size: Number(inspect.stdout.trim()), seconds: (performance.now() - started) / 1000 };
}

export interface ImageConfig {
  User: string;
  Entrypoint: string[] | null;
  Cmd: string[] | null;
  Env: string[];
  Healthcheck?: { Test: string[]; Interval?: number };
}

export async function imageConfig(tag: string): Promise<ImageConfig> {
  const inspect = await execa("docker", ["image", "inspect", "-f", "{{json .Config}}", tag]);
  return JSON.parse(inspect.stdout) as ImageConfig;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** host path → container path (`:ro` etc. may follow the container path). */
  mounts?: Record<string, string>;
  /** Default host networking, so the container reaches fakes on the host's 127.0.0.1. */
  network?: string;
  command?: string[];
  timeoutMs?: number;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function runArgs(image: string, options: RunOptions): string[] {
  const args = ["--network", options.network ?? "host"];
  for (const [name, value] of Object.entries(options.env ?? {})) args.push("-e", `${name}=${value}`);
  for (const [source, target] of Object.entries(options.mounts ?? {})) args.push("-v", `${source}:${target}`);
  return [...args, image, ...(options.command ?? [])];
}

/** `docker run --rm` to completion: the container's exit code and output. */
export async function runOnce(image: string, options: RunOptions = {}): Promise<RunResult> {
  const run = await execa("docker", ["run", "--rm", ...runArgs(image, options)], {
    reject: false,
    env: dockerEnv(),
    timeout: options.timeoutMs ?? 60_000,
  });
  if (run.timedOut) throw new Error(`docker run ${image} ${options.command?.join(" ") ?? ""} did not finish within ${options.timeoutMs ?? 60_000} ms`);
  return { exitCode: run.exitCode ?? -1, stdout: run.stdout, stderr: run.stderr };
}

/** Where scripts/install-engines.mjs puts the pinned engine CLIs. */
export const TEST_ENGINES = join(REPO_ROOT, "test", "engines", "node_modules");
export const ENGINE_COMMANDS = ["codex", "claude", "opencode", "pi"] as const;

/** Whether the pinned engines are installed (npm run engines:install). */
export function testEnginesInstalled(): boolean {
  return existsSync(join(TEST_ENGINES, ".install-stamp"));
}

/**
 * The installed test engines laid out the way docs/home-server.md mounts a
 * host's npm global prefix: `<prefix>/lib/node_modules` and a `<prefix>/bin`
 * of relative links into it, at /opt/engines/npm. Returns the mounts.
 */
export async function npmPrefixEngineMounts(dir: string): Promise<Record<string, string>> {
  const bin = join(dir, "npm-bin");
  await mkdir(bin, { recursive: true });
  for (const name of ENGINE_COMMANDS) {
    // node_modules/.bin/codex → ../@openai/codex/bin/codex.js becomes bin/codex →
    // ../lib/node_modules/@openai/codex/bin/codex.js, as `npm i -g` links it.
    const target = (await readlink(join(TEST_ENGINES, ".bin", name))).replace(/^\.\.\//, "");
    await symlink(`../lib/node_modules/${target}`, join(bin, name));
  }
  return { [bin]: "/opt/engines/npm/bin:ro", [TEST_ENGINES]: "/opt/engines/npm/lib/node_modules:ro" };
}

/** The compose CLI this machine has: v2's `docker compose`, else v1's `docker-compose`. */
export async function composeCli(): Promise<string[] | null> {
  const v2 = await execa("docker", ["compose", "version"], { reject: false, env: dockerEnv() });
  if (!v2.failed) return ["docker", "compose"];
  const v1 = await execa("docker-compose", ["version", "--short"], { reject: false, env: dockerEnv() });
  if (!v1.failed) return ["docker-compose"];
  return null;
}

export interface StackOptions {
  cli: string[];
  /** Project directory: holds .env and the override file; relative paths in compose.yaml resolve here. */
  dir: string;
  project: string;
  /** Written to `<dir>/.env`: compose.yaml's ${...} and the container's env_file both read it. */
  env: Record<string, string>;
  /** compose.yaml's service, merged over it (the image to use, host networking, test mounts, ...). */
  override: Record<string, unknown>;
}

/**
 * compose.yaml from the repository, run from a scratch project directory with
 * an override file, the way a user runs it from their checkout. Create it
 * first and `down()` it in an after-hook whatever happens: without ryuk
 * nothing else removes what a half-successful `up()` left behind.
 */
export class ComposeStack {
  readonly #options: StackOptions;
  readonly #files: string[];

  constructor(options: StackOptions) {
    this.#options = options;
    this.#files = ["-f", join(REPO_ROOT, "compose.yaml"), "-f", join(options.dir, "compose.test.yaml")];
  }

  /** Writes .env and the override, then `up -d` with the image the override names (no build). */
  async up(): Promise<void> {
    const env = Object.entries(this.#options.env).map(([name, value]) => `${name}=${value}\n`).join("");
    await writeFile(join(this.#options.dir, ".env"), env);
    // JSON is YAML, which both compose versions read.
    await writeFile(join(this.#options.dir, "compose.test.yaml"), JSON.stringify({ services: { takopi: this.#options.override } }, null, 2));
    await this.run(["up", "-d", "--no-build"]);
  }

  /** Runs a compose subcommand for this project; throws with its output when it fails. */
  async run(args: string[], timeoutMs = 120_000): Promise<string> {
    const [command = "docker-compose", ...prefix] = this.#options.cli;
    const result = await execa(command, [...prefix, ...this.#files, "--project-directory", this.#options.dir, "-p", this.#options.project, ...args], {
      reject: false,
      all: true,
      env: dockerEnv(),
      timeout: timeoutMs,
    });
    if (result.failed) throw new Error(`${this.#options.cli.join(" ")} ${args.join(" ")} failed:\n${result.all}`);
    return result.stdout;
  }

  /** The takopi service's container id. */
  async containerId(): Promise<string> {
    const id = (await this.run(["ps", "-q", "takopi"])).trim();
    if (id === "") throw new Error("compose has no takopi container");
    return id;
  }

  /** How often Docker restarted the container (after `/reload` exits 0, for instance). */
  async restartCount(): Promise<number> {
    return Number(await inspectField(await this.containerId(), "{{.RestartCount}}"));
  }

  /** Resolves once the restart count reaches `count`. */
  async waitForRestartCount(count: number, timeoutMs = 60_000): Promise<void> {
    await waitUntil(async () => (await this.restartCount()) >= count, timeoutMs, () => `restart count ${count}`);
  }

  /** `docker exec` in the running container (no entrypoint). */
  async exec(command: string[]): Promise<RunResult> {
    const result = await execa("docker", ["exec", await this.containerId(), ...command], { reject: false, env: dockerEnv(), timeout: 30_000 });
    return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /**
   * The HEALTHCHECK's verdict: starting, healthy or unhealthy. The image checks
   * every 30 s; an override with `healthcheck: { interval: "2s" }` makes tests quicker.
   */
  async health(): Promise<string> {
    return inspectField(await this.containerId(), "{{if .State.Health}}{{.State.Health.Status}}{{end}}");
  }

  async logs(): Promise<string> {
    return this.run(["logs", "--no-color", "takopi"]);
  }

  /** `down -v`: containers, the network and the state volume; a short stop timeout. */
  async down(): Promise<void> {
    await this.run(["down", "-v", "-t", "2"]);
  }
}

export async function inspectField(container: string, format: string): Promise<string> {
  const result = await execa("docker", ["inspect", "-f", format, container], { env: dockerEnv() });
  return result.stdout.trim();
}

/** Polls `check` every 250 ms; rejects after `timeoutMs` naming what it waited for. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * A container left running by `docker run -d`, without --rm so that its exit
 * code and logs outlast it. Whoever starts one `remove()`s it in an after-hook
 * (without ryuk nothing else does); a leftover of the same name from an
 * aborted run is removed first.
 */
export class DetachedContainer {
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  static async start(image: string, name: string, options: RunOptions = {}): Promise<DetachedContainer> {
    await execa("docker", ["rm", "-f", name], { reject: false, env: dockerEnv() });
    const run = await execa("docker", ["run", "-d", "--name", name, ...runArgs(image, options)], { reject: false, all: true, env: dockerEnv(), timeout: 60_000 });
    if (run.failed) throw new Error(`docker run -d ${image} failed:\n${run.all}`);
    return new DetachedContainer(name);
  }

  /** `docker stop` (SIGTERM, then SIGKILL after `timeoutS`); resolves with the exit code. */
  async stop(timeoutS = 10): Promise<number> {
    await execa("docker", ["stop", "-t", String(timeoutS), this.name], { env: dockerEnv(), timeout: (timeoutS + 30) * 1000 });
    return Number(await inspectField(this.name, "{{.State.ExitCode}}"));
  }

  /** stdout and stderr together, as `docker logs` interleaves them. */
  async logs(): Promise<string> {
    const result = await execa("docker", ["logs", this.name], { reject: false, all: true, env: dockerEnv(), timeout: 30_000 });
    return result.all;
  }

  /** Gone, running or not; a container that is already gone is fine. */
  async remove(): Promise<void> {
    await DetachedContainer.remove(this.name);
  }

  /** By name, for an after-hook that runs whether or not `start` got as far as returning. */
  static async remove(name: string): Promise<void> {
    await execa("docker", ["rm", "-f", "-v", name], { reject: false, env: dockerEnv(), timeout: 60_000 });
  }
}

/** A named volume (`docker volume create`); mount it by name in RunOptions.mounts. */
export async function createVolume(name: string): Promise<void> {
  await execa("docker", ["volume", "rm", "-f", name], { reject: false, env: dockerEnv() });
  await execa("docker", ["volume", "create", name], { env: dockerEnv() });
}

/** Removes a named volume; one that is already gone is fine. */
export async function removeVolume(name: string): Promise<void> {
  await execa("docker", ["volume", "rm", "-f", name], { reject: false, env: dockerEnv(), timeout: 60_000 });
}
