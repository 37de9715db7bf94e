/**
 * The one error type for everything a person got wrong in takopi.toml (or in a
 * `takopi config` command). Its message is meant to be shown as is — one line
 * per problem, each naming the file and the key — never with a stack trace.
 */
import { isSecretName } from "../secrets/names.js";
import { containsBotToken } from "../secrets/redactor.js";

export interface ConfigErrorOptions {
  /**
   * The problems (entries of `problems`) that are required keys not set yet,
   * as opposed to wrong values. `takopi config set` still writes a config
   * whose only problems are these, so one can be built one key at a time.
   */
  missing?: readonly string[];
  cause?: unknown;
}

export class ConfigError extends Error {
  /** One entry per problem; `message` is these joined by newlines. */
  readonly problems: readonly string[];
  readonly missing: readonly string[];

  constructor(problems: string | readonly string[], options: ConfigErrorOptions = {}) {
    const list = typeof problems === "string" ? [problems] : [...problems];
    super(list.join("\n"), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ConfigError";
    this.problems = list;
    this.missing = options.missing ?? [];
  }

  /** Nothing is wrong except required keys that are not set yet. */
  get incomplete(): boolean {
    return this.problems.every((problem) => this.missing.includes(problem));
  }
}

/** Strings longer than this are described, not quoted: a long value is more likely a pasted key than a typo. */
const MAX_SHOWN_CHARS = 24;

/** A run of 16+ letters and digits with both in it: how API keys and tokens look, and few typos do. */
const KEY_LIKE = /[A-Za-z0-9_-]{16,}/;

/**
 * `found …` for a string in an error: quoted when short and harmless, else
 * only described, so an error never prints a secret someone pasted into the
 * wrong key (a bot token in `chat_id`).
 */
export function describeFoundString(value: string): string {
  if (containsBotToken(value)) return "a string that looks like a bot token (not shown)";
  const keyLike = KEY_LIKE.exec(value)?.[0];
  if (keyLike !== undefined && /\d/.test(keyLike) && /[A-Za-z]/.test(keyLike)) return `a string of ${value.length} characters that looks like a key (not shown)`;
  if (value.length > MAX_SHOWN_CHARS) return `a string of ${value.length} characters (not shown)`;
  return JSON.stringify(value);
}

/**
 * How a TOML value reads in an error: `the string "abc"`, `the integer 5`, `a table`.
 * A long or key-like string is described, not quoted (`describeFoundString`);
 * when `key`, the value's key path, ends in a secret-named key, only the type is told.
 */
export function describeValue(value: unknown, options: { key?: readonly PropertyKey[] } = {}): string {
  if (value === undefined || value === null) return "nothing";
  const name = options.key?.[options.key.length - 1];
  const secret = typeof name === "string" && isSecretName(name);
  if (secret && (typeof value === "string" || typeof value === "number" || typeof value === "bigint")) {
    return typeof value === "string" ? "a string" : "a number";
  }
  if (typeof value === "string") {
    const shown = describeFoundString(value);
    return shown.startsWith('"') ? `the string ${shown}` : shown;
  }
  if (typeof value === "number") {
    if (Number.isInteger(value)) return `the integer ${value}`;
    return `the number ${value}`;
  }
  if (typeof value === "bigint") return `the integer ${value.toString()}`;
  if (typeof value === "boolean") return `the boolean ${value}`;
  if (Array.isArray(value)) return value.length === 0 ? "an empty array" : "an array";
  if (value instanceof Date) return "a date";
  if (typeof value === "object") return "a table";
  return `a ${typeof value}`;
}

/** A key path as a user would type it: `projects.app.chat_id`, `transports.telegram.allowed_user_ids[1]`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") {
      out += `[${segment}]`;
      continue;
    }
    const name = String(segment);
    const shown = /^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name);
    out += out === "" ? shown : `.${shown}`;
  }
  return out;
}
