/**
 * Bridge-side costs: a real `takopi run` process (the built dist/ CLI) against
 * the fake Bot API server with Telegram's per-chat limits enforced, and the
 * stand-in engine CLIs replaying recordings (test/support/bridge-harness.ts).
 * Each row is a ratio against a baseline taken in the same run:
 *
 * - telegram calls: sends, edits and deletes of one realistic run in a
 *   private chat and in a group, against what the chat's limit allows for the
 *   run's duration (and the 429s the fake answered);
 * - coalescing: progress edits of that run, against the engine events that
 *   changed what the progress message shows;
 * - update → spawn: from the fake handing the update to getUpdates to the
 *   engine CLI logging its start, against spawning that CLI directly;
 * - exit → final: from the engine's exit to the final sendMessage reaching the
 *   fake, while three other chats stream progress, against the same run alone.
 *
 *   npm run bench:bridge     (builds, then rewrites the bridge section of bench/RESULTS.md; ~2.5 min)
 *   BENCH_VERBOSE=1 …        (each run's calls and every sample on stderr)
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { cp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ProgressTracker } from "../src/core/progress.js";
import type { TakopiEvent } from "../src/core/events.js";
import { JsonlStream } from "../src/engines/jsonl-stream.js";
import { BridgeHarness, isAlive, readJsonLines, type EngineSpawn } from "../test/support/bridge-harness.js";
import { gitRepo } from "../test/support/git-repo.js";
import { cliEnv } from "../test/support/cli.js";
import { engineBackend } from "../test/support/engine-backends.js";
import type { CallRecord, FakeTelegramOptions, InjectedMessage, StoredMessage } from "../test/support/fake-telegram/index.js";
import { GROUP, OTHER_USER, STANDARD_WORLD, USER } from "../test/support/fake-telegram/standard-world.js";
import { waitFor } from "../test/support/scripts.js";
import { generatedBy, median, resultsTable, writeResultsSection, type Row } from "./support.js";

const FIXTURES = new URL("../test/fixtures/engines/", import.meta.url);
const THIRD_USER = 13;
/** Telegram allows about one message a second in a private chat and twenty a minute in a group (sends and edits alike). */
const INTERVAL_MS = { private: 1000, group: 3000 } as const;
const OUTGOING: ReadonlySet<string> = new Set(["sendMessage", "editMessageText", "deleteMessage"]);

/** A run of realistic length: six shell commands, 16 lines at 400 ms ≈ 6.5 s. */
const ACTIONS = { scenario: "actions", count: 6, delayMs: 400 };
/** What the other chats stream while exit → final is measured: far longer than that phase, cut short at the end. */
const BUSY = { scenario: "busy", count: 2500, delayMs: 10 };
/** Runs per measurement; exit → final takes its alone rounds half before and half after the busy ones. */
const ROUNDS = { spawn: 12, directPerSpawn: 2, budget: { private: 3, group: 2 }, final: 10 };
/** BENCH_VERBOSE=1 prints each run's calls and samples on stderr. */
const VERBOSE = process.env.BENCH_VERBOSE === "1";

const WORLD: FakeTelegramOptions = {
  ...STANDARD_WORLD,
  users: [...(STANDARD_WORLD.users ?? []), { id: THIRD_USER, first_name: "Cy" }],
  chats: [...(STANDARD_WORLD.chats ?? []), { id: THIRD_USER, type: "private" }],
  rateLimits: { perChatPerSecond: 1, perGroupPerMinute: 20 },
};

type Spawned = EngineSpawn & { at: number };
interface Exited {
  pid: number;
  at: number;
}

const COMMANDS = ["git status --short", "ls src", "npm test -- --run", "rg TODO", "cat package.json", "git diff --stat"];

/**
 * The recorded fixtures plus codex runs with several actions: the `tool`
 * recording (one `echo hi`) with its command lines repeated as `count`
 * distinct commands, so a run has something to show for its whole length.
 */
