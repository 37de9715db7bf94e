/**
 * `takopi config path|list|get|set|unset`: read and edit
 * takopi.toml by dotted key, so a config can be written without an editor.
 *
 * Divergences from upstream, on purpose:
 * - `set` on a missing file creates it, and a config that is only incomplete
 *   (required keys not set yet) is written with a note saying what is missing,
 *   so a config can be built one `set` at a time.
 * - An edit is refused only for problems it introduces; one that leaves an
 *   already broken file no worse is written (with the remaining problems
 *   shown), so a file with two mistakes can be repaired one key at a time.
 * - `set` refuses a key the schema does not know inside a table it describes
 *   (a typo there would be ignored at load time); engine and plugin tables are free-form.
 *
 * `list`, `get` and `set` mask secrets (`secrets/config.ts`: bot_token, API
 * keys, passwords, a bot token pasted anywhere) unless `--show-secrets`; a
 * note on stderr says which and how to see them.
 *
 * Exit status: 0 done; 1 the key (or, for `list`, the config) is not there; 2 any error.
 * `set` and `unset` rewrite the whole file, so comments in it are not kept.
 */
import { stat } from "node:fs/promises";
import { ConfigError, describeValue, formatKeyPath } from "../config/errors.js";
import { missingConfigMessage, parseConfigText, readConfigText, resolveConfigPath, validateConfig } from "../config/load.js";
import { unknownKeyWarnings } from "../config/unknown-keys.js";
import { migrateConfig } from "../config/migrations.js";
import { writeConfig } from "../config/save.js";
import { flattenKeys, formatTomlLiteral, getKey, isTable, parseKeyPath, parseTomlLiteral, setKey, unsetKey, type TomlTable } from "../config/toml-keys.js";
import { maskSecrets } from "../secrets/config.js";
import { shortenHome } from "../util/home.js";

/** Exit statuses. */
const OK = 0;
const NOT_FOUND = 1;
const FAILED = 2;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function printErr(prefix: "error" | "warning" | "note", line: string): void {
  process.stderr.write(`${prefix}: ${line}\n`);
}

