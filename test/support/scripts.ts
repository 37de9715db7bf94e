/** Throwaway executables for tests that need a real process (fake CLI scripts). */
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ScratchDir {
  path: string;
  /** Writes an executable Node script (ESM) and returns its path. */
  script(name: string, body: string): Promise<string>;
  file(name: string, text: string): Promise<string>;
  dispose(): Promise<void>;
}

export async function scratchDir(prefix = "takopi-test-"): Promise<ScratchDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return {
    path,
    async script(name, body) {
      const file = join(path, name);
      await writeFile(file, `#!/usr/bin/env node\n${body}\n`);
      await chmod(file, 0o755);
      return file;
    },
    async file(name, text) {
      const file = join(path, name);
      await writeFile(file, text);
      return file;
    },
    dispose: () => rm(path, { recursive: true, force: true }),
  };
}

/**
 * Polls `check` until it returns true or `timeoutMs` passes. `what` names the
 * condition in the error; a function is called only then, so a dump in it
 * shows the state at the timeout, not at the start of the wait.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what: string | (() => string) = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      // On a loaded machine this process may have been stalled past the deadline with answers waiting
      // in its sockets (a fake server lives here): let them in and look once more before failing.
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (await check()) return;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "string" ? what : what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