async function writeFixtures(dir: string): Promise<void> {
  await cp(fileURLToPath(FIXTURES), dir, { recursive: true });
  const lines = readFileSync(new URL("codex_tool.jsonl", FIXTURES), "utf8").split("\n").filter((line) => line.trim() !== "");
  const [threadStarted, turnStarted, itemStarted, itemCompleted, answer, turnCompleted] = lines;
  if (threadStarted === undefined || turnStarted === undefined || itemStarted === undefined || itemCompleted === undefined || answer === undefined || turnCompleted === undefined) {
    throw new Error("codex_tool.jsonl no longer has the six lines this benchmark expects");
  }
  const item = (line: string, id: number, command?: string): string => {
    const event = JSON.parse(line) as { item: Record<string, unknown> };
    event.item.id = `item_${id}`;
    if (command !== undefined) event.item.command = `/bin/bash -lc '${command}'`;
    return JSON.stringify(event);
  };
  for (const { scenario, count } of [ACTIONS, BUSY]) {
    const body = [threadStarted, turnStarted];
    for (let i = 0; i < count; i++) {
      const command = COMMANDS[i % COMMANDS.length] ?? "true";
      body.push(item(itemStarted, i, command), item(itemCompleted, i, command));
    }
    body.push(item(answer, count), turnCompleted);
    await writeFile(join(dir, `codex_${scenario}.jsonl`), `${body.join("\n")}\n`);
    await writeFile(join(dir, `codex_${scenario}.meta.json`), JSON.stringify({ note: "written by bench/bridge.bench.ts from codex_tool.jsonl", exitCode: 0 }));
  }
}

/** Events codex's translator makes of a recording, and how many of them change the progress message. */
function engineEvents(file: string): { events: number; changes: number } {
  const stream = new JsonlStream(engineBackend("codex"), { cwd: "$REPO", resume: null });
  const tracker = new ProgressTracker("codex");
  let events = 0;
  let changes = 0;
  const note = (produced: TakopiEvent[]) => {
    for (const event of produced) {
      events += 1;
      if (tracker.noteEvent(event)) changes += 1;
    }
  };
  for (const line of readFileSync(file, "utf8").split("\n")) note(stream.line(line));
  note(stream.end({ exitCode: 0, signal: null, stderrTail: "" }));
  return { events, changes };
}


/** SIGKILL to an engine run's process group (takopi starts each in its own), else to the process alone. */
function killRun(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL");
      return;
    } catch {
      // No such group (a direct spawn is no group leader), or it is already gone.
    }
  }
}

/** One takopi process with the chats, projects and recordings the rows use, and what the rows ask of it. */
class Bench {
  readonly harness: BridgeHarness;
  readonly fixtures: string;
  /** FAKE_ENGINE_DIR of the baseline's direct spawns, apart from takopi's. */
  readonly directDir: string;
  #tags = 0;

  private constructor(harness: BridgeHarness) {
    this.harness = harness;
    this.fixtures = join(harness.dir.path, "fixtures");
    this.directDir = join(harness.dir.path, "direct");
  }

  static async start(): Promise<Bench> {
    const harness = await BridgeHarness.create({ world: WORLD, telegram: { allowed_user_ids: [USER, OTHER_USER, THIRD_USER] } });
    const bench = new Bench(harness);
    try {
      // The group is a project chat; the other private chats are allowed through allowed_user_ids.
      const team = await gitRepo(join(harness.dir.path, "team"));
      await harness.writeConfig({ config: { projects: { app: { path: harness.repo }, team: { path: team, chat_id: GROUP } } } });
      await writeFixtures(bench.fixtures);
      await mkdir(bench.directDir);
      await harness.start([], { env: { FAKE_ENGINE_FIXTURES: bench.fixtures } });
    } catch (error) {
      await bench.dispose();
      throw error;
    }
    return bench;
  }

  get telegram() {
    return this.harness.telegram;
  }

