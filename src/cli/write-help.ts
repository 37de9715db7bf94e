/**
 * Run by `npm run build` (after tsc): writes dist/cli/help.json, every
 * command's help page computed by the real commander program, so `takopi
 * --help` can print it without loading commander (see help.ts). It lives in
 * src/ because the build runs where only src/ is copied (the Docker image).
 */
import { writeFileSync } from "node:fs";
import { helpPages } from "./help.js";
import { buildProgram } from "./program.js";

writeFileSync(new URL("help.json", import.meta.url), `${JSON.stringify(helpPages(buildProgram()))}\n`);
