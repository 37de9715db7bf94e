/**
 * The deployment's projects directory → takopi.toml projects: every visible
 * immediate subdirectory is a project, so adding a project is creating a
 * directory. `takopi discover` runs this at every container start.
 *
 * Rules, each there because some real directory name breaks the naive one:
 * - Entries are taken in code-unit order of their names, never readdir's order
 *   (which differs between filesystems), so the same tree always gets the same aliases.
 * - Hidden entries and anything that is not a directory are skipped and reported.
 *   A symlink to a directory is followed (linking a checkout in is a normal way
 *   to add it) and the project keeps the link's path; a dangling link is reported.
 * - The alias is `idFromName` of the name with accents folded (`Café` → `cafe`).
 *   A name with nothing left (`日本語`) gets `project_<8 hex of its sha256>`
 *   instead of being skipped: the directory is a valid project, and a hash of
 *   the name is the same at every start (chat state refers to projects by alias).
 * - An alias that is a chat command (`cancel`), an engine (`codex`) or a
 *   command plugin becomes `<alias>_project`; one already taken gets `_2`, `_3`, ….
 *   Who gets a contested alias: one set in `.takopi.toml`, else a directory
 *   named exactly that, else the first by name; and every alias that is free
 *   as wanted is handed out before any variant, so a directory named
 *   `cancel_project` keeps that name and `cancel` gets `cancel_project_2`.
 * - Projects configured by hand in the base config win: their aliases are
 *   taken, and a directory they already point at is not added a second time.
 *   Nothing is ever dropped or overwritten silently; every change is reported.
 *
 * Turning the result into the file is discovered-config.ts.
 */
import { createHash } from "node:crypto";
import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as z from "zod";
import { BUILTIN_ENGINE_IDS, idFromName, PLUGIN_ID_PATTERN, RESERVED_CHAT_COMMAND_IDS } from "../plugins/ids.js";
import { ConfigError, describeValue } from "./errors.js";
import { parseConfigText } from "./load.js";
import { suggestKey } from "./unknown-keys.js";
import { ProjectSchema } from "./schema.js";
import { isTable, type TomlTable } from "./toml-keys.js";

/** Per-project settings inside a project directory. */
export const PROJECT_FILE = ".takopi.toml";

/** Telegram's limit on command names, which aliases are. */
const MAX_ALIAS_LENGTH = 32;

export interface DiscoveredProject {
  alias: string;
  /** The entry's name inside the projects directory. */
  directory: string;
  /** Absolute; for a symlinked project, the link's path. */
  path: string;
  /** Settings from `.takopi.toml`; null where it sets none. */
  defaultEngine: string | null;
  worktreeBase: string | null;
  worktreesDir: string | null;
  chatId: number | null;
  /** Has a `.git` of its own (`@branch` worktrees need one). */
  isGitRepo: boolean;
  viaSymlink: boolean;
}

export interface SkippedEntry {
  name: string;
  reason: string;
}

export interface RenamedAlias {
  directory: string;
  /** What the alias would have been; null when the name yields none. */
  wanted: string | null;
  alias: string;
  reason: string;
}

export interface DiscoveryResult {
  /** Absolute. */
  projectsDir: string;
  /** Sorted by alias. */
  projects: DiscoveredProject[];
  skipped: SkippedEntry[];
  renamed: RenamedAlias[];
  /** Bad `.takopi.toml` files and keys, each naming the file; the project got defaults for those. */
  warnings: string[];
}

/** A project the base config already has. */
export interface ConfiguredProject {
  alias: string;
  /** Absolute. */
  path: string;
}

export interface DiscoverOptions {
  projectsDir: string;
  /** Engines a project may name and an alias must not shadow (default: the built-ins). */
  engineIds?: readonly string[];
  /** Chat commands of installed command plugins, which an alias must not shadow either. */
  commandIds?: readonly string[];
  configured?: readonly ConfiguredProject[];
}

/** Code-unit order: the same on every machine, unlike `localeCompare`. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

interface Candidate {
  name: string;
  path: string;
  viaSymlink: boolean;
  /** For spotting two entries (or a base project) that are the same directory. */
  realPath: string;
}