  /** A marker that finds this prompt's spawn line. */
  tag(): string {
    this.#tags += 1;
    return `#run${String(this.#tags).padStart(3, "0")}`;
  }

  send(chat: number, text: string): InjectedMessage {
    return this.harness.send(text, { chat, from: chat === GROUP ? USER : chat });
  }

  /** When the fake answered the getUpdates call that carried the update (epoch ms). */
  async deliveredAt(updateId: number): Promise<number> {
    let at: number | undefined;
    await waitFor(
      () => {
        at = this.telegram
          .calls("getUpdates")
          .find((call) => Array.isArray(call.result) && (call.result as { update_id: number }[]).some((update) => update.update_id === updateId))?.finishedAt;
        return at !== undefined;
      },
      20_000,
      `update ${updateId} to be delivered`,
    );
    return at ?? Number.NaN;
  }

  async spawnOf(tag: string): Promise<Spawned> {
    let found: Spawned | undefined;
    await waitFor(
      async () => {
        found = (await this.harness.spawns()).find((run) => [run.prompt, ...run.argv].join(" ").includes(tag)) as Spawned | undefined;
        return found !== undefined;
      },
      20_000,
      `the engine run for ${tag}`,
    );
    return found as Spawned;
  }

  async exits(): Promise<Exited[]> {
    return readJsonLines<Exited>(join(this.harness.engineDir, "exits.jsonl"));
  }

  async exitOf(pid: number): Promise<Exited> {
    let found: Exited | undefined;
    await waitFor(
      async () => {
        found = (await this.exits()).find((exit) => exit.pid === pid);
        return found !== undefined;
      },
      20_000,
      `engine ${pid} to exit`,
    );
    return found as Exited;
  }

  /** The progress message of the run answering `prompt` (`starting` in its first version). */
  async progressOf(chat: number, prompt: InjectedMessage): Promise<StoredMessage> {
    let found: StoredMessage | undefined;
    await waitFor(
      () => {
        found = this.harness
          .botMessages(chat)
          .find((message) => message.replyToMessageId === prompt.stored.messageId && (message.edits[0]?.text ?? message.text ?? "").startsWith("starting"));
        return found !== undefined;
      },
      20_000,
      `the progress message for ${prompt.stored.messageId}\n${this.harness.dump(chat)}`,
    );
    return found as StoredMessage;
  }

  finalOf(chat: number, prompt: InjectedMessage): Promise<StoredMessage> {
    return this.harness.replyTo(prompt.stored.messageId, (text) => text.startsWith("done"), { chat, timeoutMs: 60_000 });
  }

  /** The sendMessage call that posted `message`. */
  sendCallOf(message: StoredMessage): CallRecord {
    const call = this.telegram
      .calls("sendMessage")
      .find((candidate) => candidate.chatId === message.chatId && (candidate.result as { message_id?: number } | undefined)?.message_id === message.messageId);
    if (call === undefined) throw new Error(`no sendMessage call posted message ${message.messageId} in ${message.chatId}`);
    return call;
  }

  /** Waits until the run answering `prompt` has answered and deleted its progress message, and the chat has been still for `ms`. */
  async settled(chat: number, prompt: InjectedMessage, ms: number): Promise<void> {
    const final = await this.finalOf(chat, prompt);
    await waitFor(
      () =>
        this.harness
          .botMessages(chat)
          .every((message) => message.replyToMessageId !== prompt.stored.messageId || message.messageId === final.messageId || message.deleted),
      20_000,
      `the progress message for ${prompt.stored.messageId} to be deleted`,
    );
    await this.quiet(chat, ms);
  }

  /** Waits until the chat's lane is idle: nothing pending and nothing sent for `ms`, so the next call is not paced. */
  async quiet(chat: number, ms: number): Promise<void> {
    await waitFor(
      () => {
        const calls = this.telegram.calls().filter((call) => call.chatId === chat);
        if (calls.some((call) => call.status === "pending")) return false;
        const last = Math.max(0, ...calls.map((call) => call.receivedAt));
        return Date.now() - last >= ms;
      },
      30_000,
      `chat ${chat} to go quiet`,
    );
  }

