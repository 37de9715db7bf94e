/**
 * The previous release for the upgrade test: which commit it is
 * (test/upgrade/previous-release, read here and by .ci/setup-docker.sh), its
 * tree exported with `git archive`, and its image built from that tree the
 * way setup-docker built it, so that the build is a cache hit with
 * `--network none`. Also the fake engine's spawn records, which tell what a
 * run was asked to do (engine, resume id, arguments).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { readJsonLines, type EngineSpawn } from "./bridge-harness.js";
import { buildTakopiImage, REPO_ROOT, type BuiltImage } from "./docker.js";

export type { EngineSpawn };

export const PREVIOUS_RELEASE_FILE = join(REPO_ROOT, "test", "upgrade", "previous-release");

export interface PreviousRelease {
  tag: string;
  /** The full commit hash the release was made from. */
  commit: string;
  /** How the commit was found: the tag, or (a clone without tags) the recorded hash. */
  via: "tag" | "hash";
}

/** The `<tag> <commit>` line of test/upgrade/previous-release (comment and blank lines aside). */
export async function recordedRelease(file = PREVIOUS_RELEASE_FILE): Promise<{ tag: string; hash: string }> {
  const lines = (await readFile(file, "utf8")).split("\n").map((line) => line.trim());
  const line = lines.find((text) => text !== "" && !text.startsWith("#"));
  const [tag, hash, ...rest] = line?.split(/\s+/) ?? [];
  if (tag === undefined || hash === undefined || rest.length > 0 || !/^[0-9a-f]{40}$/.test(hash)) {
    throw new Error(`${file} should hold one line '<tag> <40-hex commit>', found: ${line ?? "nothing"}`);
  }
  return { tag, hash };
}

async function resolveCommit(rev: string): Promise<string | null> {
  const result = await execa("git", ["rev-parse", "--verify", "-q", `${rev}^{commit}`], { cwd: REPO_ROOT, reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : null;
}

/**
 * The previous release's commit: its tag when the clone has it (it must name
 * the recorded commit), else the recorded hash. A clone with neither is a
 * shallow one, and that is an error saying so, not a reason to skip.
 */
export async function previousRelease(file = PREVIOUS_RELEASE_FILE): Promise<PreviousRelease> {
  const { tag, hash } = await recordedRelease(file);
  const tagged = await resolveCommit(tag);
  if (tagged !== null) {
    if (tagged !== hash) {
      throw new Error(`tag ${tag} names commit ${tagged}, but ${file} records ${hash}: put the commit the tag names there (git rev-parse ${tag}^{commit})`);
    }
    return { tag, commit: tagged, via: "tag" };
  }
  if ((await resolveCommit(hash)) !== null) return { tag, commit: hash, via: "hash" };
  const shallow = await execa("git", ["rev-parse", "--is-shallow-repository"], { cwd: REPO_ROOT, reject: false });
  const why = shallow.stdout.trim() === "true" ? "this clone is shallow" : "this clone has neither that tag nor that commit";
  throw new Error(
    `the upgrade test needs the previous release ${tag} (commit ${hash}), and ${why}. ` +
      "Fetch the full history with its tags: git fetch --unshallow --tags (or git fetch --tags origin)",
  );
}

/** The release's files, as `git archive` gives them (what setup-docker builds from), under `dir`. */
export async function exportTree(commit: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Either side failing rejects, with its stderr in the message.
  await execa("git", ["archive", commit], { cwd: REPO_ROOT }).pipe("tar", ["-x", "-C", dir]);
}

/**
 * The previous release's image, built offline from its exported tree. The
 * layers that fetch come from the cache .ci/setup-docker.sh warmed by
 * building the same tree once with the network.
 */
export async function buildPreviousRelease(release: PreviousRelease, tag: string, buildArgs: Record<string, string>, scratch: string): Promise<BuiltImage> {
  const tree = join(scratch, `release-${release.tag}`);
  if (!existsSync(join(tree, "Dockerfile"))) await exportTree(release.commit, tree);
  try {
    return await buildTakopiImage(tag, buildArgs, tree);
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n` +
        `(building ${release.tag} at ${release.commit}: .ci/setup-docker.sh builds it once with the network, and skips that ` +
        `while its image takopi:${release.tag} is labelled for this commit; after pruning Docker's cache, docker rmi takopi:${release.tag} first)`,
      { cause: error },
    );
  }
}

/** Every engine start the fake engine recorded in `dir` (FAKE_ENGINE_DIR), oldest first. */
export function readSpawns(dir: string): Promise<EngineSpawn[]> {
  return readJsonLines<EngineSpawn>(join(dir, "spawns.jsonl"));
}

/** The value after `flag` in an argv, or null. */
export function flagValue(argv: readonly string[], flag: string): string | null {
  const index = argv.indexOf(flag);
  return index === -1 ? null : (argv[index + 1] ?? null);
}
