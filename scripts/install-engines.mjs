#!/usr/bin/env node
// Installs the pinned engine CLIs (codex, claude, opencode, pi) into
// test/engines/node_modules for the engine conformance tests.
//
// Idempotent: when test/engines/node_modules/.install-stamp holds the sha256 of
// test/engines/package-lock.json (and every binary is present), it prints one
// line and exits. Otherwise it runs `npm ci` (install scripts enabled: claude
// and opencode link their native binary in postinstall), checks that every
// binary answers `--version` with the pinned version, and writes the stamp.
//
// TAKOPI_SKIP_ENGINES=1 skips the install outside CI (the conformance tests
// then skip themselves). In CI the variable is ignored.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const enginesDir = join(root, "test", "engines");
const lockFile = join(enginesDir, "package-lock.json");
const modulesDir = join(enginesDir, "node_modules");
const stampFile = join(modulesDir, ".install-stamp");

/** Engine binary name → npm package that provides it. */
const ENGINES = [
  { bin: "codex", pkg: "@openai/codex" },
  { bin: "claude", pkg: "@anthropic-ai/claude-code" },
  { bin: "opencode", pkg: "opencode-ai" },
  { bin: "pi", pkg: "@mariozechner/pi-coding-agent" },
];

function fail(message) {
  process.stderr.write(`engines: ERROR: ${message}\n`);
  process.exit(1);
}

function isTruthy(value) {
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}

function pinnedVersions() {
  const pkg = JSON.parse(readFileSync(join(enginesDir, "package.json"), "utf8"));
  const deps = pkg.dependencies ?? {};
  return Object.fromEntries(ENGINES.map(({ bin, pkg: name }) => [bin, deps[name]]));
}

function installedVersion(pkgName) {
  try {
    return JSON.parse(readFileSync(join(modulesDir, ...pkgName.split("/"), "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}

function binPath(bin) {
  return join(modulesDir, ".bin", bin);
}

function summary(versions) {
  return ENGINES.map(({ bin }) => `${bin} ${versions[bin] ?? "?"}`).join(", ");
}

function lockHash() {
  return createHash("sha256").update(readFileSync(lockFile)).digest("hex");
}

/** Runs `<bin> --version` and returns the first line of its output. */
function probeVersion(bin) {
  const result = spawnSync(binPath(bin), ["--version"], {
    encoding: "utf8",
    timeout: 60_000,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  if (result.error) return { ok: false, detail: result.error.message };
  if (result.status !== 0) {
    const detail = `${result.stderr}\n${result.stdout}`.trim().split("\n").slice(-3).join(" | ");
    return { ok: false, detail: `exit ${String(result.status ?? result.signal)}: ${detail}` };
  }
  // pi prints its version on stderr, the others on stdout.
  const output = `${result.stdout}\n${result.stderr}`.trim();
  return { ok: true, line: output.split("\n")[0] ?? "" };
}

function npmCommand() {
  // Prefer the npm that runs this script (npm_execpath), so the same npm and
  // Node are used as for the root project.
  const execPath = process.env.npm_execpath;
  if (execPath !== undefined && /\.c?js$/.test(execPath) && existsSync(execPath)) {
    return { cmd: process.execPath, prefix: [execPath] };
  }
  return { cmd: process.platform === "win32" ? "npm.cmd" : "npm", prefix: [] };
}

// --- main -------------------------------------------------------------------

if (process.env.TAKOPI_SKIP_ENGINES === "1") {
  if (!isTruthy(process.env.CI)) {
    process.stdout.write("engines: TAKOPI_SKIP_ENGINES=1, not installing; engine conformance tests will be skipped\n");
    process.exit(0);
  }
  process.stdout.write("engines: TAKOPI_SKIP_ENGINES=1 is ignored in CI; installing\n");
}

if (!existsSync(lockFile)) fail(`missing ${lockFile}; run \`npm install --prefix test/engines\` and commit the lockfile`);

const pinned = pinnedVersions();
const hash = lockHash();
const stamp = existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : "";
const binsPresent = ENGINES.every(({ bin }) => existsSync(binPath(bin)));

if (stamp === hash && binsPresent) {
  const versions = Object.fromEntries(ENGINES.map(({ bin, pkg }) => [bin, installedVersion(pkg)]));
  process.stdout.write(`engines: up to date (${summary(versions)})\n`);
  process.exit(0);
}

const started = Date.now();
process.stdout.write(`engines: installing ${summary(pinned)} into test/engines/node_modules (about 1.3 GB)\n`);
rmSync(stampFile, { force: true });
const npm = npmCommand();
const args = [...npm.prefix, "ci", "--prefix", enginesDir, "--no-audit", "--no-fund", "--ignore-scripts=false"];
const ci = spawnSync(npm.cmd, args, { stdio: "inherit", cwd: root });
if (ci.error) fail(`could not run npm: ${ci.error.message}`);
if (ci.status !== 0) {
  fail(
    `\`npm ci --prefix test/engines\` failed (exit ${String(ci.status ?? ci.signal)}). ` +
      "Check the registry connection; set TAKOPI_SKIP_ENGINES=1 to skip the engine tests locally. " +
      "If npm said `Missing: <pkg>@ from lock file` for a platform package, see test/engines/README.md.",
  );
}

const problems = [];
const versions = {};
for (const { bin, pkg } of ENGINES) {
  if (!existsSync(binPath(bin))) {
    problems.push(`${bin}: ${binPath(bin)} is missing after npm ci`);
    continue;
  }
  const probe = probeVersion(bin);
  if (!probe.ok) {
    problems.push(
      `${bin}: \`${bin} --version\` failed (${probe.detail}). If npm skipped ${pkg}'s install script, ` +
        `approve it with \`npm install-scripts approve ${pkg}\` and re-run.`,
    );
    continue;
  }
  const want = pinned[bin];
  if (want !== undefined && !probe.line.includes(want)) {
    problems.push(`${bin}: expected version ${want}, \`${bin} --version\` printed "${probe.line}"`);
    continue;
  }
  versions[bin] = want ?? probe.line;
}
if (problems.length > 0) fail(`engine check failed:\n  ${problems.join("\n  ")}`);

writeFileSync(stampFile, `${hash}\n`);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
process.stdout.write(`engines: installed ${summary(versions)} in ${seconds}s\n`);
