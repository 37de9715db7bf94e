/**
 * Approval settings per project, end to end: a real `takopi run` against the
 * fake Bot API, with `[projects.strict.codex] approval_policy` and
 * `[projects.strict.claude] permission_mode` over the engines' own tables.
 * codex is the stand-in app-server (its `thread-params` prompt answers with
 * the thread params takopi sent), claude the stand-in CLI (its argv is logged).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bridgePerTest } from "../support/bridge-harness.js";
import { appServerBridge } from "../support/interactive-bridge.js";

const { created } = bridgePerTest();

/** Project `app` (the harness repo) with the engines' defaults, and `strict` asking before it acts. */
async function twoProjects(harness: { repo: string; dir: { path: string } }): Promise<Record<string, unknown>> {
  const strict = join(harness.dir.path, "strict");
  await mkdir(strict);
  return {
    projects: {
      app: { path: harness.repo },
      strict: { path: strict, codex: { approval_policy: "untrusted" }, claude: { permission_mode: "default", allowed_tools: ["Read"] } },
    },
  };
}

describe("approval settings per project", () => {
  it("codex: the project's approval_policy reaches its threads, a reply keeps it, and another project keeps [codex]'s", async () => {
    const harness = await appServerBridge(created, {}, twoProjects);
    const strict = harness.send("/strict thread-params");
    const strictFinal = await harness.replyTo(strict.stored.messageId, (text) => text.includes("approvalPolicy"));
    expect(strictFinal.text).toContain('"method":"thread/start","approvalPolicy":"untrusted","sandbox":"danger-full-access"');

    // A reply continues the session in the project its context line names: the same policy on thread/resume.
    const reply = harness.send("thread-params", { replyTo: strictFinal.messageId });
    const replyFinal = await harness.replyTo(reply.stored.messageId, (text) => text.includes("approvalPolicy"));
    expect(replyFinal.text).toContain('"method":"thread/resume","approvalPolicy":"untrusted"');

    const app = harness.send("/app thread-params");
    const appFinal = await harness.replyTo(app.stored.messageId, (text) => text.includes("approvalPolicy"));
    expect(appFinal.text).toContain('"method":"thread/start","approvalPolicy":"never"');
    expect(appFinal.text).not.toContain("sandbox");
  });

  it("claude: the project's permission_mode and allowed_tools are the run's flags; another project keeps [claude]'s", async () => {
    const harness = await appServerBridge(created, {}, twoProjects);
    const strict = harness.send("/claude /strict hello");
    await harness.replyTo(strict.stored.messageId, (text) => text.startsWith("done"));
    const app = harness.send("/claude /app hello");
    await harness.replyTo(app.stored.messageId, (text) => text.startsWith("done"));
    const spawns = (await harness.spawns()).filter((spawn) => spawn.engine === "claude");
    expect(spawns).toHaveLength(2);
    const [strictArgv, appArgv] = spawns.map((spawn) => spawn.argv.join(" "));
    expect(strictArgv).toContain("--allowedTools Read --permission-mode default --permission-prompt-tool stdio");
    expect(appArgv).toContain("--allowedTools Bash,Read,Edit,Write");
    expect(appArgv).not.toContain("--permission-mode");
  });
});