async function checkProjectsDir(dir: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new ConfigError(`projects directory ${dir} is not a directory`);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = errorCode(error);
    if (code === "ENOENT") throw new ConfigError(`projects directory ${dir} does not exist`, { cause: error });
    if (code === "EACCES") throw new ConfigError(`cannot read projects directory ${dir} (permission denied)`, { cause: error });
    throw new ConfigError(`cannot read projects directory ${dir} (${code})`, { cause: error });
  }
}

/** The entry as a project directory, or why it is not one. */
async function classify(path: string): Promise<{ viaSymlink: boolean } | { skip: string }> {
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    // readdir listed it: it vanished since, or its name is not valid UTF-8 and did not survive decoding.
    return { skip: `cannot be read (${errorCode(error)}); is its name valid UTF-8?` };
  }
  if (info.isDirectory()) return { viaSymlink: false };
  if (!info.isSymbolicLink()) return { skip: "not a directory" };
  try {
    return (await stat(path)).isDirectory() ? { viaSymlink: true } : { skip: "symlink to something that is not a directory" };
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT") return { skip: "dangling symlink (its target does not exist)" };
    if (code === "ELOOP") return { skip: "symlink loop" };
    return { skip: `symlink that cannot be followed (${code})` };
  }
}

async function listCandidates(dir: string): Promise<{ candidates: Candidate[]; skipped: SkippedEntry[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort(byCodeUnits);
  } catch (error) {
    throw new ConfigError(`cannot read projects directory ${dir} (${errorCode(error)})`, { cause: error });
  }
  const candidates: Candidate[] = [];
  const skipped: SkippedEntry[] = [];
  for (const name of names) {
    if (name.startsWith(".")) {
      skipped.push({ name, reason: "hidden (the name starts with a dot)" });
      continue;
    }
    const path = join(dir, name);
    const kind = await classify(path);
    if ("skip" in kind) skipped.push({ name, reason: kind.skip });
    else candidates.push({ name, path, viaSymlink: kind.viaSymlink, realPath: await realpath(path).catch(() => path) });
  }
  return { candidates, skipped };
}

interface ProjectFile {
  alias: string | null;
  defaultEngine: string | null;
  worktreeBase: string | null;
  worktreesDir: string | null;
  chatId: number | null;
}

const NO_SETTINGS: ProjectFile = { alias: null, defaultEngine: null, worktreeBase: null, worktreesDir: null, chatId: null };

/** What `.takopi.toml` may set, and how a wrong value is described. */
const PROJECT_FILE_KEYS = {
  alias: { schema: z.string().trim().toLowerCase().regex(PLUGIN_ID_PATTERN), expected: "1–32 of a-z, 0-9 and _" },
  default_engine: { schema: z.string().trim().min(1), expected: "an engine id" },
  worktree_base: { schema: ProjectSchema.shape.worktree_base, expected: "a branch name" },
  worktrees_dir: { schema: ProjectSchema.shape.worktrees_dir, expected: "a directory path" },
  chat_id: { schema: ProjectSchema.shape.chat_id, expected: "an integer chat id" },
} as const;
type ProjectFileKey = keyof typeof PROJECT_FILE_KEYS;
const PROJECT_FILE_KEY_NAMES = Object.keys(PROJECT_FILE_KEYS) as ProjectFileKey[];

function isProjectFileKey(key: string): key is ProjectFileKey {
  return Object.hasOwn(PROJECT_FILE_KEYS, key);
}

/**
 * A project's `.takopi.toml`. A mistake costs only what it touches: an
 * unreadable or invalid file gives defaults, a bad key gives that key's default.
 */
