import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { helpPages, helpRequest, renderHelp } from "../../../src/cli/help.js";
import { buildProgram } from "../../../src/cli/program.js";

/** What commander itself prints for `path --help` at `width` columns. */
function commanderHelp(path: string, width: number): string {
  let command: Command = buildProgram();
  for (const name of path === "" ? [] : path.split(" ")) {
    const sub = command.commands.find((candidate) => candidate.name() === name);
    if (sub === undefined) throw new Error(`no command ${path}`);
    command = sub;
  }
  let written = "";
  command.configureOutput({ writeOut: (text) => (written += text), getOutHelpWidth: () => width, getOutHasColors: () => false });
  command.outputHelp();
  return written;
}

const pages = helpPages(buildProgram());

describe("the static help", () => {
  it("has a page for the program and every subcommand", () => {
    expect(Object.keys(pages.pages)).toEqual(expect.arrayContaining(["", "run", "init", "config", "config set", "doctor", "plugins", "replay", "discover", "chat-id"]));
  });

  // Narrow widths leave descriptions unwrapped (commander's minWidthToWrap), wide ones wrap them at different words.
  it.each([20, 60, 67, 68, 80, 100, 123, 200])("prints exactly what commander prints at %i columns", (width) => {
    for (const [path, page] of Object.entries(pages.pages)) {
      expect(renderHelp(page, width, pages.minWidthToWrap), `takopi ${path} --help`).toBe(commanderHelp(path, width));
    }
  });

  it("answers plain help requests only; commander parses everything else", () => {
    const names = pages.pages;
    expect(helpRequest(["--help"], names)).toBe("");
    expect(helpRequest(["-h"], names)).toBe("");
    expect(helpRequest(["help"], names)).toBe("");
    expect(helpRequest(["help", "config"], names)).toBe("config");
    expect(helpRequest(["config", "set", "--help"], names)).toBe("config set");
    expect(helpRequest(["doctor", "-h"], names)).toBe("doctor");
    expect(helpRequest([], names)).toBeNull();
    expect(helpRequest(["run"], names)).toBeNull();
    expect(helpRequest(["codex", "--help"], names)).toBeNull();
    expect(helpRequest(["run", "--debug", "--help"], names)).toBeNull();
    expect(helpRequest(["help", "nosuch"], names)).toBeNull();
    expect(helpRequest(["help", "config", "set"], names)).toBeNull();
    expect(helpRequest(["help", "--help"], names)).toBeNull();
  });
});
