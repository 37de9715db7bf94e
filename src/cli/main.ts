#!/usr/bin/env node
/**
 * `takopi` command line: dispatch only. Each subcommand lives in its own module
 * and is imported when invoked, so `--help` loads no engine or plugin code.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { UsageError } from "./errors.js";
// Type-only: erased at run time, so --help still imports no subcommand module.
import type { ReplayCommandOptions } from "./replay.js";

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}

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
    .version(packageVersion(), "-V, --version", "print the takopi version")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

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

  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return;
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the message (or the help/version).
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`takopi: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`takopi: ${message}\n`);
    if (process.env.TAKOPI_LOG_LEVEL === "debug" && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
