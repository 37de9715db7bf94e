/**
 * The container entrypoint with TAKOPI_LOG_FORMAT=json, run directly with `sh`
 * (no Docker; container.test.ts runs the image): what it prints, its own
 * complaints and `takopi discover`'s report included, is one JSON object per
 * line; without it the messages stay plain text.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectJsonLines } from "../support/json-lines.js";
import { CLI } from "../support/cli.js";
import { scratchDir, type ScratchDir } from "../support/scripts.js";

const ENTRYPOINT = fileURLToPath(new URL("../../entrypoint.sh", import.meta.url));
const EX_CONFIG = 78;
const TOKEN = "123456789:ABCdefGHIjklMNOpqrSTUvwxYZ012345678";

let dir: ScratchDir;
let bin: string;

beforeEach(async () => {
  dir = await scratchDir("takopi-entrypoint-");
  // `takopi` on PATH as the image has it: the built CLI.
  bin = join(dir.path, "bin");
  await mkdir(bin);
  await writeFile(join(bin, "takopi"), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`);
  await chmod(join(bin, "takopi"), 0o755);
});

afterEach(async () => {
  await dir.dispose();
});

/** The entrypoint with only `env` (and a PATH with takopi and node) in its environment. */
function entrypoint(env: Record<string, string>, command: string[] = []) {
  return execa("sh", [ENTRYPOINT, ...command], {
    reject: false,
    extendEnv: false,
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: join(dir.path, "home"), ...env },
    cwd: dir.path,
    input: "",
  });
}

describe("the entrypoint with TAKOPI_LOG_FORMAT=json", () => {
  it("says a missing bot token in one JSON line and exits 78", async () => {
    const result = await entrypoint({ TAKOPI_LOG_FORMAT: "json" });
    expect(result.exitCode).toBe(EX_CONFIG);
    expect(result.stdout).toBe("");
    const lines = expectJsonLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 60, event: "entrypoint.failed", msg: "TELEGRAM_BOT_TOKEN is not set." });
    expect(lines[0]?.fix).toContain("Copy .env.example to .env (next to compose.yaml), set TELEGRAM_BOT_TOKEN");
    expect(Math.abs((lines[0]?.time as number) - Date.now())).toBeLessThan(60_000);
  });

  it("keeps quotes, backslashes and control characters in a path valid JSON", async () => {
    const projects = join(dir.path, 'my "projects" \\ x\ty');
    const result = await entrypoint({ TAKOPI_LOG_FORMAT: "JSON", TELEGRAM_BOT_TOKEN: TOKEN, TAKOPI_PROJECTS_DIR: projects });
    expect(result.exitCode).toBe(EX_CONFIG);
    const lines = expectJsonLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.fix).toContain("Set TAKOPI_PROJECTS in .env");
    expect(lines[0]?.msg).toBe(`the projects directory ${projects.replace("\t", " ")} is not mounted.`);
  });

  it("prints discover's report and warnings as JSON lines, then runs the command", async () => {
    const projects = join(dir.path, "projects");
    await mkdir(join(projects, "app"), { recursive: true });
    await mkdir(join(projects, "odd"));
    await writeFile(join(projects, "odd", ".takopi.toml"), "alias = 5\n");
    const config = join(dir.path, "state", "takopi.toml");
    const env = { TAKOPI_LOG_FORMAT: "json", TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_ID: "42", TAKOPI_PROJECTS_DIR: projects, TAKOPI_CONFIG: config };
    const result = await entrypoint(env, ["true"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("");
    const lines = expectJsonLines(result.stderr);
    expect(lines.find((line) => line.event === "discover.warning")).toMatchObject({ level: 40 });
    expect(lines.find((line) => line.event === "discover.written")).toMatchObject({
      level: 30,
      msg: `2 projects in ${projects}; wrote ${config}`,
      config,
      projects: [expect.objectContaining({ alias: "app", directory: "app", engine: "codex", git: false }), expect.objectContaining({ directory: "odd" })],
    });
    expect(result.stderr).not.toContain(TOKEN.split(":")[1]);

    // Console format: the same report as plain text.
    const plain = await entrypoint({ ...env, TAKOPI_LOG_FORMAT: "" }, ["true"]);
    expect(plain.exitCode).toBe(0);
    expect(plain.stderr).toContain(`2 projects in ${projects}:\n`);
    expect(plain.stderr).toContain(`wrote ${config}`);
    expect(plain.stderr).not.toContain("{");
  });
});

describe("the entrypoint without TAKOPI_LOG_FORMAT", () => {
  it("says a missing bot token in plain lines", async () => {
    const result = await entrypoint({});
    expect(result.exitCode).toBe(EX_CONFIG);
    expect(result.stderr.split("\n")).toEqual([
      "takopi: TELEGRAM_BOT_TOKEN is not set.",
      "  Copy .env.example to .env (next to compose.yaml), set TELEGRAM_BOT_TOKEN to the token @BotFather gave you,",
      "  then start again: docker compose up -d",
    ]);
  });
});