  /**
   * The baseline for update → spawn: the same CLI, argv, cwd and stdin as
   * takopi's run, spawned with node's child_process; ms from just before
   * spawn() to its spawn line.
   */
  async directSpawn(run: Spawned): Promise<number> {
    const log = join(this.directDir, "spawns.jsonl");
    const before = (await readJsonLines<Spawned>(log)).length;
    const env = cliEnv(this.harness.home, {
      FAKE_ENGINE_DIR: this.directDir,
      FAKE_ENGINE_FIXTURES: this.fixtures,
      PATH: [join(this.harness.dir.path, "bin"), process.env.PATH ?? ""].join(":"),
    });
    const start = Date.now();
    const child = spawn(join(this.harness.dir.path, "bin", run.engine), run.argv, { cwd: run.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    child.stdout.resume();
    child.stderr.resume();
    child.stdin.end(run.prompt);
    const [code] = (await once(child, "exit")) as [number | null];
    const line = (await readJsonLines<Spawned>(log))[before];
    if (code !== 0 || line === undefined) throw new Error(`the direct spawn of ${run.engine} failed (exit ${String(code)})`);
    return line.at - start;
  }

  /**
   * Kills takopi's engine runs still going (the busy ones, after a failure),
   * then takopi, the fake server and the scratch dir. Direct spawns are
   * always waited for.
   */
  async dispose(): Promise<void> {
    try {
      const exited = new Set((await this.exits()).map((exit) => exit.pid));
      for (const { pid } of await this.harness.spawns()) {
        if (!exited.has(pid) && this.#isOurEngine(pid)) killRun(pid);
      }
    } finally {
      await this.harness.dispose();
    }
  }

  /** Alive and still one of this bench's stand-in CLIs (its command line names our scratch dir), not a reused pid. */
  #isOurEngine(pid: number): boolean {
    if (!isAlive(pid)) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(this.harness.dir.path);
    } catch {
      return process.platform !== "linux";
    }
  }
}

/** One run's Telegram traffic in its chat. */
interface Traffic {
  calls: number;
  sends: number;
  edits: number;
  deletes: number;
  hits: number;
  /** The shortest time between two of the run's calls. */
  minGapMs: number;
  windowMs: number;
  budget: number;
}

/** Sequential runs of the `actions` recording in one chat; all calls to the chat between a run's update and the next run are its. */
async function trafficRuns(bench: Bench, chat: number, kind: keyof typeof INTERVAL_MS): Promise<Traffic[]> {
  const runs: Traffic[] = [];
  const intervalMs = INTERVAL_MS[kind];
  // Idle first, so the first run's first call is not paced behind an earlier run's last.
  await bench.quiet(chat, intervalMs + 500);
  for (let round = 0; round < ROUNDS.budget[kind]; round++) {
    const prompt = bench.send(chat, `run the checks ${bench.tag()} [scenario:${ACTIONS.scenario}] [delay:${ACTIONS.delayMs}]`);
    const delivered = await bench.deliveredAt(prompt.updateId);
    await bench.finalOf(chat, prompt);
    await bench.quiet(chat, intervalMs + 500);
    const calls = bench.telegram.calls().filter((call) => call.chatId === chat && OUTGOING.has(call.method) && call.receivedAt >= delivered);
    const times = calls.map((call) => call.receivedAt).sort((a, b) => a - b);
    const windowMs = (times.at(-1) ?? delivered) - delivered;
    const count = (method: string) => calls.filter((call) => call.method === method).length;
    if (VERBOSE) {
      const timeline = calls.map((call) => `${call.method.replace("Message", "")}+${call.receivedAt - delivered}/${String(call.status)}`);
      process.stderr.write(`  ${kind} run ${round + 1}: ${timeline.join(" ")}\n`);
    }
    runs.push({
      calls: calls.length,
      sends: count("sendMessage"),
      edits: count("editMessageText"),
      deletes: count("deleteMessage"),
      hits: bench.telegram.rateLimitHits.filter((hit) => hit.chatId === chat && hit.at >= delivered).length,
      minGapMs: Math.min(...times.slice(1).map((at, i) => at - (times[i] ?? at))),
      windowMs,
      // Strict pacing (no burst credit): one call at the start, then one per interval.
      budget: 1 + windowMs / intervalMs,
    });
  }
  return runs;
}

async function telegramRows(bench: Bench): Promise<Row[]> {
  const { events, changes } = engineEvents(join(bench.fixtures, `codex_${ACTIONS.scenario}.jsonl`));
  const [privateRuns, groupRuns] = await Promise.all([trafficRuns(bench, USER, "private"), trafficRuns(bench, GROUP, "group")]);
  const rows: Row[] = [];
  for (const [kind, runs] of [["private", privateRuns], ["group", groupRuns]] as const) {
    const rate = kind === "private" ? "1/s" : "20/min";
    // The worst run decides whether a chat stays within its limit.
    const worst = runs.reduce((a, b) => (b.calls / b.budget > a.calls / a.budget ? b : a));
    const hits = runs.reduce((sum, run) => sum + run.hits, 0);
    const minGap = Math.min(...runs.map((run) => run.minGapMs));
    rows.push({
      what: `Telegram calls per run, ${kind} chat (worst of ${runs.length})`,
      baseline: `limit ${rate} × ${(worst.windowMs / 1000).toFixed(1)} s = ${worst.budget.toFixed(1)} calls`,
      measured: `${worst.calls} calls (${worst.sends} send, ${worst.edits} edit, ${worst.deletes} delete), ${(minGap / 1000).toFixed(2)} s apart or more; ${hits}× 429`,
      ratio: worst.calls / worst.budget,
    });
    const edits = median(runs.map((run) => run.edits));
    rows.push({
      what: `progress edits per run, ${kind} chat (median)`,
      baseline: `${changes} of ${events} engine events change the progress`,
      measured: `${edits} edits`,
      ratio: edits / changes,
    });
  }
  return rows;
}

/** The first run after start is a warm-up (code that runs for the first time), left out of the median and reported apart. */
async function spawnRow(bench: Bench): Promise<{ row: Row; pollLagMs: number; firstMs: number }> {
  const viaTakopi: number[] = [];
  const direct: number[] = [];
  let pollLagMs = 0;
  for (let round = 0; round <= ROUNDS.spawn; round++) {
    const tag = bench.tag();
    const injected = Date.now();
    const prompt = bench.send(USER, `hello ${tag} [delay:0]`);
    const delivered = await bench.deliveredAt(prompt.updateId);
    pollLagMs = Math.max(pollLagMs, delivered - injected);
    const run = await bench.spawnOf(tag);
    viaTakopi.push(run.at - delivered);
    // The baseline runs with takopi idle: this run answered, its progress message deleted.
    await bench.settled(USER, prompt, 300);
    for (let i = 0; i < ROUNDS.directPerSpawn; i++) direct.push(await bench.directSpawn(run));
  }
  if (VERBOSE) process.stderr.write(`  update → spawn ms: takopi ${viaTakopi.join(" ")}; direct ${direct.join(" ")}\n`);
  const [firstMs = Number.NaN] = viaTakopi.splice(0, 1);
  direct.splice(0, ROUNDS.directPerSpawn);
  const takopi = median(viaTakopi);
  const baseline = median(direct);
  return {
    row: {
      what: `update handed out by getUpdates → engine spawned (median of ${ROUNDS.spawn})`,
      baseline: `child_process.spawn ${baseline.toFixed(0)} ms (median of ${direct.length})`,
      measured: `${takopi.toFixed(0)} ms`,
      ratio: takopi / baseline,
    },
    pollLagMs,
    firstMs,
  };
}

/**
 * Exit → final sendMessage for runs in USER's chat that wait on a gate after
 * their first line: the gate opens once the progress message is out and the
 * chat's lane has been idle for a full interval, so pacing adds nothing.
 */
async function exitToFinal(bench: Bench, rounds: number): Promise<number[]> {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const tag = bench.tag();
    const gate = `final${tag.slice(1)}`;
    const prompt = bench.send(USER, `answer ${tag} [gate:${gate}] [delay:0]`);
    const run = await bench.spawnOf(tag);
    await bench.progressOf(USER, prompt);
    await bench.quiet(USER, INTERVAL_MS.private + 300);
    await bench.harness.openGate(gate);
    const final = await bench.finalOf(USER, prompt);
    const exit = await bench.exitOf(run.pid);
    samples.push(bench.sendCallOf(final).receivedAt - exit.at);
  }
  if (VERBOSE) process.stderr.write(`  exit → final ms: ${samples.join(" ")}\n`);
  return samples;
}

