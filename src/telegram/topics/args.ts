/**
 * `<project> @branch` as `/topic` and `/ctx set` take it inside topics. In a
 * chat that belongs to a project the project may be left out, and naming
 * another one is an error.
 */
import type { RunContext } from "../../core/directives.js";

/** The context, or why the arguments are not one (the reason line of `error:\n<reason>\n<usage>`). */
export function parseTopicContext(
  args: readonly string[],
  options: { aliases: readonly string[]; chatProject: string | null; requireBranch: boolean },
): RunContext | { error: string } {
  if (args.length > 2) return { error: "too many arguments" };
  const [first, second] = args;
  let projectArg: string | null = null;
  let branch: string | null = null;
  if (first?.startsWith("@") === true) {
    if (second !== undefined) return { error: "branch must be prefixed with @" };
    branch = first.slice(1) || null;
  } else if (first !== undefined) {
    projectArg = first;
    if (second !== undefined) {
      if (!second.startsWith("@")) return { error: "branch must be prefixed with @" };
      branch = second.slice(1) || null;
    }
  }
  let project: string;
  if (projectArg === null) {
    if (options.chatProject === null) return { error: "project is required" };
    project = options.chatProject;
  } else {
    const alias = options.aliases.find((candidate) => candidate.toLowerCase() === projectArg.toLowerCase());
    if (alias === undefined) return { error: `unknown project '${projectArg}'` };
    if (options.chatProject !== null && alias !== options.chatProject) return { error: `project mismatch for this chat; expected '${options.chatProject}'.` };
    project = alias;
  }
  if (options.requireBranch && branch === null) return { error: "branch is required" };
  return { project, branch };
}