async function readProjectFile(dir: string, engineIds: readonly string[], warnings: string[]): Promise<ProjectFile> {
  const file = join(dir, PROJECT_FILE);
  let table: TomlTable;
  try {
    table = parseConfigText(await readFile(file, "utf8"), file);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return NO_SETTINGS;
    const reason = error instanceof ConfigError ? error.message : `${file}: cannot read it (${errorCode(error)})`;
    warnings.push(`${reason}; the project gets default settings`);
    return NO_SETTINGS;
  }
  const settings = { ...NO_SETTINGS };
  for (const [key, value] of Object.entries(table)) {
    if (isTable(value) && engineIds.some((id) => id.toLowerCase() === key.toLowerCase())) {
      // An agent can write files in its own project: it must not be able to loosen its approvals here.
      warnings.push(`${file}: [${key}] is ignored: an engine's settings for a project (approvals) are not read from the project itself, which the agent can write; set them in takopi.toml as [projects.<alias>.${key}]`);
      continue;
    }
    if (!isProjectFileKey(key)) {
      const suggestion = suggestKey(key, PROJECT_FILE_KEY_NAMES);
      const hint = suggestion === null ? `known keys: ${PROJECT_FILE_KEY_NAMES.join(", ")}` : `did you mean \`${suggestion}\`?`;
      warnings.push(`${file}: unknown key \`${key}\` (ignored); ${hint}`);
      continue;
    }
    const parsed = PROJECT_FILE_KEYS[key].schema.safeParse(value);
    if (!parsed.success || parsed.data === null) {
      warnings.push(`${file}: \`${key}\` must be ${PROJECT_FILE_KEYS[key].expected}, found ${describeValue(value)}; using the default`);
      continue;
    }
    const data = parsed.data;
    if (key === "alias" && typeof data === "string") settings.alias = data;
    else if (key === "worktree_base" && typeof data === "string") settings.worktreeBase = data;
    else if (key === "worktrees_dir" && typeof data === "string") settings.worktreesDir = data;
    else if (key === "chat_id" && typeof data === "number") settings.chatId = data;
    else if (key === "default_engine" && typeof data === "string") {
      const engine = engineIds.find((id) => id.toLowerCase() === data.toLowerCase());
      if (engine === undefined) {
        warnings.push(`${file}: \`default_engine\` is "${data}", which is not an engine (available: ${engineIds.join(", ")}); using the default`);
      } else {
        settings.defaultEngine = engine;
      }
    }
  }
  return settings;
}

/**
 * The alias a directory name suggests, or null when it has no letter or digit
 * left after folding (`日本語`). Accents are folded first so `café` is `cafe`, not `caf`.
 */
export function aliasFromName(name: string): string | null {
  const folded = name.normalize("NFKD").replace(/\p{M}/gu, "");
  // idFromName answers "project" for an empty result; tell that apart from a directory really called project.
  if (!/[a-z0-9]/.test(folded.toLowerCase().replace(/\.git$/, ""))) return null;
  return idFromName(folded);
}

