/**
 * The `takopi` command line as commander sees it: the commands, their options
 * and dispatch. Each subcommand lives in its own module and is imported when
 * invoked, so parsing loads no engine or plugin code. `main.ts` imports this
 * module only when the help pages written at build time cannot answer.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { printedLine, printToStderr } from "../logging/print.js";
import { isDebugLevel, logFormat, logLevel } from "../logging/settings.js";
import { envSecrets } from "../secrets/names.js";
import { Redactor } from "../secrets/redactor.js";
import { errorMessage } from "../util/errors.js";
import { takopiVersion } from "../util/version.js";
import { UsageError } from "./errors.js";
// Type-only: erased at run time, so --help still imports no subcommand module.
import type { ReplayCommandOptions } from "./replay.js";
import type { RunCommandOptions } from "./run.js";
import type { PluginsCommandOptions } from "./plugins.js";
import type { InitCommandOptions } from "./init.js";
import type { DiscoverCommandOptions } from "./discover.js";
import type { ChatIdCommandOptions } from "./chat-id.js";

/** Options every config-reading subcommand accepts. */
export interface ConfigOption {
  /** takopi.toml to use instead of `TAKOPI_CONFIG` or ~/.takopi/takopi.toml. */
  config?: string;
}

const CONFIG_FLAGS = "-c, --config <path>";
const CONFIG_HELP = "takopi.toml to use (default: $TAKOPI_CONFIG, else ~/.takopi/takopi.toml)";

interface ShowSecretsOption {
  showSecrets?: boolean;
}
const SHOW_SECRETS_FLAGS = "--show-secrets";
const SHOW_SECRETS_HELP = "print secrets (bot token, API keys, passwords) instead of masking them";

function parseExitCode(value: string): number {
  const code = Number(value);
  if (!Number.isInteger(code) || code < 0 || code > 255) throw new InvalidArgumentError("expected an integer 0–255.");
  return code;
}

function parseSignal(value: string): string {
  const name = value.toUpperCase().startsWith("SIG") ? value.toUpperCase() : `SIG${value.toUpperCase()}`;
  if (!/^SIG[A-Z0-9]+$/.test(name)) throw new InvalidArgumentError("expected a signal name such as SIGTERM.");
  return name;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) throw new InvalidArgumentError("expected a number of seconds ≥ 0.");
  return seconds;
}

export function buildProgram(): Command {
  const program = new Command("takopi")
    .description("Telegram bridge for coding-agent CLIs (codex, claude, opencode, pi).")
    .version(takopiVersion(), "-V, --version", "print the takopi version")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  registerRunCommand(program);

  program
    .command("init")
    .description("register the git repository you are in as a project")
    .argument("[alias]", "project name used in chat as /alias (default: the directory name)")
    .option("--default", "also make it the default project")
    .option("--engine <id>", "engine this project uses by default")
    .option("-f, --force", "replace an existing project with the same alias")
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .action(async (alias: string | undefined, options: InitCommandOptions) => {
      const { initCommand } = await import("./init.js");
      process.exitCode = await initCommand(alias, options);
    });

  registerConfigCommands(program);

  program
    .command("doctor")
    .description("check the config, the bot token, the engines, the projects and the state directory")
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .addHelpText("after", "\nEach check prints one line (ok, warn, FAIL or skip) and, when something is wrong, the fix.\nExit status: 1 when any check fails.")
    .action(async (options: ConfigOption) => {
      const { doctorCommand } = await import("./doctor.js");
      process.exitCode = await doctorCommand(options);
    });

  program
    .command("plugins")
    .description("list installed engines, transports and command plugins (read from manifests, nothing imported)")
    .option("--load", "import every enabled plugin and report the ones that fail")
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .action(async (options: PluginsCommandOptions) => {
      const { pluginsCommand } = await import("./plugins.js");
      process.exitCode = await pluginsCommand(options);
    });

  program
    .command("replay")
    .description("translate a recorded engine JSONL stream into takopi events (a debugging tool)")
    .argument("[file]", "recorded stdout of the engine CLI; - or nothing reads stdin", "-")
    .requiredOption("-e, --engine <id>", "engine that produced the stream: codex, claude, opencode, pi")
    .option("-r, --render", "print the final message as the bridge would send it, instead of the events")
    .option("--cwd <dir>", "directory the run used, to shorten paths in titles")
    .option("--resume <token>", "session token the recorded run resumed")
    .option("--exit-code <n>", "exit code of the recorded run (default 0)", parseExitCode)
    .option("--signal <name>", "the recorded run was killed by this signal (e.g. SIGTERM)", parseSignal)
    .option("--elapsed <seconds>", "elapsed time shown in the rendered header (default 0)", parseSeconds)
    .addHelpText(
      "after",
      `
Exit status: 0 when the stream was understood (even if the run it records failed),
2 for an unknown engine or an unreadable file.

Examples:
  codex exec --json "fix the test" | tee run.jsonl
  takopi replay --engine codex run.jsonl
  takopi replay --engine claude --render < run.jsonl`,
    )
    .action(async (file: string, options: ReplayCommandOptions) => {
      const { replayCommand } = await import("./replay.js");
      process.exitCode = await replayCommand(file, options);
    });

  registerDeploymentCommands(program);

  return program;
}

