/**
 * Dotted-key access to parsed TOML tables, and single TOML values as text —
 * the vocabulary of `takopi config get/set/unset/list` and of `TAKOPI__*`
 * overrides. Pure: nothing here touches a file, and no function mutates its input.
 */
import { parse, stringify } from "smol-toml";
import { ConfigError, describeValue, formatKeyPath } from "./errors.js";

export type TomlTable = Record<string, unknown>;

/** Bare TOML keys only; quoted keys (`"a.b"`) cannot be named on a command line unambiguously. */
const KEY_SEGMENT = /^[A-Za-z0-9_-]+$/;

/** A TOML table as smol-toml returns it (a null-prototype object) or as code builds it. Dates are values, not tables. */
export function isTable(value: unknown): value is TomlTable {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** `a.b.c` → `["a", "b", "c"]`; a segment outside `[A-Za-z0-9_-]+` is a ConfigError saying which. */
export function parseKeyPath(dotted: string): string[] {
  const text = dotted.trim();
  if (text === "") throw new ConfigError("Invalid key: it is empty; use a dotted key such as transports.telegram.chat_id.");
  const segments = text.split(".");
  for (const segment of segments) {
    if (segment === "") throw new ConfigError(`Invalid key '${dotted}': it has an empty segment.`);
    if (!KEY_SEGMENT.test(segment)) {
      throw new ConfigError(`Invalid key segment '${segment}' in '${dotted}'; use only letters, digits, '_' or '-'.`);
    }
  }
  return segments;
}

function segmentsOf(key: string | readonly string[]): readonly string[] {
  return typeof key === "string" ? parseKeyPath(key) : key;
}

/** A deep copy of the tables and arrays; leaves (dates included) are shared. */
export function cloneTable(table: TomlTable): TomlTable {
  return cloneValue(table) as TomlTable;
}

function cloneValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneValue);
  if (isTable(value)) {
    const copy: TomlTable = {};
    for (const [key, item] of Object.entries(value)) copy[key] = cloneValue(item);
    return copy;
  }
  return value;
}

/** The value at `key`, or undefined when it (or a table on the way) is not there or not a table. */
export function getKey(table: TomlTable, key: string | readonly string[]): unknown {
  let node: unknown = table;
  for (const segment of segmentsOf(key)) {
    if (!isTable(node) || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}

/**
 * A copy of `table` with `key` set to `value`, creating missing tables on the way.
 * A non-table in the way is a ConfigError: overwriting it would silently drop a setting.
 */
export function setKey(table: TomlTable, key: string | readonly string[], value: unknown): TomlTable {
  const segments = segmentsOf(key);
  const root = cloneTable(table);
  let node = root;
  for (let index = 0; index < segments.length - 1; index += 1) {
    const segment = segments[index] as string;
    const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
    if (next === undefined) {
      const created: TomlTable = {};
      node[segment] = created;
      node = created;
      continue;
    }
    if (!isTable(next)) {
      const prefix = formatKeyPath(segments.slice(0, index + 1));
      throw new ConfigError(`Cannot set \`${formatKeyPath(segments)}\`: \`${prefix}\` is ${describeValue(next)}, not a table.`);
    }
    node = next;
  }
  node[segments[segments.length - 1] as string] = value;
  return root;
}

/**
 * A copy of `table` without `key`, with the tables that removal left empty
 * pruned too. `removed` is false (and the table unchanged) when the key was not there.
 */
export function unsetKey(table: TomlTable, key: string | readonly string[]): { table: TomlTable; removed: boolean } {
  const segments = segmentsOf(key);
  const root = cloneTable(table);
  const trail: TomlTable[] = [root];
  let node = root;
  for (const segment of segments.slice(0, -1)) {
    const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
    if (!isTable(next)) return { table, removed: false };
    trail.push(next);
    node = next;
  }
  const leaf = segments[segments.length - 1] as string;
  if (!Object.hasOwn(node, leaf)) return { table, removed: false };
  Reflect.deleteProperty(node, leaf);
  for (let depth = trail.length - 1; depth > 0; depth -= 1) {
    const current = trail[depth] as TomlTable;
    if (Object.keys(current).length > 0) break;
    Reflect.deleteProperty(trail[depth - 1] as TomlTable, segments[depth - 1] as string);
  }
  return { table: root, removed: true };
}

/**
 * Every leaf as `[dotted key, TOML literal]`, sorted by key. Arrays of tables
 * (`[[x]]`) have no one-line literal, so their entries are listed as `x[0].key`.
 */
export function flattenKeys(table: TomlTable): [string, string][] {
  const out: [string, string][] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isTable(node)) {
      for (const key of Object.keys(node)) walk(node[key], [...path, key]);
      return;
    }
    if (Array.isArray(node) && node.length > 0 && node.every(isTable)) {
      node.forEach((item, index) => {
        walk(item, [...path, index]);
      });
      return;
    }
    out.push([formatKeyPath(path), formatTomlLiteral(node)]);
  };
  walk(table, []);
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** One value as it would appear after `key = ` in a TOML file. Tables and arrays of tables have no such form. */
export function formatTomlLiteral(value: unknown): string {
  if (isTable(value)) throw new ConfigError("A table has no single-value form; pick one of its keys.");
  const text = stringify({ v: value });
  const prefix = "v = ";
  const literal = text.startsWith(prefix) ? text.slice(prefix.length).replace(/\n$/, "") : null;
  if (literal === null || literal.includes("\n")) {
    throw new ConfigError(`${describeValue(value)} (an array of tables) has no single-value form; pick one of its keys.`);
  }
  return literal;
}

/**
 * What a user typed as a value: a TOML literal (`42`, `true`, `"x"`, `["a"]`),
 * else the text itself as a string, so `set default_engine claude` needs no quotes.
 * Empty input is the empty string.
 */
export function parseTomlLiteral(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  try {
    const parsed = parse(`v = ${trimmed}`);
    // A newline in the input could smuggle in a second key; that is not one literal.
    const keys = Object.keys(parsed);
    if (keys.length === 1 && keys[0] === "v") return parsed.v;
  } catch {
    // Not TOML: the raw text is the value.
  }
  return trimmed;
}
