/**
 * `takopi --help` without commander. Loading commander costs about as much as
 * starting Node itself (its modules, and the builtins it imports, child_process
 * among them), so the build writes every command's help page as data
 * (`dist/cli/help.json`, by write-help.ts from the real commander
 * program) and `main.ts` prints a plain help request from it. The layout is
 * commander's own (`Help.formatHelp`: padded terms, descriptions wrapped to the
 * terminal's width); test/unit/cli/help.test.ts holds the two to the same text
 * at every width. Anything else — or no help.json, as when running from src —
 * goes to commander.
 *
 * Runtime imports: none (commander only as a type), so this module stays cheap.
 */
import type { Command } from "commander";

/** One command's help, everything commander computes except the width-dependent layout. */
export interface HelpPage {
  /** `takopi config set [options] <key> <value>` */
  usage: string;
  description: string;
  /** Width the terms are padded to (commander's `padWidth`). */
  termWidth: number;
  /** Arguments, options, commands: a heading and its `[term, description]` items; never empty. */
  sections: HelpSection[];
  /** Text commander writes after the page (`addHelpText("after", …)`), "" for none. */
  after: string;
}

export interface HelpSection {
  heading: string;
  items: [term: string, description: string][];
}

export interface HelpPages {
  /** commander's `minWidthToWrap`: narrower than this, nothing is wrapped. */
  minWidthToWrap: number;
  /** By command path: "" for the program, "config set" for a subcommand. */
  pages: Record<string, HelpPage>;
}

const ITEM_INDENT = 2;
const SPACER = 2;

/** The page as commander prints it at `width` columns (`Help.formatHelp` plus the after-text). */
export function renderHelp(page: HelpPage, width: number, minWidthToWrap: number): string {
  const lines = [`Usage: ${page.usage}`, ""];
  if (page.description.length > 0) lines.push(boxWrap(page.description, width, minWidthToWrap), "");
  for (const section of page.sections) {
    lines.push(section.heading, ...section.items.map(([term, description]) => formatItem(term, description, page.termWidth, width, minWidthToWrap)), "");
  }
  return `${lines.join("\n")}${page.after}`;
}

/** commander's `Help.formatItem`: the term padded, the description wrapped and indented under itself. */
function formatItem(term: string, description: string, termWidth: number, width: number, minWidthToWrap: number): string {
  const indent = " ".repeat(ITEM_INDENT);
  if (description === "") return indent + term;
  const remaining = width - termWidth - SPACER - ITEM_INDENT;
  const formatted =
    remaining < minWidthToWrap || /\n[^\S\r\n]/.test(description)
      ? description
      : boxWrap(description, remaining, minWidthToWrap).replace(/\n/g, `\n${" ".repeat(termWidth + SPACER)}`);
  return `${indent}${term.padEnd(termWidth)}${" ".repeat(SPACER)}${formatted.replace(/\n/g, `\n${indent}`)}`;
}

/** commander's `Help.boxWrap`: wrap at whitespace, keeping existing line breaks. */
function boxWrap(text: string, width: number, minWidthToWrap: number): string {
  if (width < minWidthToWrap) return text;
  const wrapped: string[] = [];
  for (const line of text.split(/\r\n|\n/)) {
    const chunks = line.match(/\s*\S+/g);
    if (chunks === null) {
      wrapped.push("");
      continue;
    }
    let current = chunks[0];
    for (const chunk of chunks.slice(1)) {
      if (current.length + chunk.length <= width) {
        current += chunk;
        continue;
      }
      wrapped.push(current);
      current = chunk.trimStart();
    }
    wrapped.push(current);
  }
  return wrapped.join("\n");
}

/**
 * The page a plain help request asks for: `takopi [command…] --help` (or
 * `-h`), `takopi help` and `takopi help <command>`. Null for anything else,
 * which commander then parses.
 */
export function helpRequest(args: readonly string[], pages: HelpPages["pages"]): string | null {
  const last = args.at(-1);
  if (last === "--help" || last === "-h") {
    const path = args.slice(0, -1).join(" ");
    return args.slice(0, -1).every((word) => !word.startsWith("-")) && Object.hasOwn(pages, path) ? path : null;
  }
  if (args[0] === "help" && args.length <= 2) {
    const path = args[1] ?? "";
    return !path.includes(" ") && !path.startsWith("-") && Object.hasOwn(pages, path) ? path : null;
  }
  return null;
}

/**
 * Prints the help `argv` asks for from `help.json` beside this module and
 * says whether it did. Width as commander takes it: the terminal's columns,
 * else 80.
 */
export function printStaticHelp(argv: readonly string[]): boolean {
  // getBuiltinModule rather than `import`: an ESM import of node:fs builds its
  // module namespace, which loads fs streams — a cost --help does not need.
  const { readFileSync } = process.getBuiltinModule("node:fs");
  let pages: HelpPages;
  try {
    pages = JSON.parse(readFileSync(new URL("help.json", import.meta.url), "utf8")) as HelpPages;
  } catch {
    return false;
  }
  const path = helpRequest(argv.slice(2), pages.pages);
  const page = path === null ? undefined : pages.pages[path];
  if (page === undefined) return false;
  const width = (process.stdout.isTTY ? process.stdout.columns : undefined) ?? 80;
  process.stdout.write(renderHelp(page, width, pages.minWidthToWrap));
  return true;
}

/** Every command's help page, computed by commander's own `Help` (for the build, and for tests). */
export function helpPages(program: Command): HelpPages {
  const pages: Record<string, HelpPage> = {};
  const visit = (command: Command, path: string[]): void => {
    pages[path.join(" ")] = helpPage(command);
    for (const sub of command.commands) visit(sub, [...path, sub.name()]);
  };
  visit(program, []);
  return { minWidthToWrap: program.createHelp().minWidthToWrap, pages };
}

function helpPage(command: Command): HelpPage {
  const helper = command.createHelp();
  helper.prepareContext({ helpWidth: 80, outputHasColors: false, error: false });
  const sections: HelpSection[] = [];
  const add = (heading: string, items: [string, string][]): void => {
    if (items.length > 0) sections.push({ heading, items });
  };
  add("Arguments:", helper.visibleArguments(command).map((argument) => [helper.argumentTerm(argument), helper.argumentDescription(argument)]));
  if (helper.showGlobalOptions) throw new Error("help.ts: global options in help are not supported by the static help");
  for (const [heading, options] of helper.groupItems([...command.options], helper.visibleOptions(command), (option) => option.helpGroupHeading ?? "Options:")) {
    add(heading, options.map((option) => [helper.optionTerm(option), helper.optionDescription(option)]));
  }
  for (const [heading, commands] of helper.groupItems([...command.commands], helper.visibleCommands(command), (sub) => sub.helpGroup() || "Commands:")) {
    add(heading, commands.map((sub) => [helper.subcommandTerm(sub), helper.subcommandDescription(sub)]));
  }
  // What commander writes around the page (help texts added with addHelpText) is known only by writing it.
  let written = "";
  command.configureOutput({ writeOut: (text) => (written += text), getOutHelpWidth: () => 80, getOutHasColors: () => false });
  command.outputHelp();
  const page = command.helpInformation();
  if (!written.startsWith(page)) throw new Error(`help.ts: text before the help of '${command.name()}' is not supported by the static help`);
  return {
    usage: helper.commandUsage(command),
    description: helper.commandDescription(command),
    termWidth: helper.padWidth(command, helper),
    sections,
    after: written.slice(page.length),
  };
}
