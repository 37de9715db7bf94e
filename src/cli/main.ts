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
  // First thing, before start-up's module loading grows the young generation: engines/heap.ts says
  // why; the flag is set here rather than by importing that module, which --help must not load.
  process.getBuiltinModule("node:v8").setFlagsFromString("--semi-space-growth-factor=1");
  // Before anything imports zod (see the module).
  (await import("./lazy-zod-locales.js")).lazyZodLocales();
  const { main } = await import("./program.js");
  await main(process.argv);
}
