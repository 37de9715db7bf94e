// Captures codex app-server sessions as replay fixtures:
//   node --import ./scripts/register-ts.mjs scripts/capture-codex-appserver.ts
// (no npm script: a package.json change would cost the Docker tests their cached npm ci layer)
//
// Runs takopi's own app-server runner (src/engines/codex/appserver-runner.ts)
// over the pinned codex CLI against the fake LLM on 127.0.0.1 and writes, per
// scenario, test/fixtures/engines/codex_appserver_<name>.jsonl — the
// notifications of the run's thread exactly as the runner handed them to its
// translator, one JSON-RPC message a line — plus codex_appserver_<name>.meta.json.
// `takopi replay --engine codex` takes these as it takes exec recordings.
// Placeholders as in capture-engine-fixtures.ts ($REPO, $HOME, 127.0.0.1:$PORT).
// Run through scripts/register-ts.mjs (maps `.js` specifiers to `.ts`).
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import codex from "../src/engines/codex/index.js";
import { AppServerRunner } from "../src/engines/codex/appserver-runner.js";
import type { ResumeToken, TakopiEvent } from "../src/core/events.js";
import * as engineEnv from "../test/support/engine-env.js";
import { startFakeLlm } from "../test/support/fake-llm.js";

const OUT_DIR = join(engineEnv.REPO_ROOT, "test", "fixtures", "engines");
const PREFIX = "codex_appserver_";

interface Capture {
  name: string;
  scenario: string;
  prompt: string;
  resumeFrom?: string;
  /** Cancel once the slow tool runs (the stream then ends without `turn/completed`). */
  cancel?: boolean;
  note: string;
}

const CAPTURES: Capture[] = [
  { name: "text", scenario: "text", prompt: "say hello", note: "plain text answer `hello from fake`" },
  { name: "tool", scenario: "tool", prompt: "run echo hi", note: "one shell command `echo hi`, then `the command printed hi`" },
  { name: "edit", scenario: "edit", prompt: "create hello.txt", note: "apply_patch adds hello.txt (fileChange), then `file written`" },
  { name: "reason", scenario: "reason", prompt: "think first", note: "a reasoning summary before the answer" },
  { name: "resume", scenario: "resume", prompt: "did you keep history?", resumeFrom: "text", note: "thread/resume of the `text` thread; `resumed with history`" },
  { name: "error401", scenario: "error401", prompt: "say hello", note: "API 401: `error` (willRetry false), then turn/completed `failed`" },
  { name: "cancel", scenario: "sleep", prompt: "run the slow command", cancel: true, note: "cancelled while `sleep`-like tool runs: turn/interrupt; no turn/completed recorded" },
];

const binary = engineEnv.engineBinary("codex");
if (binary === null) {
  process.stderr.write("capture: codex is not installed; run `npm run engines:install` first\n");
  process.exit(1);
}
const version = engineEnv.engineVersion("codex") ?? "unknown";
for (const file of readdirSync(OUT_DIR)) if (file.startsWith(PREFIX)) rmSync(join(OUT_DIR, file));

const llm = await startFakeLlm({ slowMs: 20_000 });
const home = await engineEnv.makeIsolatedHome("codex", llm, "text");
const repo = await engineEnv.makeGitRepo({ prefix: "takopi-repo-codex-appserver-" });
const scrub = (text: string): string =>
  text.split(repo.dir).join("$REPO").split(home.home).join("$HOME").split(`127.0.0.1:${String(llm.port)}`).join("127.0.0.1:$PORT");
const sessions = new Map<string, ResumeToken>();

try {
  for (const capture of CAPTURES) {
    const setup = engineEnv.engineRunSetup(home, capture.scenario, repo.dir);
    const lines: string[] = [];
    const runner = new AppServerRunner({
      backend: codex,
      config: codex.configSchema.parse({ extra_args: ["-c", "notify=[]", "-c", 'sandbox_mode="danger-full-access"', ...setup.extraArgs] }),
      env: setup.env,
      command: binary,
      onStreamLine: (line) => lines.push(scrub(line)),
    });
    const controller = new AbortController();
    const resume = capture.resumeFrom === undefined ? null : (sessions.get(capture.resumeFrom) ?? null);
    const events: TakopiEvent[] = [];
    const timeout = AbortSignal.timeout(60_000);
    if (capture.cancel === true) {
      // The fake LLM's `sleep` scenario runs a 30 s tool; cancel once it has started.
      setTimeout(() => {
        controller.abort();
      }, 1500);
    }
    for await (const event of runner.run({ prompt: capture.prompt, resume, cwd: repo.dir }, { signal: AbortSignal.any([controller.signal, timeout]) })) {
      events.push(event);
      if (event.type === "started") sessions.set(capture.name, event.resume);
    }
    await runner.shutdown();
    const methods = lines.map((line) => {
      const value = JSON.parse(line) as { method: string; params?: { item?: { type?: string } } };
      return value.params?.item?.type !== undefined ? `${value.method}(${value.params.item.type})` : value.method;
    });
    const name = `${PREFIX}${capture.name}`;
    writeFileSync(join(OUT_DIR, `${name}.jsonl`), lines.map((line) => `${line}\n`).join(""));
    const completed = events.find((event) => event.type === "completed");
    const meta = {
      engine: "codex",
      backend: "app-server",
      version,
      name: `appserver_${capture.name}`,
      scenario: capture.scenario,
      prompt: capture.prompt,
      resumed: capture.resumeFrom ?? null,
      cancelled: capture.cancel === true,
      exitCode: 0,
      signal: null,
      outcome: completed === undefined ? "cancelled" : completed.ok ? "ok" : "failed",
      lines: lines.length,
      events: methods.join(", "),
      note: capture.note,
    };
    writeFileSync(join(OUT_DIR, `${name}.meta.json`), `${JSON.stringify(meta, null, 2)}\n`);
    process.stdout.write(`capture: ${name}: ${String(lines.length)} lines, ${meta.outcome}\n`);
  }
} finally {
  await repo.dispose();
  await home.dispose();
  await llm.close();
}