function fail(error: ConfigError): number {
  for (const problem of error.problems) printErr("error", problem);
  return FAILED;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/** The file as a table; `missing` decides what an absent file is. */
async function readTable(path: string, missing: "error" | "empty"): Promise<TomlTable> {
  if (missing === "empty" && !(await fileExists(path))) return {};
  return parseConfigText(await readConfigText(path), path);
}

/** For reading commands: the migrated view when the old layout can be translated, else the file as it is. */
function readableView(table: TomlTable, path: string): TomlTable {
  try {
    return migrateConfig(table, path).table;
  } catch (error) {
    if (error instanceof ConfigError) return table;
    throw error;
  }
}

/** The problems a table has now; `[]` when it is valid. */
function problemsOf(table: TomlTable, path: string): readonly string[] {
  try {
    validateConfig(table, path);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/**
 * Validates an edited table against the unedited one and writes it when the
 * edit makes nothing worse. Returns the table written (values normalized by
 * the schema where `key` names a known leaf), or null after reporting why not.
 */
async function validateAndWrite(path: string, before: TomlTable, after: TomlTable, applied: string[], key: string[] | null): Promise<TomlTable | null> {
  let table = after;
  let remaining: readonly string[] = [];
  let missing: readonly string[] = [];
  try {
    const validated = validateConfig(after, path);
    for (const warning of validated.warnings) printErr("warning", warning);
    const normalized = key === null ? undefined : getKey(validated.normalized, key);
    if (key !== null && normalized !== undefined && !isTable(normalized)) table = setKey(after, key, normalized);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const existing = new Set(problemsOf(before, path));
    const introduced = error.problems.filter((problem) => !existing.has(problem) && !error.missing.includes(problem));
    if (introduced.length > 0) {
      for (const problem of introduced) printErr("error", problem);
      printErr("note", `nothing was written to ${path}`);
      return null;
    }
    remaining = error.problems;
    missing = error.missing;
  }
  await writeConfig(path, table);
  if (applied.length > 0) printErr("note", `rewrote ${path} in the current layout (migration ${applied.join(", ")})`);
  for (const problem of remaining) {
    if (missing.includes(problem)) printErr("note", `still to set: ${problem}`);
    else printErr("warning", `still invalid: ${problem}`);
  }
  return table;
}

/**
 * Applies `edit` to the config at `path` (an empty table when there is none
 * yet, migrated to the current layout), validates and writes the result the
 * way `config set` does. Null when nothing was written: `edit` returned null
 * (the caller explains why), or validation refused it (the reasons are on
 * stderr). Used by `takopi init`.
 */
export async function editConfigFile(path: string, edit: (table: TomlTable) => TomlTable | null): Promise<TomlTable | null> {
  const original = await readTable(path, "empty");
  const { table: before, applied } = migrateConfig(original, path);
  const after = edit(before);
  return after === null ? null : validateAndWrite(path, before, after, applied, null);
}

export interface ShowOptions {
  /** Print secrets as they are instead of masked. */
  showSecrets?: boolean;
}

/** The table as `list` and `get` show it, and the masked keys (none with `--show-secrets`). */
function shownTable(table: TomlTable, options: ShowOptions): { table: TomlTable; masked: string[] } {
  if (options.showSecrets === true) return { table, masked: [] };
  const result = maskSecrets(table);
  return { table: result.table, masked: result.masked.map(formatKeyPath).sort() };
}

async function listCommand(path: string, options: ShowOptions): Promise<number> {
  if (!(await fileExists(path))) {
    printErr("error", missingConfigMessage(path));
    return NOT_FOUND;
  }
  const view = readableView(await readTable(path, "error"), path);
  const { table, masked } = shownTable(view, options);
  for (const [key, literal] of flattenKeys(table)) print(`${key} = ${literal}`);
  if (masked.length > 0) {
    const what = masked.length === 1 ? "1 secret is masked" : `${masked.length} secrets are masked`;
    printErr("note", `${what} (${masked.join(", ")}); \`takopi config list --show-secrets\` prints them`);
  }
  // Listing a file that `takopi run` would refuse must not look like all is well.
  const problems = problemsOf(view, path);
  if (problems.length > 0) {
    printErr("warning", `${path} is not valid; takopi run refuses it until this is fixed:`);
    for (const problem of problems) printErr("warning", problem);
  }
  return OK;
}

async function getCommand(path: string, key: string, options: ShowOptions): Promise<number> {
  const { table, masked } = shownTable(readableView(await readTable(path, "error"), path), options);
  const segments = parseKeyPath(key);
  let node: unknown = table;
  for (const [index, segment] of segments.entries()) {
    if (!isTable(node)) {
      const prefix = formatKeyPath(segments.slice(0, index));
      throw new ConfigError(`\`${prefix}\` in ${path} is ${describeValue(node)}, not a table.`);
    }
    if (!Object.hasOwn(node, segment)) return NOT_FOUND;
    node = node[segment];
  }
  if (isTable(node)) {
    printErr("error", `'${segments.join(".")}' is a table; pick a leaf node.`);
    return FAILED;
  }
  print(formatTomlLiteral(node));
  const dotted = formatKeyPath(segments);
  if (masked.includes(dotted)) printErr("note", `${dotted} is a secret and is masked; \`takopi config get ${dotted} --show-secrets\` prints it`);
  return OK;
}

async function setCommand(path: string, key: string, text: string): Promise<number> {
  const original = await readTable(path, "empty");
  const segments = parseKeyPath(key);
  const { table: before, applied } = migrateConfig(original, path);
  const after = setKey(before, segments, parseTomlLiteral(text));

  const dotted = formatKeyPath(segments);
  const unknown = unknownKeyWarnings(after, path).find((warning) => warning.key === dotted);
  if (unknown !== undefined) {
    printErr("error", unknown.text.replace(" (ignored)", " (not written)"));
    return FAILED;
  }

  const written = await validateAndWrite(path, before, after, applied, segments);
  if (written === null) return FAILED;
  // The value just typed is still a secret: terminals and CI logs keep what is printed.
  const shown = shownTable(written, {}).table;
  print(`updated ${segments.join(".")} = ${formatTomlLiteral(getKey(shown, segments))}`);
  return OK;
}

async function unsetCommand(path: string, key: string): Promise<number> {
  const original = await readTable(path, "error");
  const segments = parseKeyPath(key);
  const { table: before, applied } = migrateConfig(original, path);
  const { table: after, removed } = unsetKey(before, segments);
  if (!removed) return NOT_FOUND;
  const written = await validateAndWrite(path, before, after, applied, null);
  if (written === null) return FAILED;
  print(`removed ${segments.join(".")}`);
  return OK;
}

function expectArgs(action: string, args: string[], count: number, usage: string): void {
  if (args.length !== count) throw new ConfigError(`takopi config ${action} takes ${usage}.`);
}

export async function configCommand(action: string, args: string[], options: { config?: string } & ShowOptions): Promise<number> {
  const path = resolveConfigPath(options.config);
  try {
    switch (action) {
      case "path":
        expectArgs(action, args, 0, "no arguments");
        print(shortenHome(path));
        return OK;
      case "list":
        expectArgs(action, args, 0, "no arguments");
        return await listCommand(path, options);
      case "get":
        expectArgs(action, args, 1, "one key");
        return await getCommand(path, args[0] as string, options);
      case "set":
        expectArgs(action, args, 2, "a key and a value");
        return await setCommand(path, args[0] as string, args[1] as string);
      case "unset":
        expectArgs(action, args, 1, "one key");
        return await unsetCommand(path, args[0] as string);
      default:
        throw new ConfigError(`unknown config action '${action}'; use path, list, get, set or unset.`);
    }
  } catch (error) {
    if (error instanceof ConfigError) return fail(error);
    throw error;
  }
}
