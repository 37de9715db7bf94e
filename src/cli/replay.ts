/**
 * `takopi replay`: runs a recorded engine stream through the same translator a
 * live run uses and prints the normalized events (one JSON object per line),
 * or with `--render` the final message as the bridge would send it.
 */
import { createReadStream } from "node:fs";
import { access, constants, stat } from "node:fs/promises";
import type { TakopiEvent } from "../core/events.js";
import { ProgressTracker } from "../core/progress.js";
import { runOutcome } from "../core/outcome.js";
import { SessionMismatchError } from "../engines/jsonl-stream.js";
import { replayStream } from "../engines/replay.js";
import { renderFinal } from "../render/final.js";
import { createLogger, logLevel } from "../util/log.js";
import { PluginLoadError } from "../plugins/registry.js";
import { UsageError } from "./errors.js";
import { openPlugins } from "./setup.js";

export interface ReplayCommandOptions {
  engine: string;
  render?: boolean;
  cwd?: string;
  resume?: string;
  exitCode?: number;
  signal?: string;
  elapsed?: number;
}

export async function replayCommand(file: string, options: ReplayCommandOptions): Promise<number> {
  // Replay reads no config: built-in engines and installed or TAKOPI_PLUGIN_PATH plugins.
  const plugins = await openPlugins(null);
  let backend;
  try {
    backend = await plugins.load("engine", options.engine);
  } catch (error) {
    if (error instanceof PluginLoadError) throw new UsageError(error.message);
    throw error;
  }
  const source = file === "-" ? process.stdin : await openRecording(file);
  const log = createLogger({ level: logLevel("warn"), name: "takopi.replay" });
  const tracker = new ProgressTracker(backend.id);
  let last: TakopiEvent | null = null;
  try {
    const events = replayStream(backend, source, {
      cwd: options.cwd ?? null,
      resume: options.resume === undefined ? null : { engine: backend.id, value: options.resume },
      exit: options.signal === undefined ? { exitCode: options.exitCode ?? 0, signal: null } : { exitCode: null, signal: options.signal },
      debug: (message, fields) => {
        log.debug(fields ?? {}, message);
      },
    });
    for await (const event of events) {
      tracker.noteEvent(event);
      last = event;
      if (!options.render) process.stdout.write(`${JSON.stringify(toWire(event))}\n`);
    }
  } catch (error) {
    if (error instanceof SessionMismatchError) {
      process.stderr.write(`takopi replay: ${error.message}\n`);
      return 1;
    }
    if (isReadError(error)) throw new UsageError(`cannot read ${file}: ${error.message}`);
    throw error;
  }
  if (options.render && last?.type === "completed") {
    const snapshot = tracker.snapshot();
    const outcome = runOutcome(last, snapshot.resume);
    process.stdout.write(
      `${renderFinal({
        label: outcome.status,
        engine: backend.id,
        elapsedSeconds: options.elapsed ?? 0,
        actionCount: snapshot.actionCount,
        body: outcome.text,
        resumeLine: outcome.resume ? backend.formatResume(outcome.resume) : null,
      })}\n`,
    );
  }
  return 0;
}

async function openRecording(file: string): Promise<NodeJS.ReadableStream & AsyncIterable<Buffer>> {
  try {
    await access(file, constants.R_OK);
    if ((await stat(file)).isDirectory()) throw new UsageError(`cannot read ${file}: it is a directory`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "permission denied";
    throw new UsageError(`cannot read ${file}: ${reason}`);
  }
  return createReadStream(file) as NodeJS.ReadableStream & AsyncIterable<Buffer>;
}

function isReadError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && (error as NodeJS.ErrnoException).syscall !== undefined;
}

/** Events in a stable key order, with absent optional fields as null: easy to diff and to grep. */
export function toWire(event: TakopiEvent): Record<string, unknown> {
  switch (event.type) {
    case "started":
      return {
        type: "started",
        engine: event.engine,
        resume: event.resume,
        title: event.title ?? null,
        meta: event.meta ?? null,
      };
    case "action":
      return {
        type: "action",
        engine: event.engine,
        phase: event.phase,
        action: event.action,
        ok: event.ok ?? null,
        message: event.message ?? null,
        level: event.level ?? null,
      };
    case "completed":
      return {
        type: "completed",
        engine: event.engine,
        ok: event.ok,
        answer: event.answer,
        resume: event.resume ?? null,
        error: event.error ?? null,
        usage: event.usage ?? null,
      };
  }
}
