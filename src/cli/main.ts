#!/usr/bin/env node
/**
 * `takopi` command line: dispatch only. A plain help request is answered from
 * the help pages written at build time (`help.ts`), so `takopi --help` starts
 * about as fast as Node itself; everything else goes to commander
 * (`program.ts`), whose subcommands are each imported when invoked.
 */
import { printStaticHelp } from "./help.js";

// `takopi doctor | head` closes the pipe early; that is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

if (!printStaticHelp(process.argv)) {
  keepYoungGenerationSmall();
  // Before anything imports zod (see the module).
  (await import("./lazy-zod-locales.js")).lazyZodLocales();
  const { main } = await import("./program.js");
  await main(process.argv);
}

/**
 * The bridge is a long-lived process that idles most of the time: it waits on
 * a long poll, and its bursts (a run's JSONL, a reply) make small, short-lived
 * objects. V8 grows the young generation (new space) whenever a scavenge finds
 * much of it still alive, up to 16 MB per semi-space, and never shrinks it
 * while the process idles: start-up alone — loading a few hundred modules —
 * grows it to its maximum and leaves ~11 MB of an idle bridge's RSS in a young
 * generation it no longer needs. A growth factor of 1 keeps new space at its
 * initial size (1 MB per semi-space); scavenges of it stay sub-millisecond.
 *
 * Set at run time, first thing, because the bin is also started as `node
 * dist/cli/main.js` (no shebang flags) and a re-exec would cost a second Node
 * start-up; the factor, unlike --max-semi-space-size, is read each time new
 * space would grow, so setting it now takes effect (bench/startup.bench.ts
 * shows it). For every command, as their arguments are not parsed yet: the
 * long-lived ones (run, chat-id) are what it is for, the short ones do not
 * allocate enough to notice.
 */
function keepYoungGenerationSmall(): void {
  process.getBuiltinModule("node:v8").setFlagsFromString("--semi-space-growth-factor=1");
}
