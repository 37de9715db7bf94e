/**
 * Runs the built `takopi` CLI as a user would: a real process, with a HOME
 * and environment of its own so nothing from the developer's machine (a real
 * ~/.takopi, TAKOPI_* variables, proxies) leaks in.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";

export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const RECORD_IMPORTS = fileURLToPath(new URL("./record-imports.mjs", import.meta.url));

export interface CliOptions {
  home: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  /** Record every module the process loads into this file (see moduleLog). */
  moduleLog?: string;
}

/** A minimal environment: PATH and HOME, loopback-only proxies, no TAKOPI_* from outside. */
export function cliEnv(home: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: "C.UTF-8",
    NO_PROXY: "127.0.0.1,localhost",
    NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
  };
  return { ...env, ...extra };
}

export function takopi(args: string[], options: CliOptions): ResultPromise<{ reject: false; extendEnv: false; input: string }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const nodeArgs = options.moduleLog === undefined ? [] : ["--import", RECORD_IMPORTS];
  const env = cliEnv(options.home, { ...options.env, ...(options.moduleLog === undefined ? {} : { TAKOPI_TEST_MODULE_LOG: options.moduleLog }) });
  return execa(process.execPath, [...nodeArgs, CLI, ...args], {
    reject: false,
    extendEnv: false,
    env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    // stdin is always closed: a CLI waiting for input would hang the test instead of failing it.
    input: options.input ?? "",
  });
}

/** Module URLs a process recorded with `moduleLog`. */
export async function loadedModules(moduleLog: string): Promise<string[]> {
  const text = await readFile(moduleLog, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line !== "");
}
