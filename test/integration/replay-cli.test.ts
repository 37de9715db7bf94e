/**
 * `takopi replay` as a user runs it: the built CLI in a real process, over
 * every recorded engine stream we have (../shared's and our own).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { TakopiEventSchema, type TakopiEvent } from "../../src/core/events.js";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const SOURCES = [
  fileURLToPath(new URL("../../../shared/fixtures/engines/", import.meta.url)),
  fileURLToPath(new URL("../fixtures/engines/", import.meta.url)),
];

function takopi(args: string[], input?: string) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  return execa(process.execPath, [CLI, ...args], { reject: false, ...(input === undefined ? {} : { input }) });
}

interface Recording {
  engine: string;
  scenario: string;
  path: string;
}

const recordings: Recording[] = SOURCES.filter((dir) => existsSync(dir)).flatMap((dir) =>
  readdirSync(dir)
    .filter((name) => /^(codex|claude|opencode|pi)_.+\.jsonl$/.test(name))
    .map((name) => {
      const [engine = "", ...rest] = name.replace(/\.jsonl$/, "").split("_");
      return { engine, scenario: rest.join("_"), path: `${dir}${name}` };
    }),
);

/** The session id as each CLI prints it on its first line that has one. */
function sessionIdIn(engine: string, text: string): string | null {
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const value = JSON.parse(line) as Record<string, unknown>;
    const id = { codex: value.thread_id, claude: value.session_id, opencode: value.sessionID, pi: value.type === "session" ? value.id : undefined }[engine];
    if (typeof id === "string" && id !== "") return id;
  }
  return null;
}

/** How the recorded process ended, from our `.meta.json` or ../shared's `.cmd.txt`. */
function recordedExit(path: string): string[] {
  const meta = path.replace(/\.jsonl$/, ".meta.json");
  if (existsSync(meta)) {
    const { exitCode, signal } = JSON.parse(readFileSync(meta, "utf8")) as { exitCode: number | null; signal: string | null };
    return signal !== null ? ["--signal", signal] : ["--exit-code", String(exitCode ?? 0)];
  }
  const cmd = path.replace(/\.jsonl$/, ".cmd.txt");
  const code = existsSync(cmd) ? /# exit code: (\d+)/.exec(readFileSync(cmd, "utf8"))?.[1] : undefined;
  return ["--exit-code", code ?? "0"];
}

/** Recordings of runs that failed or were cut short end in a failed run. */
function expectedOk(scenario: string): boolean {
  return !/error|cancel|fail|sigint|sigterm|killed|unknown/.test(scenario);
}

