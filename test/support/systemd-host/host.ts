/**
 * A stand-in for a Debian 12 host, for /refresh's real-systemd test: a
 * container with systemd as PID 1, dbus-daemon and polkitd, whose system bus
 * socket appears in a host directory that other containers mount at
 * /run/dbus, the way compose.yaml mounts the real host's bus.
 *
 * The image (this directory's Dockerfile) comes from .ci/setup-systemd.sh,
 * which is where apt is reachable; here it is only run.
 *
 * Run flags: systemd needs CAP_SYS_ADMIN (mounts, DynamicUser=) and the host's
 * cgroup tree writable (--cgroupns=host plus the /sys/fs/cgroup bind);
 * --privileged is not needed and some sandboxes refuse it.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { waitUntil, type RunResult } from "../docker.js";

export const SYSTEMD_HOST_IMAGE = process.env.TAKOPI_TEST_SYSTEMD_HOST_IMAGE ?? "local/systemd-host:bookworm";
const DOCKERFILE = fileURLToPath(new URL("./Dockerfile", import.meta.url));
/** The label .ci/setup-systemd.sh puts on the image: `dockerfile <sha256 prefix> base <id>`. */
const LABEL = "org.takopi.systemd-host";

const DOCKER_ENV = { ...process.env, DOCKER_BUILDKIT: "0" };

/** Why the image cannot be used (missing, or built from another Dockerfile), or null. */
export async function systemdHostImageProblem(): Promise<string | null> {
  const hash = createHash("sha256").update(await readFile(DOCKERFILE)).digest("hex").slice(0, 16);
  const inspect = await execa("docker", ["image", "inspect", "-f", `{{ index .Config.Labels "${LABEL}" }}`, SYSTEMD_HOST_IMAGE], { reject: false, env: DOCKER_ENV });
  if (inspect.failed) return `the systemd host image ${SYSTEMD_HOST_IMAGE} is missing: run .ci/setup-systemd.sh (as root, after .ci/setup-docker.sh)`;
  if (!inspect.stdout.startsWith(`dockerfile ${hash} `)) {
    return `the systemd host image ${SYSTEMD_HOST_IMAGE} was built from another test/support/systemd-host/Dockerfile: run .ci/setup-systemd.sh again`;
  }
  return null;
}

export interface HostOptions {
  /** The container's name (unique per test run). */
  name: string;
  /** Host directory that becomes the container's /run/dbus: the bus socket shows up there. Mode 0755 or wider. */
  busDir: string;
  /** host path → container path (`:ro` may follow). */
  mounts?: Record<string, string>;
}

export class SystemdHost {
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /** Starts the container and waits until systemd says the system is up. */
  static async boot(options: HostOptions): Promise<SystemdHost> {
    const args = ["run", "-d", "--name", options.name, "--cap-add", "SYS_ADMIN", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw"];
    args.push("--tmpfs", "/run", "--tmpfs", "/run/lock", "-v", `${options.busDir}:/run/dbus`);
    for (const [source, target] of Object.entries(options.mounts ?? {})) args.push("-v", `${source}:${target}`);
    const run = await execa("docker", [...args, SYSTEMD_HOST_IMAGE], { reject: false, all: true, env: DOCKER_ENV });
    if (run.failed) throw new Error(`docker run ${SYSTEMD_HOST_IMAGE} failed:\n${run.all}`);
    const host = new SystemdHost(options.name);
    let state = "";
    try {
      await waitUntil(
        async () => {
          // "degraded" is up too: some unit failed, which the test's own checks would show.
          state = (await host.exec(["systemctl", "is-system-running"])).stdout.trim();
          return state === "running" || state === "degraded";
        },
        30_000,
        () => `systemd in ${options.name} to finish booting (last state: ${state || "no answer"})`,
      );
    } catch (error) {
      const logs = await execa("docker", ["logs", "--tail", "30", options.name], { reject: false, all: true, env: DOCKER_ENV });
      await host.remove();
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nsystemd's console:\n${logs.all}`, { cause: error });
    }
    return host;
  }

  /** `docker exec` as root; never throws for a failing command. */
  async exec(command: string[]): Promise<RunResult> {
    const result = await execa("docker", ["exec", this.name, ...command], { reject: false, env: DOCKER_ENV, timeout: 30_000 });
    return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /** Runs a shell script as root (what an admin types on the host); throws with its output when it fails. */
  async sh(script: string): Promise<string> {
    const result = await this.exec(["sh", "-euc", script]);
    if (result.exitCode !== 0) throw new Error(`on the host, \`${script}\` exited ${result.exitCode}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  /** One property of a unit, as `systemctl show -p` prints it. */
  async unitProperty(unit: string, property: string): Promise<string> {
    return (await this.sh(`systemctl show --value -p ${property} ${unit}`)).trim();
  }

  /** `docker rm -f`: systemd gets no chance to clean up, as in a power cut. */
  async remove(): Promise<void> {
    await execa("docker", ["rm", "-f", this.name], { reject: false, env: DOCKER_ENV });
  }
}
