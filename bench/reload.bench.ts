/**
 * `/reload` in the container, against `docker restart` of the same idle
 * container, measured in the same run:
 *
 * - the image built from this checkout (Dockerfile + entrypoint.sh, the
 *   overlay plugins), run the way compose.yaml runs it (`init: true`,
 *   `restart: unless-stopped`, the projects directory and the state directory
 *   mounted, engines mounted read-only: the test suite's stand-in CLIs), on
 *   host networking against the fake Bot API on 127.0.0.1;
 * - measured: from injecting `/reload` into the fake to the fake receiving
 *   the new process's "takopi is ready" sendMessage (the old process answers,
 *   exits 0, Docker's restart policy starts the container again, the
 *   entrypoint rediscovers the projects, the bridge connects and announces);
 * - baseline: from running `docker restart <container>` while the bridge is
 *   idle to the same "takopi is ready" sendMessage: the same way back up,
 *   reached through a SIGTERM instead of `/reload`.
 *
 * Why not `docker restart`'s own wall time: it returns once the container's
 * process has been started, before node runs, so it leaves out the entrypoint
 * and the bridge's start-up that /reload cannot skip; it is in the notes.
 *
 * Rounds alternate (restart, reload, restart, …) after a short idle, so
 * both see the same machine load, and every /reload follows a `docker
 * restart`, which resets Docker's restart backoff as a long-running
 * container's is (100 ms). Each figure is the median. The phases of every
 * sample (exit, start, first Bot API call, ready) come from `docker inspect`
 * and the fake's call log, for the notes.
 *
 *   node --import ./scripts/register-ts.mjs bench/reload.bench.ts
 *   TAKOPI_BENCH_RELOAD_ROUNDS=3 …   (fewer rounds; default 7)
 */
