/**
 * The one error type for everything a person got wrong in takopi.toml (or in a
 * `takopi config` command). Its message is meant to be shown as is — one line
 * per problem, each naming the file and the key — never with a stack trace.
 */

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

/**
 * How a TOML value reads in an error: `the string "abc"`, `the integer 5`, `a table`.
 * Strings are cut short so a pasted blob does not flood the message.
 */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return "nothing";
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
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