describe("takopi replay over every recording", () => {
  it("has recordings of all four engines", () => {
    expect(new Set(recordings.map((r) => r.engine))).toEqual(new Set(["codex", "claude", "opencode", "pi"]));
  });

  it.each(recordings.map((r) => [`${r.engine} ${r.scenario}`, r] as const))("%s", async (_name, recording) => {
    const result = await takopi(["replay", "--engine", recording.engine, ...recordedExit(recording.path), recording.path]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const events = result.stdout
      .trim()
      .split("\n")
      .map((line) => TakopiEventSchema.parse(JSON.parse(line)));
    const completed = events.at(-1);
    expect(completed?.type).toBe("completed");
    if (completed?.type !== "completed") return;
    expect(events.filter((e) => e.type === "completed")).toHaveLength(1);

    const id = sessionIdIn(recording.engine, readFileSync(recording.path, "utf8"));
    const started = events.find((e) => e.type === "started");
    if (id !== null && started?.type === "started") {
      expect(started.resume).toEqual({ engine: recording.engine, value: id });
      expect(completed.resume).toEqual(started.resume);
    }
    expect(completed.ok).toBe(expectedOk(recording.scenario));
    if (!completed.ok) expect(completed.error ?? "").not.toBe("");
    if (recording.scenario === "error401") expect(completed.error).toMatch(/401|API key/i);
    if (["text", "tool", "edit", "resume"].includes(recording.scenario)) expect(completed.answer).not.toBe("");
  });
});

describe("takopi replay as a command", () => {
  const codexText = [
    '{"type":"thread.started","thread_id":"t-123"}',
    '{"type":"turn.started"}',
    '{"type":"item.started","item":{"id":"item_0","type":"command_execution","command":"ls","aggregated_output":"","exit_code":null,"status":"in_progress"}}',
    '{"type":"item.completed","item":{"id":"item_0","type":"command_execution","command":"ls","aggregated_output":"a\\n","exit_code":0,"status":"completed"}}',
    '{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"all **good**"}}',
    '{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":2}}',
  ].join("\n");

  it("reads stdin and prints events with a stable shape", async () => {
    const result = await takopi(["replay", "--engine", "codex", "-"], codexText);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toEqual({ type: "started", engine: "codex", resume: { engine: "codex", value: "t-123" }, title: "codex", meta: null });
    expect(Object.keys(lines[2] ?? {})).toEqual(["type", "engine", "phase", "action", "ok", "message", "level"]);
    expect(lines.at(-1)).toEqual({
      type: "completed",
      engine: "codex",
      ok: true,
      answer: "all **good**",
      resume: { engine: "codex", value: "t-123" },
      error: null,
      usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 2 },
    });
  });

  it("--render prints the final message: header, answer, resume line", async () => {
    const result = await takopi(["replay", "--engine", "codex", "--render", "--elapsed", "75"], codexText);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("done · codex · 1m 15s · step 1\n\nall **good**\n\n`codex resume t-123`");
  });

  it("--render shows a failed run as error with its reason and keeps the resume line", async () => {
    const failed = '{"type":"thread.started","thread_id":"t-9"}\n{"type":"turn.failed","error":{"message":"quota exceeded"}}\n';
    const result = await takopi(["replay", "-e", "codex", "-r"], failed);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("error · codex · 0s\n\nquota exceeded\n\n`codex resume t-9`");
  });

  it("a stream cut short is an error, and --exit-code says how it ended", async () => {
    const cut = '{"type":"thread.started","thread_id":"t-1"}\n{"type":"turn.started"}\n';
    // Even a clean exit is no success without turn.completed (upstream would say `done` with an empty answer).
    const clean = await takopi(["replay", "-e", "codex", "-r"], cut);
    expect(clean.stdout).toBe(
      "error · codex · 0s\n\ncodex exec ended without finishing its turn (no turn.completed in its output); the answer may be incomplete\n\n`codex resume t-1`",
    );
    // The failure note is a warning, shown but not counted as a step.
    const crashed = await takopi(["replay", "-e", "codex", "-r", "--exit-code", "1"], cut);
    expect(crashed.stdout).toBe("error · codex · 0s\n\ncodex exec failed (rc=1).\n\n`codex resume t-1`");
    const killed = await takopi(["replay", "-e", "codex", "-r", "--signal", "TERM"], cut);
    expect(killed.stdout).toBe("error · codex · 0s\n\ncodex exec failed (signal=SIGTERM).\n\n`codex resume t-1`");
  });

  it("turns garbage into warnings, not a crash", async () => {
    const result = await takopi(["replay", "-e", "claude"], 'not json\n{"type":"mystery"}\n[1,2]\n');
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as TakopiEvent);
    expect(lines[0]).toMatchObject({ type: "action", action: { kind: "warning", title: "invalid JSON from claude; ignoring line" } });
    expect(lines.at(-1)).toMatchObject({ type: "completed", ok: false });
  });

  it("exits 2 with one clear line for an unknown engine or an unreadable file", async () => {
    const unknown = await takopi(["replay", "--engine", "gemini", "x.jsonl"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe("takopi: unknown engine 'gemini'; available: claude, codex, opencode, pi");
    const missing = await takopi(["replay", "--engine", "codex", "/nonexistent/run.jsonl"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe("takopi: cannot read /nonexistent/run.jsonl: no such file");
    const directory = await takopi(["replay", "--engine", "codex", "/tmp"]);
    expect(directory.exitCode).toBe(2);
    expect(directory.stderr).toBe("takopi: cannot read /tmp: it is a directory");
  });

  it("exits 1 when the stream resumes another session than --resume", async () => {
    const result = await takopi(["replay", "-e", "codex", "--resume", "expected"], '{"type":"thread.started","thread_id":"other"}\n');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe("takopi replay: codex emitted session id other but expected expected");
  });

  it("--help and --version work and load no engine", async () => {
    const help = await takopi(["replay", "--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("--render");
    const version = await takopi(["--version"]);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
