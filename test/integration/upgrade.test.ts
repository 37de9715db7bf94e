// Upgrades keep state: the previous release's image (test/upgrade/previous-release,
// built from `git archive` of its commit) runs on a state volume with
// `session_mode = "chat"`, stores chat sessions, a chat's engine and model and
// the update offset, and stops; then the image built from this checkout runs
// on the same volume. Sessions continue (a plain message and a reply to an
// old answer), the preferences hold, and no update is handled twice even
// though the fake Bot API offers the old ones again.
//
// Real Docker engine, host networking to the fake Bot API on 127.0.0.1, and
// the fake engine (test/support/fake-engine) mounted as the host's engine
// binaries, recording each start with its arguments. Needs what
// .ci/setup-docker.sh sets up (it also warms the cache the previous release
// builds from); without it the file is skipped with the reason, except in CI.
import { chown, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram/index.js";
import type { JsonObject } from "../support/fake-telegram/types.js";
import type { StoredMessage } from "../support/fake-telegram/records.js";
import { STANDARD_WORLD, USER } from "../support/fake-telegram/standard-world.js";
import { buildTakopiImage, createVolume, DetachedContainer, dockerStatus, ENGINE_COMMANDS, removeVolume, REPO_ROOT, type RunOptions } from "../support/docker.js";
import { buildPreviousRelease, flagValue, previousRelease, readSpawns, type EngineSpawn, type PreviousRelease } from "../support/upgrade.js";

const IN_CI = process.env.CI === "true";
const PREVIOUS_IMAGE = "takopi:upgrade-test-previous";
const CURRENT_IMAGE = "takopi:upgrade-test-current";
const NAME = `takopi-upgrade-${process.pid}`;
/** As container.test.ts: root here runs the bridge as a stranger's uid, otherwise as ours. */
const HOST_UID = process.getuid?.() ?? 0;
const UID = HOST_UID === 0 ? 4242 : HOST_UID;
const GID = HOST_UID === 0 ? 4343 : (process.getgid?.() ?? 0);
/** The chat's preferences, set under the previous release: an engine other than the default (codex) and a model. */
const ENGINE = "claude";
const MODEL = "claude-upgrade-test";
const ANSWER_MS = 60_000;

const docker = await dockerStatus();
if (!docker.ok) {
  if (IN_CI) {
    describe("upgrade test", () => {
      it("has what it needs in CI", () => {
        throw new Error(`upgrade test: ${docker.reason}`);
      });
    });
  } else {
    console.warn(`skipping the upgrade test: ${docker.reason}`);
  }
}

/** A user message of the first phase: what the fake offers again after the upgrade. */
interface Sent {
  updateId: number;
  message: JsonObject;
  stored: StoredMessage;
}

describe.skipIf(!docker.ok)("upgrading from the previous release", () => {
  let release: PreviousRelease;
  let tg: FakeTelegram;
  let scratch = "";
  const volume = `${NAME}-state`;
  let engineLog = "";
  let runOptions: RunOptions;
  /** The current release's container, once started. */
  let current: DetachedContainer | undefined;
  /** Undone in reverse in afterAll, each whatever the others do: whatever was made before a failure. */
  const cleanups: (() => Promise<void>)[] = [];
  /** Set as each step passes: a later step says which earlier one it needs instead of failing obscurely. */
  const done = new Set<string>();
  const needs = (step: string): void => {
    if (!done.has(step)) throw new Error(`not run: the step "${step}" failed`);
  };

  // What the previous release did, for the checks after the upgrade.
  const sent: Sent[] = [];
  let firstAnswer: StoredMessage | undefined;
  let firstSession = "";
  let secondSession = "";
  /** Bot replies to each first-phase message when the previous release stopped. */
  const repliesBefore = new Map<number, number>();

  const send = (text: string, replyTo?: number): Sent => {
    const injected = tg.injectMessage({ chat: USER, from: USER, text, ...(replyTo === undefined ? {} : { reply_to_message_id: replyTo }) });
    return { updateId: injected.updateId, message: injected.message as unknown as JsonObject, stored: injected.stored };
  };
  const replies = (messageId: number): StoredMessage[] => tg.messages(USER).filter((message) => message.replyToMessageId === messageId && !message.deleted);
  /** The bot's reply to a message that `matches`; on a timeout the error carries the container's log tail. */
  const answerTo = async (container: DetachedContainer, messageId: number, matches: (text: string) => boolean): Promise<StoredMessage> =>
    tg.waitForMessage((message) => message.replyToMessageId === messageId && !message.deleted && matches(message.text ?? ""), ANSWER_MS).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${container.name} logs (tail):\n${(await container.logs()).slice(-4000)}`);
    });
  const isFinal = (text: string): boolean => text.startsWith("done");
  const start = async (image: string, which: string): Promise<DetachedContainer> => {
    const name = `${NAME}-${which}`;
    cleanups.push(() => DetachedContainer.remove(name));
    return DetachedContainer.start(image, name, runOptions);
  };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "takopi-upgrade-"));
    cleanups.push(() => rm(scratch, { recursive: true, force: true }));
    // First, so that a clone without the release fails with the advice, before any build.
    release = await previousRelease();
    const buildArgs = { UID: String(UID), GID: String(GID) };
    const previous = await buildPreviousRelease(release, PREVIOUS_IMAGE, buildArgs, scratch);
    const checkout = await buildTakopiImage(CURRENT_IMAGE, buildArgs);
    console.info(
      `${release.tag} (${release.commit.slice(0, 12)}, found by ${release.via}) built in ${previous.seconds.toFixed(1)} s; ` +
        `this checkout in ${checkout.seconds.toFixed(1)} s`,
    );

    tg = await startFakeTelegram(STANDARD_WORLD);
    const telegram = tg;
    cleanups.push(() => telegram.close());
    const projects = join(scratch, "projects");
    engineLog = join(scratch, "engine-log");
    const engines = join(scratch, "engines");
    for (const dir of [projects, join(projects, "alpha"), engineLog, engines]) {
      await mkdir(dir, { recursive: true });
      if (HOST_UID === 0 && dir !== engines) await chown(dir, UID, GID);
    }
    for (const name of ENGINE_COMMANDS) await symlink("/opt/takopi-test/support/fake-engine/cli.mjs", join(engines, name));
    // A named volume, as compose.yaml keeps /state: Docker fills it from the image's /state (owned by the bridge's uid).
    cleanups.push(() => removeVolume(volume));
    await createVolume(volume);
    runOptions = {
      env: {
        TELEGRAM_BOT_TOKEN: tg.token,
        TELEGRAM_CHAT_ID: String(USER),
        TELEGRAM_API_ROOT: tg.apiRoot,
        TAKOPI_ALLOWED_USER_IDS: String(USER),
        TAKOPI_SESSION_MODE: "chat",
        TAKOPI_LOG_FORMAT: "json",
        FAKE_ENGINE_DIR: "/fake-engine",
      },
      mounts: {
        [projects]: "/projects",
        [volume]: "/state",
        [engines]: "/opt/engines/bin:ro",
        [join(REPO_ROOT, "test")]: "/opt/takopi-test:ro",
        [engineLog]: "/fake-engine",
      },
    };
  }, 600_000);

  afterAll(async () => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, "cleaning up after the upgrade test failed");
  });

  it("the previous release stores a chat session per /new, the chat's engine and model, and stops cleanly", async () => {
    const old = await start(PREVIOUS_IMAGE, "previous");

    const agent = send(`/agent set ${ENGINE}`);
    sent.push(agent);
    await answerTo(old, agent.stored.messageId, (text) => text.includes(`default engine set to ${ENGINE}`));
    const model = send(`/model set ${MODEL}`);
    sent.push(model);
    await answerTo(old, model.stored.messageId, (text) => text.includes(`override set to ${MODEL}`));

    const first = send("first question");
    sent.push(first);
    firstAnswer = await answerTo(old, first.stored.messageId, isFinal);
    const reset = send("/new");
    sent.push(reset);
    await answerTo(old, reset.stored.messageId, (text) => text.startsWith("cleared stored sessions"));
    const second = send("second question");
    sent.push(second);
    await answerTo(old, second.stored.messageId, isFinal);

    const spawns = await readSpawns(engineLog);
    expect(spawns.map((spawn) => ({ engine: spawn.engine, prompt: spawn.prompt.trim(), resume: spawn.resume }))).toEqual([
      { engine: ENGINE, prompt: "first question", resume: null },
      { engine: ENGINE, prompt: "second question", resume: null },
    ]);
    for (const spawn of spawns) expect(flagValue(spawn.argv, "--model")).toBe(MODEL);
    [firstSession, secondSession] = spawns.map((spawn) => spawn.session) as [string, string];
    expect(firstSession).not.toBe(secondSession);
    // The answer carries the resume line a reply continues from.
    expect(firstAnswer.text).toContain(`claude --resume ${firstSession}`);

    // SIGTERM: the bridge stops polling, confirms, and exits 0.
    expect(await old.stop(20), await old.logs()).toBe(0);
    for (const { stored } of sent) repliesBefore.set(stored.messageId, replies(stored.messageId).length);
    done.add("previous release");
  });

  it("the current release on the same state handles none of the previous release's updates again", async () => {
    needs("previous release");
    // Telegram offers updates again whose confirmation it did not hear (the
    // process died first): here it hears nothing and offers all of them, under
    // their ids. Only the saved offset keeps the new process from handling
    // them; they are younger than the backlog age limit, so nothing else would.
    for (const { updateId, message } of sent) tg.injectUpdate({ update_id: updateId, message });
    expect(tg.pendingUpdates().map((update) => update.update_id)).toEqual(sent.map(({ updateId }) => updateId));

    current = await start(CURRENT_IMAGE, "current");
    // A new message: its answer comes after whatever the first poll brought was handed on.
    const probe = send("/agent");
    const shown = await answerTo(current, probe.stored.messageId, (text) => text.startsWith("engine:"));
    expect(tg.pendingUpdates()).toEqual([]);
    for (const { stored } of sent) {
      expect({ message: stored.text, replies: replies(stored.messageId).length }).toEqual({ message: stored.text, replies: repliesBefore.get(stored.messageId) });
    }
    expect((await readSpawns(engineLog)).length).toBe(2);
    done.add("current release");

    // The preferences came along: /agent shows them as the chat's.
    expect(shown.text).toContain(`engine: ${ENGINE} (chat default)`);
    expect(shown.text).toContain(`model: ${MODEL} (chat default)`);
  });

  it("a new message continues the chat session the previous release stored, with the chat's engine and model", async () => {
    needs("current release");
    if (current === undefined) throw new Error("the current release's container was not started");
    const third = send("third question");
    await answerTo(current, third.stored.messageId, isFinal);
    const spawn = (await readSpawns(engineLog)).at(-1) as EngineSpawn;
    expect({ prompt: spawn.prompt.trim(), engine: spawn.engine, resume: spawn.resume, model: flagValue(spawn.argv, "--model") }).toEqual({
      prompt: "third question",
      engine: ENGINE,
      resume: secondSession,
      model: MODEL,
    });
  });

  it("a reply to an answer of the previous release continues that answer's session", async () => {
    needs("current release");
    if (current === undefined) throw new Error("the current release's container was not started");
    const answer = firstAnswer as StoredMessage;
    const followUp = send("follow-up on the first", answer.messageId);
    await answerTo(current, followUp.stored.messageId, isFinal);
    const spawns = await readSpawns(engineLog);
    const spawn = spawns.at(-1) as EngineSpawn;
    expect({ prompt: spawn.prompt.trim(), engine: spawn.engine, resume: spawn.resume }).toEqual({ prompt: "follow-up on the first", engine: ENGINE, resume: firstSession });
    // Every run, before and after the upgrade, once: nothing was replayed meanwhile either.
    expect(spawns.map((run) => run.prompt.trim())).toEqual(["first question", "second question", "third question", "follow-up on the first"]);
  });
});
