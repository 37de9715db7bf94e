import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfigText } from "../../../src/config/load.js";
import { dispatchCommand, type CommandMessage } from "../../../src/plugins/commands.js";
import { discoverPlugins } from "../../../src/plugins/discover.js";
import { PluginRegistry } from "../../../src/plugins/registry.js";
import type { BridgeRuntime, MessageRef, SendOptions } from "../../../src/plugins/types.js";
import { silentLogger } from "../../../src/util/log.js";
import { writePackage } from "../../support/plugin-packages.js";
import { scratchDir, type ScratchDir } from "../../support/scripts.js";

let dir: ScratchDir;
let plugins: PluginRegistry;
let sent: { text: string; options: SendOptions | undefined }[];

const MESSAGE: MessageRef = { chatId: 42, messageId: 7, threadId: null };
const CONFIG = loadConfigText(
  ['[transports.telegram]', 'bot_token = "1:x"', "chat_id = 42", "[projects.app]", 'path = "/srv/app"', "[plugins.echo]", 'greeting = "hi"', "[plugins]", "notatable = 5", ""].join("\n"),
  "/cfg/takopi.toml",
);

const runtime: BridgeRuntime = {
  configPath: "/cfg/takopi.toml",
  version: "0.0.0-test",
  startedAt: 0,
  configLoadedAt: () => 0,
  mainChatId: () => 42,
  config: () => CONFIG,
  projects: () => [{ alias: "app", path: "/srv/app", worktreesDir: "/srv/app/.worktrees", defaultEngine: null, worktreeBase: null, chatId: null }],
  engines: () => [],
  defaultEngine: () => "codex",
  runs: () => [],
  cancelRun: () => false,
  usage: () => null,
  send: () => Promise.resolve(null),
  edit: () => Promise.resolve(false),
  executor: {
    run: () => Promise.reject(new Error("no executor in this test")),
    runMany: () => Promise.reject(new Error("no executor in this test")),
  },
  shutdown: () => Promise.resolve(),
};

function command(text: string): CommandMessage {
  const [head = "", ...rest] = text.split(" ");
  return { command: head.slice(1), text, argsText: rest.join(" "), message: MESSAGE, senderId: 1, replyTo: null, replyText: null };
}

async function dispatch(text: string) {
  return dispatchCommand(command(text), {
    plugins,
    config: CONFIG,
    runtime,
    log: silentLogger,
    reply: (replyText, options) => {
      sent.push({ text: replyText, options });
      return Promise.resolve(null);
    },
  });
}

beforeEach(async () => {
  dir = await scratchDir("takopi-commands-");
  sent = [];
  const extra = join(dir.path, "plugins");
  await writePackage(extra, {
    name: "takopi-cmds",
    manifest: { commands: { echo: "./echo.js", fails: "./fails.js", silent: "./silent.js", notatable: "./echo2.js", broken: "./broken.js" } },
    files: {
      "echo.js": `export default { id: "echo", description: "echo", async handle(ctx) {
        return { text: [ctx.command, JSON.stringify(ctx.args), ctx.pluginConfig.greeting, ctx.runtime.projects().map((p) => p.alias).join(","), ctx.message.messageId].join("|"), notify: false };
      } };\n`,
      "echo2.js": `export default { id: "notatable", description: "x", async handle() { return { text: "never" }; } };\n`,
      "fails.js": `export default { id: "fails", description: "x", async handle() { throw new Error("unit foo.service is masked"); } };\n`,
      "silent.js": `export default { id: "silent", description: "x", async handle(ctx) { await ctx.reply("working…"); return null; } };\n`,
      "broken.js": "export default {};\n",
    },
  });
  plugins = new PluginRegistry(await discoverPlugins({ takopiRoot: await writePackage(join(dir.path, "root"), { name: "takopi", manifest: {} }), env: { TAKOPI_PLUGIN_PATH: extra } }));
});

afterEach(async () => {
  await dir.dispose();
});

describe("dispatchCommand", () => {
  it("hands the plugin its args (shell-split), its [plugins.<id>] table, the runtime and the message", async () => {
    expect(await dispatch(`/echo set "two words" x`)).toBe("handled");
    expect(sent).toEqual([{ text: `echo|["set","two words","x"]|hi|app|7`, options: { replyTo: MESSAGE, notify: false } }]);
  });

  it("lets a plugin reply itself and return nothing", async () => {
    await dispatch("/silent");
    expect(sent).toEqual([{ text: "working…", options: undefined }]);
  });

  it("turns a throwing handler, a broken module and a bad config table into an error reply", async () => {
    await dispatch("/fails");
    await dispatch("/broken");
    await dispatch("/notatable");
    expect(sent.map((message) => message.text)).toEqual([
      "error:\nunit foo.service is masked",
      "error:\ncommand 'broken' from takopi-cmds: command id undefined does not match its manifest key 'broken'",
      "error:\nInvalid `plugins.notatable` in /cfg/takopi.toml; expected a table.",
    ]);
  });

  it("leaves commands no plugin provides to the caller", async () => {
    expect(await dispatch("/unknown")).toBe("not_found");
    expect(sent).toEqual([]);
  });
});