/** What the container entrypoint runs before (or instead of) the bridge. */
function registerDeploymentCommands(program: Command): void {
  program
    .command("discover")
    .description("write a config with every directory of a projects directory as a project (the container's start-up step)")
    .requiredOption("--projects-dir <dir>", "every visible subdirectory is a project")
    .option("--base <file>", "takopi.toml to start from (a missing file is an empty config)")
    .requiredOption("--out <file>", "where to write the result (replaced atomically)")
    .addHelpText(
      "after",
      `
Environment variables override the base file: TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID,
TELEGRAM_API_ROOT, TAKOPI_ALLOWED_USER_IDS (comma-separated), TAKOPI_SESSION_MODE,
TAKOPI_DEFAULT_ENGINE, TAKOPI_DEFAULT_PROJECT (an alias or a directory name).
A project directory may hold a .takopi.toml with alias, default_engine,
worktree_base, worktrees_dir and chat_id.
Exit status: 0 written (the summary says if the token or chat id is still missing),
1 nothing written, 2 a wrong invocation.`,
    )
    .action(async (options: DiscoverCommandOptions) => {
      const { discoverCommand } = await import("./discover.js");
      process.exitCode = await discoverCommand(options);
    });

  program
    .command("chat-id")
    .description("answer every message to the bot with its chat's id, until stopped (onboarding: token but no chat id yet)")
    .option("--token <token>", "bot token (default: $TELEGRAM_BOT_TOKEN, else the config's)")
    .option("--api-root <url>", "Bot API server (default: $TELEGRAM_API_ROOT, else the config's, else https://api.telegram.org)")
    .option("--project <alias>", "write the first chat's id as projects.<alias>.chat_id (the project's .takopi.toml when the config is generated) and stop")
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .addHelpText("after", "\nIn a group it answers /chatid, a mention of the bot, or a reply to it. Stops with exit 0 on SIGINT or SIGTERM, or once --project is written.")
    .action(async (options: ChatIdCommandOptions) => {
      const { chatIdCommand } = await import("./chat-id.js");
      process.exitCode = await chatIdCommand(options);
    });
}

function registerRunCommand(program: Command): void {
  program
    .command("run", { isDefault: true })
    .description("start the bridge (the default when no command is given; `takopi <engine>` starts it with that default engine)")
    .option("-e, --engine <id>", "default engine for this run, overriding default_engine")
    .option("--transport <id>", "transport to use, overriding `transport` in the config")
    .option("--no-final-notify", "edit the progress message into the answer instead of sending a new message")
    .option("--debug", "log at debug level")
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .action(async (options: RunCommandOptions) => {
      const { runCommand } = await import("./run.js");
      const code = await runCommand(options);
      process.exitCode = code;
      // The bridge has shut down; a plugin's leftover handle (a watcher, a timer) must not keep the process alive.
      setTimeout(() => process.exit(code), 100).unref();
    });
}