/** The stable alias of a name that yields none. */
export function fallbackAlias(name: string): string {
  return `project_${createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
}

/** `stem` + `suffix`, with the stem cut so the whole stays a valid alias. */
function withSuffix(stem: string, suffix: string): string {
  return `${stem.slice(0, MAX_ALIAS_LENGTH - suffix.length).replace(/_+$/, "")}${suffix}`;
}

/** Why each reserved id cannot be an alias. */
function reservedIds(engineIds: readonly string[], commandIds: readonly string[]): Map<string, string> {
  const reserved = new Map<string, string>();
  for (const id of commandIds) reserved.set(id, `/${id} is the command of an installed plugin`);
  for (const id of engineIds) reserved.set(id, `/${id} selects the ${id} engine`);
  for (const id of RESERVED_CHAT_COMMAND_IDS) reserved.set(id, `/${id} is a built-in chat command`);
  return reserved;
}

/** Hands out aliases: the wanted one if free, else the first free variant, with why. */
class AliasClaims {
  /** Alias → who has it, as a reason reads it. */
  readonly #taken = new Map<string, string>();
  readonly #reserved: ReadonlyMap<string, string>;

  constructor(reserved: ReadonlyMap<string, string>) {
    this.#reserved = reserved;
  }

  take(alias: string, owner: string): void {
    this.#taken.set(alias.toLowerCase(), owner);
  }

  #blocked(alias: string): string | undefined {
    const owner = this.#taken.get(alias);
    return this.#reserved.get(alias) ?? (owner === undefined ? undefined : `${alias} is already taken by ${owner}`);
  }

  /** Takes `alias` if nothing has it and it is not reserved. */
  takeIfFree(alias: string, owner: string): boolean {
    if (this.#blocked(alias) !== undefined) return false;
    this.take(alias, owner);
    return true;
  }

  /** The first free variant of a blocked alias, taken, and why `wanted` was blocked. */
  claim(wanted: string, owner: string): { alias: string; reason: string } {
    const reason = this.#blocked(wanted) ?? "";
    const stem = this.#reserved.has(wanted) ? withSuffix(wanted, "_project") : wanted;
    for (let n = 1; ; n += 1) {
      const alias = n === 1 ? stem : withSuffix(stem, `_${n}`);
      if (this.takeIfFree(alias, owner)) return { alias, reason };
    }
  }
}

/** Lists the projects in `options.projectsDir`. A missing or unreadable directory is a ConfigError. */
export async function discoverProjects(options: DiscoverOptions): Promise<DiscoveryResult> {
  const projectsDir = resolve(options.projectsDir);
  const engineIds = options.engineIds ?? BUILTIN_ENGINE_IDS;
  await checkProjectsDir(projectsDir);
  const { candidates, skipped } = await listCandidates(projectsDir);
  const warnings: string[] = [];
  const renamed: RenamedAlias[] = [];
  const claims = new AliasClaims(reservedIds(engineIds, options.commandIds ?? []));

  const configuredAt = new Map<string, string>();
  for (const project of options.configured ?? []) {
    claims.take(project.alias, `[projects.${project.alias}] in the base config`);
    configuredAt.set(await realpath(project.path).catch(() => project.path), project.alias);
  }

  const found: { candidate: Candidate; settings: ProjectFile }[] = [];
  const seenAt = new Map<string, string>();
  for (const candidate of candidates) {
    const configured = configuredAt.get(candidate.realPath);
    if (configured !== undefined) {
      skipped.push({ name: candidate.name, reason: `already in the base config as [projects.${configured}]` });
      continue;
    }
    const twin = seenAt.get(candidate.realPath);
    if (twin !== undefined) warnings.push(`${candidate.path} is the same directory as ${join(projectsDir, twin)}; both become projects`);
    seenAt.set(candidate.realPath, candidate.name);
    found.push({ candidate, settings: await readProjectFile(candidate.path, engineIds, warnings) });
  }

  // An explicit alias is a person's choice and a name that is already an alias
  // is one too; other derived aliases are guesses, so they claim last.
  const rank = (f: (typeof found)[number]) => (f.settings.alias !== null ? 0 : aliasFromName(f.candidate.name) === f.candidate.name ? 1 : 2);
  const ordered = [0, 1, 2].flatMap((tier) =>
    found
      .filter((f) => rank(f) === tier)
      .map((f) => {
        const derived = f.settings.alias ?? aliasFromName(f.candidate.name);
        return { ...f, derived, wanted: derived ?? fallbackAlias(f.candidate.name), owner: `directory ${JSON.stringify(f.candidate.name)}` };
      }),
  );
  const assigned = new Map<Candidate, string>();
  for (const { candidate, wanted, owner } of ordered) if (claims.takeIfFree(wanted, owner)) assigned.set(candidate, wanted);
  const projects: DiscoveredProject[] = [];
  for (const { candidate, settings, derived, wanted, owner } of ordered) {
    let alias = assigned.get(candidate);
    if (alias === undefined) {
      const claimed = claims.claim(wanted, owner);
      alias = claimed.alias;
      if (derived !== null) renamed.push({ directory: candidate.name, wanted, alias, reason: claimed.reason });
    }
    if (derived === null) {
      renamed.push({ directory: candidate.name, wanted: null, alias, reason: "the name has no letters a-z or digits to make an alias from" });
    }
    projects.push({
      alias,
      directory: candidate.name,
      path: candidate.path,
      defaultEngine: settings.defaultEngine,
      worktreeBase: settings.worktreeBase,
      worktreesDir: settings.worktreesDir,
      chatId: settings.chatId,
      isGitRepo: await lstat(join(candidate.path, ".git")).then(
        () => true,
        () => false,
      ),
      viaSymlink: candidate.viaSymlink,
    });
  }
  projects.sort((a, b) => byCodeUnits(a.alias, b.alias));
  renamed.sort((a, b) => byCodeUnits(a.directory, b.directory));
  skipped.sort((a, b) => byCodeUnits(a.name, b.name));
  return { projectsDir, projects, skipped, renamed, warnings };
}