async function busyRow(bench: Bench): Promise<{ row: Row; busyEdits: number }> {
  const before = Math.ceil(ROUNDS.final / 2);
  const alone = await exitToFinal(bench, before);

  const busyChats = [OTHER_USER, THIRD_USER, GROUP];
  const busyRuns = await Promise.all(
    busyChats.map(async (chat) => {
      const tag = bench.tag();
      const prompt = bench.send(chat, `keep busy ${tag} [scenario:${BUSY.scenario}] [delay:${BUSY.delayMs}]`);
      const run = await bench.spawnOf(tag);
      return { chat, run, progress: await bench.progressOf(chat, prompt) };
    }),
  );
  const phaseStart = Date.now();
  const busy = await exitToFinal(bench, ROUNDS.final);
  const phaseEnd = Date.now();
  const exited = new Set((await bench.exits()).map((exit) => exit.pid));
  if (busyRuns.some(({ run }) => exited.has(run.pid))) throw new Error("a busy run ended before the busy phase did: lengthen BUSY.count");
  const busyEdits = bench.telegram
    .calls("editMessageText")
    .filter((call) => busyChats.includes(call.chatId as number) && call.receivedAt >= phaseStart && call.receivedAt <= phaseEnd).length;

  // Cancel the busy runs as a user would, and let their chats go still before the second half of the baseline.
  for (const { chat, progress } of busyRuns) {
    bench.harness.send("/cancel", { chat, from: chat === GROUP ? USER : chat, replyTo: progress.messageId });
  }
  await waitFor(() => busyRuns.every(({ run }) => !isAlive(run.pid)), 20_000, "the busy runs to be cancelled");
  await Promise.all(busyChats.map((chat) => bench.quiet(chat, (chat === GROUP ? INTERVAL_MS.group : INTERVAL_MS.private) + 500)));
  alone.push(...(await exitToFinal(bench, ROUNDS.final - before)));

  const aloneMs = median(alone);
  const busyMs = median(busy);
  return {
    row: {
      what: `engine exit → final message sent, 3 other chats streaming (median of ${ROUNDS.final})`,
      baseline: `alone ${aloneMs.toFixed(0)} ms`,
      measured: `${busyMs.toFixed(0)} ms`,
      ratio: busyMs / aloneMs,
    },
    busyEdits,
  };
}