import { chown, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import type { CallRecord, FakeTelegram } from "../test/support/fake-telegram/index.js";
import { startFakeTelegram } from "../test/support/fake-telegram/index.js";
import { STANDARD_WORLD, USER } from "../test/support/fake-telegram/standard-world.js";
import { buildTakopiImage, dockerStatus, ENGINE_COMMANDS, REPO_ROOT } from "../test/support/docker.js";
import { figuresTable, median, met, type Figure } from "./support.js";

const IMAGE = "takopi:bench-reload";
const ROUNDS = Number(process.env.TAKOPI_BENCH_RELOAD_ROUNDS ?? 7);
/** Idle time between a "ready" and the next sample, so the bridge sits in its long poll. */
const IDLE_MS = 1_500;
const READY_TIMEOUT_MS = 60_000;
const READY_TEXT = "takopi is ready";
const TARGET = { op: "≤", ratio: 1.5 } as const;
const WHAT = "/reload in the container: command → ready posted";

const HOST_UID = process.getuid?.() ?? 0;
const UID = HOST_UID === 0 ? 4242 : HOST_UID;
const GID = HOST_UID === 0 ? 4343 : (process.getgid?.() ?? 0);

/** One restart, as timestamps in epoch ms (host clock; Docker's are the same machine's). */
interface Sample {
  /** `/reload` injected, or `docker restart` started. */
  start: number;
  /** The old process's `reloading…` reply reached the fake (reload only). */
  replied: number | null;
  /** The container's previous run ended (docker inspect .State.FinishedAt). */
  exited: number;
  /** The container runs again (.State.StartedAt). */
  started: number;
  /** `docker restart` returned (restart only). */
  commandDone: number | null;
  /** The new process's getMe reached the fake. */
  getMe: number;
  /** The new process's "takopi is ready" sendMessage reached the fake. */
  ready: number;
}

function unavailable(reason: string): Figure[] {
  return [
    {
      what: WHAT,
      baseline: "`docker restart` → ready: not measured",
      measured: "not measured",
      ratio: Number.NaN,
      target: TARGET,
      miss: `not measured: ${reason}`,
    },
  ];
}

async function docker(args: string[]): Promise<string> {
  const result = await execa("docker", args, { timeout: 120_000 });
  return result.stdout.trim();
}

/** Docker's RFC 3339 timestamps with nanoseconds → epoch ms with the sub-ms part kept. */
function dockerTime(text: string): number {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (match === null) throw new Error(`unexpected docker timestamp ${text}`);
  const [, seconds = "", fraction = "", zone = ""] = match;
  return Date.parse(`${seconds}${zone}`) + Number(`0.${fraction || "0"}`) * 1000;
}

/** When the container's current run started and its previous one ended. */
async function containerTimes(name: string): Promise<{ startedAt: number; finishedAt: number }> {
  const out = await docker(["inspect", "-f", "{{.State.StartedAt}} {{.State.FinishedAt}}", name]);
  const [startedAt = "", finishedAt = ""] = out.split(" ");
  return { startedAt: dockerTime(startedAt), finishedAt: dockerTime(finishedAt) };
}

function isReady(call: CallRecord): boolean {
  return call.method === "sendMessage" && call.chatId === USER && typeof call.params.text === "string" && call.params.text.includes(READY_TEXT);
}

async function firstCall(tg: FakeTelegram, after: number, predicate: (call: CallRecord) => boolean, what: string, logs: () => Promise<string>): Promise<CallRecord> {
  return tg.waitForCall((call) => call.receivedAt >= after && predicate(call), READY_TIMEOUT_MS).catch(async (error: unknown) => {
    throw new Error(`waiting for ${what}: ${String(error)}\ncontainer logs:\n${(await logs()).slice(-4000)}`);
  });
}

class BenchContainer {
  readonly name = `takopi-bench-reload-${process.pid}`;
  readonly tg: FakeTelegram;
  constructor(tg: FakeTelegram) {
    this.tg = tg;
  }

  logs = async (): Promise<string> => {
    const result = await execa("docker", ["logs", "-t", this.name], { reject: false, all: true });
    return result.all;
  };

  async run(dirs: { projects: string; state: string; engines: string; engineLog: string }): Promise<void> {
    const env = {
      TELEGRAM_BOT_TOKEN: this.tg.token,
      TELEGRAM_CHAT_ID: String(USER),
      TELEGRAM_API_ROOT: this.tg.apiRoot,
      TAKOPI_ALLOWED_USER_IDS: String(USER),
      FAKE_ENGINE_DIR: "/fake-engine",
    };
    const mounts = {
      [dirs.projects]: "/projects",
      [dirs.state]: "/state",
      [dirs.engines]: "/opt/engines/bin:ro",
      [join(REPO_ROOT, "test")]: "/opt/takopi-test:ro",
      [dirs.engineLog]: "/fake-engine",
    };
    // What compose.yaml sets for the service: a real PID 1 and Docker's restart policy.
    const args = ["run", "-d", "--name", this.name, "--network", "host", "--init", "--restart", "unless-stopped"];
    for (const [key, value] of Object.entries(env)) args.push("-e", `${key}=${value}`);
    for (const [source, target] of Object.entries(mounts)) args.push("-v", `${source}:${target}`);
    const started = Date.now();
    await docker([...args, IMAGE]);
    await firstCall(this.tg, started, isReady, "the first ready message", this.logs);
  }

  async remove(): Promise<void> {
    await execa("docker", ["rm", "-f", this.name], { reject: false });
  }

  /** The phases of the way back up, once the new process posted ready. */
  async #finish(start: number, partial: Pick<Sample, "replied" | "commandDone">): Promise<Sample> {
    const ready = await firstCall(this.tg, start, isReady, "ready after the restart", this.logs);
    const getMe = await firstCall(this.tg, start, (call) => call.method === "getMe", "getMe after the restart", this.logs);
    const times = await containerTimes(this.name);
    return { start, exited: times.finishedAt, started: times.startedAt, getMe: getMe.receivedAt, ready: ready.receivedAt, ...partial };
  }

  async reload(): Promise<Sample> {
    const start = Date.now();
    this.tg.injectMessage({ chat: USER, from: USER, text: "/reload" });
    const reply = await firstCall(
      this.tg,
      start,
      (call) => call.method === "sendMessage" && call.chatId === USER && call.params.text === "reloading…",
      "the reloading… reply",
      this.logs,
    );
    return this.#finish(start, { replied: reply.receivedAt, commandDone: null });
  }

  async restart(): Promise<Sample> {
    const start = Date.now();
    await docker(["restart", this.name]);
    const commandDone = Date.now();
    return this.#finish(start, { replied: null, commandDone });
  }
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

/** The median over the samples of `to - from` (samples where either is unknown left out). */
function span(samples: readonly Sample[], from: (s: Sample) => number | null, to: (s: Sample) => number | null): number {
  return median(
    samples.flatMap((s) => {
      const a = from(s);
      const b = to(s);
      return a === null || b === null ? [] : [b - a];
    }),
  );
}

/** The way back up, common to both: Docker starts the container, the entrypoint, node, the bridge. */
const upPhases = (samples: readonly Sample[]): string =>
  [
    `exit→running ${ms(span(samples, (s) => s.exited, (s) => s.started))}`,
    `running→getMe ${ms(span(samples, (s) => s.started, (s) => s.getMe))}`,
    `getMe→ready ${ms(span(samples, (s) => s.getMe, (s) => s.ready))}`,
  ].join(", ");

/** Where /reload's extra time goes, phase by phase, for a missed target. */
function missCause(reloads: readonly Sample[], restarts: readonly Sample[]): string {
  const toExit = span(reloads, (s) => s.start, (s) => s.exited) - span(restarts, (s) => s.start, (s) => s.exited);
  const docker = span(reloads, (s) => s.exited, (s) => s.started) - span(restarts, (s) => s.exited, (s) => s.started);
  const up = span(reloads, (s) => s.started, (s) => s.ready) - span(restarts, (s) => s.started, (s) => s.ready);
  return (
    `/reload minus docker restart, by phase: command→exit ${ms(toExit)} (the reply, polling's confirm, the bridge's shutdown drain), ` +
    `exit→running ${ms(docker)} (Docker's restart-policy delay: 100 ms before a restart, doubling for a container that ran < 10 s), ` +
    `running→ready ${ms(up)} (the same entrypoint, discover and start-up on both ways: noise or load)`
  );
}

async function measure(): Promise<Figure> {
  const scratch = await mkdtemp(join(tmpdir(), "takopi-bench-reload-"));
  const tg = await startFakeTelegram(STANDARD_WORLD);
  const container = new BenchContainer(tg);
  try {
    await buildTakopiImage(IMAGE, { UID: String(UID), GID: String(GID) });
    const dirs = {
      projects: join(scratch, "projects"),
      state: join(scratch, "state"),
      engines: join(scratch, "engines"),
      engineLog: join(scratch, "engine-log"),
    };
    for (const dir of [dirs.projects, join(dirs.projects, "alpha"), join(dirs.projects, "beta"), dirs.state, dirs.engines, dirs.engineLog]) {
      await mkdir(dir, { recursive: true });
      if (HOST_UID === 0) await chown(dir, UID, GID);
    }
    // The stand-in engine CLIs, mounted where a host's single binaries go (as the compose test does).
    for (const engine of ENGINE_COMMANDS) await symlink("/opt/takopi-test/support/fake-engine/cli.mjs", join(dirs.engines, engine));

    await container.run(dirs);
    const reloads: Sample[] = [];
    const restarts: Sample[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await sleep(IDLE_MS);
      restarts.push(await container.restart());
      await sleep(IDLE_MS);
      reloads.push(await container.reload());
    }

    const measured = span(reloads, (s) => s.start, (s) => s.ready);
    const baseline = span(restarts, (s) => s.start, (s) => s.ready);
    const restartWall = span(restarts, (s) => s.start, (s) => s.commandDone);
    const figure: Figure = {
      what: WHAT,
      baseline: `\`docker restart\` → ready ${ms(baseline)}`,
      measured: ms(measured),
      ratio: measured / baseline,
      target: TARGET,
      note:
        `${WHAT}: image ${IMAGE} built from this checkout, run as compose.yaml runs it (\`init: true\`, \`restart: unless-stopped\`), ` +
        `host networking, the fake Bot API, stand-in engines, 2 projects. ${ROUNDS} rounds of \`docker restart\` then \`/reload\`, ` +
        `each after ${IDLE_MS / 1000} s idle; medians. Both are timed to the fake receiving the new process's "takopi is ready" ` +
        `sendMessage (the baseline from running \`docker restart\`, the measurement from injecting \`/reload\`). ` +
        `/reload: command→reply ${ms(span(reloads, (s) => s.start, (s) => s.replied))}, reply→exit ${ms(span(reloads, (s) => s.replied, (s) => s.exited))}, ` +
        `${upPhases(reloads)}. docker restart: command→exit ${ms(span(restarts, (s) => s.start, (s) => s.exited))}, ${upPhases(restarts)}. ` +
        `exit→running is Docker's (for /reload it includes the restart policy's 100 ms delay); running→getMe is the entrypoint, ` +
        `\`takopi discover\` and \`takopi run\` starting (two node processes). \`docker restart\` itself returns after ${ms(restartWall)}, ` +
        `once the container runs but before node has started, so /reload → ready is ${(measured / restartWall).toFixed(2)}× that wall time; ` +
        `the figure compares the same finish line instead. Samples (ms): /reload ${reloads.map((s) => Math.round(s.ready - s.start)).join(", ")}; ` +
        `docker restart ${restarts.map((s) => Math.round(s.ready - s.start)).join(", ")}.`,
    };
    if (!met(figure)) figure.miss = missCause(reloads, restarts);
    return figure;
  } finally {
    await container.remove();
    await tg.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function reloadFigures(): Promise<Figure[]> {
  const status = await dockerStatus();
  if (!status.ok) return unavailable(status.reason);
  try {
    return [await measure()];
  } catch (error) {
    return unavailable(error instanceof Error ? error.message : String(error));
  }
}

if (import.meta.main) {
  const figures = await reloadFigures();
  process.stdout.write(`${figuresTable(figures)}\n`);
  for (const figure of figures) {
    if (figure.note !== undefined) process.stdout.write(`\n${figure.note}\n`);
    if (figure.miss !== undefined) process.stdout.write(`\nmiss: ${figure.miss}\n`);
  }
}
