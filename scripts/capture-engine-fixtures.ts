// Captures real engine output as golden fixtures:
//   npm run capture:engines -- [codex|claude|opencode|pi …]
//
// Runs each pinned engine CLI (test/engines, see scripts/install-engines.mjs)
// against the fake LLM on 127.0.0.1, one isolated HOME and one scratch git
// repo per engine, and writes test/fixtures/engines/<engine>_<name>.jsonl
// (stdout) plus <engine>_<name>.meta.json, with temp paths, the fake server's
// port and the checkout path replaced by placeholders. README.md in that dir is
// regenerated from all meta files present.
// Run through scripts/register-ts.mjs, which maps the `.js` specifiers of the
// test support modules to their `.ts` files.
import { mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as engineEnv from "../test/support/engine-env.js";
import type { Engine, PiSetupOptions } from "../test/support/engine-env.js";
import { runEngine, type CancelSpec, type RunState } from "../test/support/engine-run.js";
import { summarizeEvents } from "../test/support/event-summary.js";
import { startFakeLlm } from "../test/support/fake-llm.js";

const OUT_DIR = join(engineEnv.REPO_ROOT, "test", "fixtures", "engines");

interface Capture {
  name: string;
  scenario: string;
  prompt: string;
  /** Name of an earlier capture whose session this run resumes. */
  resumeFrom?: string;
  allowedTools?: string[];
  permissionMode?: string;
  flags?: string[];
  pi?: PiSetupOptions;
  cancel?: { signal: NodeJS.Signals; on: "tool-running" | "stream-started"; delayMs: number };
  note: string;
}

const toolRunning = (s: RunState): boolean => s.descendants().some((p) => p.cmdline.includes("setTimeout"));

const reasonNote: Record<Engine, string> = {
  codex: "",
  claude: "",
  opencode: " (needs `--thinking`: without it no `reasoning` line is printed)",
  pi: " (anthropic-messages provider)",
};

function common(engine: Engine): Capture[] {
  const claude = engine === "claude";
  return [
    { name: "text", scenario: "text", prompt: "say hello", note: "plain text answer `hello from fake`" },
    {
      name: "tool",
      scenario: "tool",
      prompt: "run echo hi",
      ...(claude ? { allowedTools: ["Bash"] } : {}),
      note: "one shell tool call `echo hi`, then `the command printed hi`",
    },
    {
      name: "edit",
      scenario: "edit",
      prompt: "create hello.txt",
      ...(claude ? { permissionMode: "acceptEdits" } : {}),
      note: "one file-write tool call creating hello.txt (`hi\\n`), then `file written`",
    },
    {
      name: "resume",
      scenario: "resume",
      prompt: "did you keep history?",
      resumeFrom: "text",
      note: "resumes the `text` run's session; the fake answers `resumed with history` only if the old transcript was sent",
    },
    { name: "error401", scenario: "error401", prompt: "say hello", note: "provider answers HTTP 401" },
    {
      name: "reason",
      scenario: "reason",
      prompt: "say hello",
      ...(engine === "pi" ? { pi: { provider: "fake-anth" as const } } : {}),
      // Without --thinking, opencode 1.18.33 prints no `reasoning` line at all.
      ...(engine === "opencode" ? { flags: ["--thinking"] } : {}),
      note: `reasoning block \`**Planning** the answer\`, then \`hello from fake\`${reasonNote[engine]}`,
    },
  ];
}

function extras(engine: Engine): Capture[] {
  const sigtermTool: Capture = {
    name: "sigterm_tool",
    scenario: "sleep",
    prompt: "run the slow command",
    cancel: { signal: "SIGTERM", on: "tool-running", delayMs: 300 },
    note: "SIGTERM to the CLI process only while its 30 s tool command runs; `leftoverProcesses` lists tool processes that survived",
  };
  switch (engine) {
    case "codex":
      return [sigtermTool];
    case "claude":
      return [
        {
          name: "sigint_tool",
          scenario: "sleep",
          prompt: "run the slow command",
          allowedTools: ["Bash"],
          cancel: { signal: "SIGINT", on: "tool-running", delayMs: 300 },
          note: "SIGINT to the CLI process only while its 30 s tool command runs",
        },
      ];
    case "opencode":
      return [
        {
          name: "sigterm_stream",
          scenario: "slow",
          prompt: "say hello",
          cancel: { signal: "SIGTERM", on: "stream-started", delayMs: 500 },
          note: "SIGTERM to the CLI process only while the model stream is stalled mid-text",
        },
        sigtermTool,
      ];
    case "pi":
      return [
        {
          name: "error500_retry",
          scenario: "error500",
          prompt: "say hello",
          pi: { retry: { maxRetries: 2, baseDelayMs: 200 } },
          note: "HTTP 500 on every attempt with agent retries enabled (maxRetries 2, baseDelayMs 200)",
        },
        sigtermTool,
      ];
  }
}

// --- placeholders ---------------------------------------------------------------

type Scrubber = (text: string) => string;

function makeScrubber(pairs: [string, string][], port: number): Scrubber {
  const dashed = (s: string): string => s.replace(/[^A-Za-z0-9]/g, "-");
  const expanded: [string, string][] = [];
  for (const [path, placeholder] of pairs) {
    const variants = new Set([path]);
    try {
      variants.add(realpathSync(path));
    } catch {
      // gone already
    }
    for (const v of variants) {
      expanded.push([v, placeholder]);
      // Claude (`-tmp-x`) and Pi (`--tmp-x--`) encode the cwd into dir names.
      expanded.push([dashed(v), dashed(placeholder)]);
    }
  }
  expanded.sort((a, b) => b[0].length - a[0].length);
  return (text) => {
    let out = text;
    for (const [from, to] of expanded) out = out.split(from).join(to);
    return out.split(`127.0.0.1:${String(port)}`).join("127.0.0.1:$PORT");
  };
}

// --- main -------------------------------------------------------------------------

const requested = process.argv.slice(2);
for (const name of requested) {
  if (!(engineEnv.ENGINES as readonly string[]).includes(name)) throw new Error(`unknown engine ${name}`);
}
const engines = engineEnv.ENGINES.filter((e) => requested.length === 0 || requested.includes(e));
for (const engine of engines) {
  if (engineEnv.engineBinary(engine) === null) {
    process.stderr.write(`capture: ${engine} is not installed; run \`npm run engines:install\` first\n`);
    process.exit(1);
  }
}

mkdirSync(OUT_DIR, { recursive: true });
const llm = await startFakeLlm({ slowMs: 20_000 });
const totalStarted = Date.now();
process.stdout.write(`capture: fake LLM at ${llm.url}\n`);

try {
  for (const engine of engines) {
    for (const file of readdirSync(OUT_DIR)) {
      // codex_appserver_* come from scripts/capture-codex-appserver.ts.
      if (file.startsWith(`${engine}_`) && !file.startsWith("codex_appserver_") && /\.(jsonl|meta\.json)$/.test(file)) rmSync(join(OUT_DIR, file));
    }
    const binary = engineEnv.engineBinary(engine) ?? "";
    const version = engineEnv.engineVersion(engine) ?? "unknown";
    const home = await engineEnv.makeIsolatedHome(engine, llm, "text");
    const repo = await engineEnv.makeGitRepo({ prefix: `takopi-repo-${engine}-` });
    const scrub = makeScrubber(
      [
        [repo.dir, "$REPO"],
        [home.home, "$HOME"],
        [engineEnv.REPO_ROOT, "$TAKOPI"],
      ],
      llm.port,
    );
    const sessions = new Map<string, string>();
    try {
      for (const capture of [...common(engine), ...extras(engine)]) {
        const resume = capture.resumeFrom === undefined ? undefined : sessions.get(capture.resumeFrom);
        if (capture.resumeFrom !== undefined && resume === undefined) {
          throw new Error(`${engine}_${capture.name}: no session id from ${capture.resumeFrom}`);
        }
        const setup = engineEnv.engineRunSetup(home, capture.scenario, repo.dir, capture.pi);
        const argv = engineEnv.engineArgv(engine, setup, {
          prompt: capture.prompt,
          ...(resume === undefined ? {} : { resume }),
          ...(capture.allowedTools ? { allowedTools: capture.allowedTools } : {}),
          ...(capture.permissionMode === undefined ? {} : { permissionMode: capture.permissionMode }),
          ...(capture.flags ? { flags: capture.flags } : {}),
        });
        const requestsBefore = llm.requests.length;
        const proxyBefore = llm.proxyAttempts.length;
        let cancel: CancelSpec | undefined;
        if (capture.cancel) {
          const on = capture.cancel.on;
          cancel = {
            signal: capture.cancel.signal,
            delayMs: capture.cancel.delayMs,
            when: on === "tool-running" ? toolRunning : (s) => s.stdout.includes('"step_start"'),
          };
        }
        const result = await runEngine({
          binary,
          argv,
          env: setup.env,
          cwd: setup.cwd,
          timeoutMs: 60_000,
          ...(cancel ? { cancel } : {}),
        });
        const id = engineEnv.sessionIdFromFirstLine(engine, result.stdout);
        if (id !== null) sessions.set(capture.name, id);
        const stdout = scrub(result.stdout);
        const stem = `${engine}_${capture.name}`;
        writeFileSync(join(OUT_DIR, `${stem}.jsonl`), stdout);
        const meta = {
          engine,
          version,
          name: capture.name,
          scenario: capture.scenario,
          argv: [engine, ...argv].map(scrub),
          exitCode: result.exitCode,
          signal: result.signal,
          ...(result.timedOut ? { timedOut: true } : {}),
          stderr: scrub(result.stderr),
          ...(capture.cancel
            ? {
                cancel: {
                  signal: capture.cancel.signal,
                  sentTo: "cli-process-only",
                  trigger: capture.cancel.on,
                  delayMs: capture.cancel.delayMs,
                  sent: result.cancel !== undefined,
                },
              }
            : {}),
          leftoverProcesses: result.leftovers.map((p) => scrub(p.cmdline)),
          ...(capture.cancel
            ? {
                toolProcesses: result.descendantsSeen
                  .filter((p) => p.cmdline.includes("setTimeout"))
                  .map((p) => ({
                    cmdline: scrub(p.cmdline),
                    inCliProcessGroup: p.pgid === result.pid,
                    survivedCli: result.leftovers.some((l) => l.pid === p.pid),
                  })),
              }
            : {}),
          llmRequests: llm.requests.length - requestsBefore,
          proxyAttempts: llm.proxyAttempts.slice(proxyBefore).map((p) => `${p.method} ${p.url}`),
          lines: stdout.split("\n").filter((l) => l.trim() !== "").length,
          events: summarizeEvents(engine, stdout),
          note: capture.note,
        };
        writeFileSync(join(OUT_DIR, `${stem}.meta.json`), `${JSON.stringify(meta, null, 2)}\n`);
        const exit = result.signal ?? String(result.exitCode);
        const cancelInfo = result.cancel
          ? ` cancel ${result.cancel.signal}@${String(result.cancel.sentAtMs)}ms exit+${String(result.cancel.exitDelayMs)}ms`
          : "";
        process.stdout.write(
          `capture: ${stem.padEnd(26)} exit=${exit.padEnd(7)} ${String(result.durationMs).padStart(6)}ms ` +
            `lines=${String(meta.lines)} requests=${String(meta.llmRequests)} proxy=${String(meta.proxyAttempts.length)} ` +
            `leftovers=${String(result.leftovers.length)}${cancelInfo}${result.timedOut ? " TIMED OUT" : ""}\n`,
        );
      }
    } finally {
      await repo.dispose();
      await home.dispose();
    }
  }
} finally {
  await llm.close();
  await engineEnv.disposeAll();
}

writeReadme();
process.stdout.write(`capture: done in ${((Date.now() - totalStarted) / 1000).toFixed(1)}s\n`);

/** "; tool processes: 2 seen, own process group, 2 still running after the CLI exited" */
function toolProcessNote(value: unknown): string {
  if (!Array.isArray(value) || value.length === 0) return "";
  const procs = value.map((p) => (typeof p === "object" && p !== null ? (p as Record<string, unknown>) : {}));
  const inGroup = procs.filter((p) => p.inCliProcessGroup === true).length;
  const survived = procs.filter((p) => p.survivedCli === true).length;
  const group = inGroup === procs.length ? "in the CLI's process group" : inGroup === 0 ? "own process group" : "mixed process groups";
  const fate = survived > 0 ? `**${String(survived)} still running after the CLI exited**` : "none left running";
  return `; tool processes: ${String(procs.length)} seen, ${group}, ${fate}`;
}

function writeReadme(): void {
  const rows: string[] = [];
  const versions = new Map<string, string>();
  for (const file of readdirSync(OUT_DIR).filter((f) => f.endsWith(".meta.json")).sort()) {
    const meta = JSON.parse(readFileSync(join(OUT_DIR, file), "utf8")) as Record<string, unknown>;
    const str = (key: string): string => {
      const v = meta[key];
      return typeof v === "string" || typeof v === "number" ? String(v) : "";
    };
    versions.set(str("engine"), str("version"));
    const exit = meta.signal === null ? `exit ${str("exitCode")}` : `signal ${str("signal")}`;
    const cell = (s: string): string => s.replace(/\|/g, "\\|");
    rows.push(
      `| \`${file.replace(/\.meta\.json$/, ".jsonl")}\` | \`${str("scenario")}\` | ${exit} | ${str("lines")} | ` +
        `${cell(str("events"))} | ${cell(str("note") + toolProcessNote(meta.toolProcesses))} |`,
    );
  }
  const versionList = [...versions].map(([e, v]) => `${e} ${v}`).join(", ");
  const text = `# Engine fixtures

Real stdout (JSONL) of the pinned engine CLIs (${versionList}), each run against
the fake LLM (\`test/support/fake-llm.ts\`) in an isolated HOME
(\`test/support/engine-env.ts\`). Regenerate with
\`npm run capture:engines -- [engine…]\` after \`npm run engines:install\`;
this file is regenerated too.

- \`<engine>_<name>.jsonl\`: the CLI's stdout, unmodified except for placeholders.
- \`codex_appserver_<name>.jsonl\`: a \`codex app-server\` run's notifications for its thread, as takopi's runner
  hands them to its translator (\`node --import ./scripts/register-ts.mjs scripts/capture-codex-appserver.ts\`; this script leaves them alone).
- \`<engine>_<name>.meta.json\`: engine, version, scenario, argv, exit code/signal,
  stderr, cancellation details, tool processes left alive after the CLI exited,
  number of LLM requests, proxy (external host) attempts, and the event summary below.
- Placeholders: \`$REPO\` is the scratch git repo used as cwd, \`$HOME\` the
  isolated home, \`$TAKOPI\` this checkout, \`127.0.0.1:$PORT\` the fake server;
  path-encoded forms (\`-REPO\`, \`--REPO--\`) appear where engines name
  directories after the cwd. Session ids, timestamps and message ids are real
  and differ between captures.
- Cancellation runs send the signal to the CLI process only (not its process
  group), like a naive supervisor would.

| file | scenario | exit | lines | events | notes |
|---|---|---|---|---|---|
${rows.join("\n")}

## Observations (codex 0.169.0, claude 2.1.330, opencode 1.18.33, pi 0.73.1)

- Pi retries: each attempt is a full \`agent_start … agent_end\` group; \`agent_end\`
  comes *before* \`auto_retry_start\`, there is no \`auto_retry_end\` between
  attempts, and one \`auto_retry_end\` (\`success:false\`) follows the last
  \`agent_end\`. Retry groups repeat no \`session\` line and no user message. Exit code 0.
- Tool processes run in a process group of their own in all four engines, so
  \`kill(-cliPid)\` does not reach them. After SIGTERM to the CLI only, Codex
  (its \`bash\` dies, the \`node\` grandchild lives on) and OpenCode leave them
  running; Pi and Claude kill them. Codex cleans up on SIGINT.
- OpenCode prints a \`reasoning\` line only with \`--thinking\`.
- OpenCode tries \`CONNECT registry.npmjs.org:443\` on every run (background
  plugin install), caught by the blackhole proxy; the other engines make no
  external attempt.
`;
  writeFileSync(join(OUT_DIR, "README.md"), text);
}