/** Where the bench is, on stderr: it takes a couple of minutes. */
function step(what: string): void {
  process.stderr.write(`bridge bench: ${what} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
}

const started = Date.now();
const bench = await Bench.start();
let rows: Row[];
let busyEdits: number;
let pollLagMs: number;
let firstSpawnMs: number;
let totalHits: number;
let earlyRetries: number;
const interrupted = (): void => {
  void bench.dispose().finally(() => process.exit(130));
};
process.once("SIGINT", interrupted);
try {
  step("update → spawn");
  const spawnLatency = await spawnRow(bench);
  step("Telegram calls per run");
  const telegram = await telegramRows(bench);
  step("exit → final, alone then busy");
  const busy = await busyRow(bench);
  step("done");
  rows = [...telegram, spawnLatency.row, busy.row];
  pollLagMs = spawnLatency.pollLagMs;
  firstSpawnMs = spawnLatency.firstMs;
  busyEdits = busy.busyEdits;
  totalHits = bench.telegram.rateLimitHits.length;
  earlyRetries = bench.telegram.earlyRetries.length;
} finally {
  process.off("SIGINT", interrupted);
  await bench.dispose();
}
const seconds = ((Date.now() - started) / 1000).toFixed(0);
const table = resultsTable(rows);
writeResultsSection(
  "bridge",
  `## Bridge

${generatedBy("npm run bench:bridge")}
A real \`takopi run\` (built \`dist/\`) against the fake Bot API with Telegram's per-chat limits enforced (1 message/s in a
private chat, 20/min in a group), stand-in engine CLIs replaying recordings; ${seconds} s in all, ${totalHits} 429s and
${earlyRetries} early retries over the whole run.

${table}

- **Telegram calls per run**: a codex run of ${ACTIONS.count} shell commands (\`codex_tool.jsonl\`'s command lines repeated,
  ${ACTIONS.delayMs} ms between lines, ≈ ${(((4 + 2 * ACTIONS.count) * ACTIONS.delayMs) / 1000).toFixed(1)} s of engine time), ${ROUNDS.budget.private} in a row in the private chat and ${ROUNDS.budget.group} in the group, both chats at
  once. Calls are every sendMessage, editMessageText and deleteMessage to the chat from the update being handed out to
  the run's last call (the progress message's delete); the budget is what strict pacing at the chat's limit fits in that
  window (one call at the start, then one per second or per 3 s, no burst credit). 1.00× means the run spends its chat's
  budget exactly: the outbox paces each chat at the limit from the moment a call starts, so while there is news every
  slot is used and none is exceeded; the smallest gap between two calls at the fake is shown. The 429s are the
  fake's answers (its token buckets also allow a burst of 3 in private chats, 20 in groups).
- **progress edits per run**: editMessageText calls, against the events codex's translator makes of the recording that
  change what the progress message shows (each would be an edit without coalescing). The outbox keeps only the newest
  pending edit of a message and paces each chat, so a group (3 s) gets fewer edits, and its final answer waits for the
  next free slot (up to 3 s after the last edit).
- **update → engine spawned**: from the fake answering the getUpdates call that carried the message (\`finishedAt\`;
  takopi holds a long poll, so this was at most ${pollLagMs} ms after the inject) to the stand-in CLI's spawn line
  (\`at\`, written once it has read its stdin). The baseline spawns the same CLI with the same argv, cwd and stdin from
  node's child_process, ${ROUNDS.directPerSpawn}× after each takopi run, with takopi idle. The difference is takopi's routing, run setup and
  execa; both include node's start-up, which dominates and varies most on a loaded machine. The first run after takopi
  started is a warm-up, left out of the median (it took ${firstSpawnMs} ms).
- **engine exit → final message**: from the CLI's exit line to the final sendMessage arriving at the fake, in the main
  private chat. Each run waits on a gate after its first line, opened once the chat has been idle for a full pacing
  interval, so pacing adds nothing and this is takopi's own work (seeing the exit, rendering, the outbox, the request). Alone: ${Math.ceil(ROUNDS.final / 2)} runs before
  and ${ROUNDS.final - Math.ceil(ROUNDS.final / 2)} after the busy phase. Busy: while 2 other private chats and the group each run an engine printing a line
  every ${BUSY.delayMs} ms (an action starting or finishing), started just before and cancelled after; ${busyEdits} progress edits went to
  those chats during the measured runs. The times are a few ms at 1 ms resolution, so one ms moves the ratio visibly.
`,
);
process.stdout.write(`${table}\n`);
