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

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
