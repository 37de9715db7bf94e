/**
 * The public plugin API from a plugin author's side: a TypeScript package that
 * depends on `takopi`, type-checks against `import type … from "takopi"`,
 * builds, and is then discovered and loaded by the real CLI.
 */
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { takopi } from "../support/cli.js";
import { scratchDir, type ScratchDir } from "../support/scripts.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const TSC = join(REPO, "node_modules", "typescript", "bin", "tsc");

let dir: ScratchDir;
let pkg: string;

const GOOD = `import type { CommandBackend, CommandContext, CommandResult } from "takopi";
import { apiVersion } from "takopi";

const hello: CommandBackend = {
  id: "hello",
  description: "say hello",
  async handle(ctx: CommandContext): Promise<CommandResult> {
    const projects = ctx.runtime.projects().map((project) => project.alias);
    const greeting = typeof ctx.pluginConfig.greeting === "string" ? ctx.pluginConfig.greeting : "hello";
    return { text: \`\${greeting} \${ctx.args.join(" ")} (api v\${apiVersion}, projects: \${projects.join(", ")})\`, notify: false };
  },
};
export default hello;
`;

// handle returns a number and reads a field the context does not have: tsc must refuse both.
const BAD = `import type { CommandBackend } from "takopi";
const broken: CommandBackend = {
  id: "broken",
  description: "x",
  async handle(ctx) {
    ctx.chatTitle;
    return 5;
  },
};
export default broken;
`;

beforeAll(async () => {
  dir = await scratchDir("takopi-plugin-api-");
  pkg = join(dir.path, "takopi-hello");
  await mkdir(join(pkg, "src"), { recursive: true });
  await mkdir(join(pkg, "node_modules"));
  // As npm would install the dependency (here: this checkout, built).
  await symlink(REPO, join(pkg, "node_modules", "takopi"));
  await writeFile(
    join(pkg, "package.json"),
    JSON.stringify({ name: "takopi-hello", version: "1.0.0", type: "module", takopi: { apiVersion: 1, commands: { hello: "./dist/hello.js" } } }, null, 2),
  );
  await writeFile(
    join(pkg, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", outDir: "dist", rootDir: "src", skipLibCheck: false, types: ["node"], typeRoots: [join(REPO, "node_modules", "@types")] }, include: ["src"] }),
  );
});

afterAll(async () => {
  await dir.dispose();
});

describe("the public plugin API", () => {
  it("type-checks and builds a command plugin written against `import type … from \"takopi\"`", async () => {
    await writeFile(join(pkg, "src", "hello.ts"), GOOD);
    const build = await execa(process.execPath, [TSC, "-p", pkg], { reject: false });
    expect(build.stdout + build.stderr).toBe("");
    expect(build.exitCode).toBe(0);
  });

  it("type-checks and builds the README's \"Write a plugin\" example (executor, buttons, callback)", async () => {
    const readme = await readFile(join(REPO, "README.md"), "utf8");
    const example = /### Write a plugin[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("ctx.executor.run(");
    await writeFile(join(pkg, "src", "check.ts"), example ?? "");
    const build = await execa(process.execPath, [TSC, "-p", pkg], { reject: false });
    expect(build.stdout + build.stderr).toBe("");
    expect(build.exitCode).toBe(0);
  });

  it("refuses a plugin whose handler does not fit the types", async () => {
    const bad = join(dir.path, "bad");
    await mkdir(join(bad, "src"), { recursive: true });
    await mkdir(join(bad, "node_modules"));
    await symlink(REPO, join(bad, "node_modules", "takopi"));
    await writeFile(join(bad, "package.json"), JSON.stringify({ name: "bad", type: "module" }));
    await writeFile(join(bad, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, module: "nodenext", noEmit: true, types: [] }, include: ["src"] }));
    await writeFile(join(bad, "src", "broken.ts"), BAD);
    const check = await execa(process.execPath, [TSC, "-p", bad], { reject: false });
    expect(check.exitCode).not.toBe(0);
    expect(check.stdout).toContain("chatTitle");
    expect(check.stdout).toMatch(/number.*is not assignable|not assignable.*number/);
  });

  it("the built plugin is discovered and loads cleanly", async () => {
    const home = join(dir.path, "home");
    await mkdir(home, { recursive: true });
    const result = await takopi(["plugins", "--load"], { home, env: { TAKOPI_PLUGIN_PATH: pkg } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split("\n")).toContain("  hello (takopi-hello 1.0.0)");
    expect(result.stdout).not.toContain("errors:");
  });

  it("exports apiVersion at run time and nothing of takopi's internals", async () => {
    const probe = await execa(process.execPath, ["--input-type=module", "-e", `const api = await import("takopi"); console.log(JSON.stringify(Object.keys(api)), api.apiVersion);`], { cwd: pkg, reject: false });
    expect(probe.stderr).toBe("");
    expect(probe.stdout).toBe(`["apiVersion"] 1`);
  });
});