function registerConfigCommands(program: Command): void {
  const config = program
    .command("config")
    .description("show or edit takopi.toml")
    .addHelpText(
      "after",
      `
Keys are dotted paths (transports.telegram.chat_id, projects.app.path).
Values given to \`set\` are TOML literals (true, 42, "text", ["a", "b"]);
anything that is not valid TOML is stored as a string.`,
    );
  const run = async (action: string, args: string[], options: ConfigOption & ShowSecretsOption): Promise<void> => {
    const { configCommand } = await import("./config.js");
    process.exitCode = await configCommand(action, args, options);
  };
  config
    .command("path")
    .description("print where the config file is")
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .action((options: ConfigOption) => run("path", [], options));
  config
    .command("list")
    .description("print every key as `dotted.key = value`, sorted; secrets masked")
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .option(SHOW_SECRETS_FLAGS, SHOW_SECRETS_HELP)
    .action((options: ConfigOption & ShowSecretsOption) => run("list", [], options));
  config
    .command("get")
    .description("print one value as a TOML literal (exit 1 when the key is not set); secrets masked")
    .argument("<key>", "dotted key, e.g. transports.telegram.chat_id")
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .option(SHOW_SECRETS_FLAGS, SHOW_SECRETS_HELP)
    .action((key: string, options: ConfigOption & ShowSecretsOption) => run("get", [key], options));
  config
    .command("set")
    .description("set one value; the whole config is validated before anything is written")
    .argument("<key>", "dotted key, e.g. default_engine")
    .argument("<value>", "a TOML literal, or plain text")
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .action((key: string, value: string, options: ConfigOption) => run("set", [key, value], options));
  config
    .command("unset")
    .description("remove one key (and tables it leaves empty)")
    .argument("<key>", "dotted key")
    .option(CONFIG_FLAGS, CONFIG_HELP)
    .action((key: string, options: ConfigOption) => run("unset", [key], options));
}

/**
 * `takopi <engine> [options]` is upstream's spelling of `takopi run --engine
 * <engine>`. Only an installed engine id is rewritten (read from manifests, no
 * import); any other unknown word is refused as an unknown command.
 */
async function rewriteEngineShortcut(program: Command, argv: string[]): Promise<string[]> {
  const first = argv[2];
  if (first === undefined || first.startsWith("-") || first === "help") return argv;
  if (program.commands.some((command) => command.name() === first || command.aliases().includes(first))) return argv;
  const { discoverPlugins } = await import("../plugins/discover.js");
  const catalog = await discoverPlugins();
  const isEngine = catalog.entries.some((entry) => entry.kind === "engine" && entry.enabled && entry.id === first);
  if (isEngine) return [...argv.slice(0, 2), "run", "--engine", first, ...argv.slice(3)];
  // Without this the default `run` command would swallow the word and complain about arguments.
  throw new UsageError(`unknown command '${first}' (see takopi --help)`);
}

/**
 * With TAKOPI_LOG_FORMAT=json everything on stderr is a JSON line, commander's
 * complaints too (each subcommand prints its own), without the usage hint.
 */
function jsonErrors(command: Command): void {
  command.showHelpAfterError(false).configureOutput({
    outputError: (text, write) => {
      write(printedLine({ level: "error", text: text.trimEnd().replace(/^error: /, "") }));
    },
  });
  for (const sub of command.commands) jsonErrors(sub);
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  if (logFormat() === "json") jsonErrors(program);
  try {
    await program.parseAsync(await rewriteEngineShortcut(program, argv));
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the message (or the help/version).
      process.exitCode = error.exitCode;
      return;
    }
    // Whatever failed may quote a URL with the token in it, or a key from the environment.
    const redactor = Redactor.of(envSecrets(process.env));
    if (error instanceof UsageError) {
      printToStderr({ level: "error", text: `takopi: ${redactor.redact(error.message)}`, msg: redactor.redact(error.message) });
      process.exitCode = error.exitCode;
      return;
    }
    const message = redactor.redact(errorMessage(error));
    const debug = isDebugLevel(logLevel("info")) || argv.includes("--debug");
    const stack = debug && error instanceof Error && error.stack !== undefined ? redactor.redact(error.stack) : null;
    printToStderr({ level: "error", text: `takopi: ${message}${stack === null ? "" : `\n${stack}`}`, msg: message, fields: stack === null ? {} : { stack } });
    process.exitCode = 1;
  }
}
