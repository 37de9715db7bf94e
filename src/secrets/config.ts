/**
 * The secrets in a config table: string values under secret-named keys
 * (`names.ts`), such as `transports.telegram.bot_token`,
 * `voice_transcription_api_key`, or `OPENAI_API_KEY` in `[codex] env`.
 */
import { TOP_LEVEL_KEYS } from "../config/schema.js";
import { isTable, type TomlTable } from "../config/toml-keys.js";
import { envSecrets, isSecretName } from "./names.js";
import { containsBotToken, MIN_SECRET_LENGTH, type NamedSecret } from "./redactor.js";

export interface ConfigSecretsOptions {
  /**
   * Whether to look into engine tables (`[codex]`, …: every top-level table
   * that is not one of takopi's own). Their secrets (`[codex] env`) are meant
   * for that engine; takopi's own secrets are everything else.
   */
  engineTables?: boolean;
}

/**
 * String values (or strings in arrays) under secret-named keys of a config
 * table, with the key's name, in file order.
 */
export function configSecrets(table: TomlTable, options: ConfigSecretsOptions = {}): NamedSecret[] {
  const out: NamedSecret[] = [];
  const walk = (node: unknown, name: string, secret: boolean): void => {
    if (isTable(node)) {
      for (const [key, value] of Object.entries(node)) walk(value, key, isSecretName(key));
    } else if (Array.isArray(node)) {
      for (const item of node) walk(item, name, secret);
    } else if (secret && typeof node === "string" && node.length >= MIN_SECRET_LENGTH) {
      out.push({ name, value: node });
    }
  };
  for (const [key, value] of Object.entries(table)) {
    const engineTable = isTable(value) && !TOP_LEVEL_KEYS.includes(key);
    if (engineTable && options.engineTables === false) continue;
    walk(value, key, isSecretName(key));
  }
  return out;
}

/** Everything takopi knows to be secret: the secret-named variables of `env`, then the config's secrets (all tables). */
export function knownSecrets(env: NodeJS.ProcessEnv, table: TomlTable | null): NamedSecret[] {
  return [...envSecrets(env), ...(table === null ? [] : configSecrets(table))];
}

/** What a masked value shows instead of the secret. */
export const MASK = "********";

/** A masked secret: a bot token keeps its bot id (public: it is the bot's user id), anything else shows MASK only. */
function masked(value: string | number | bigint): string {
  const botId = typeof value === "string" ? /^(\d{5,16}):/.exec(value)?.[1] : undefined;
  return botId === undefined ? MASK : `${botId}:${MASK}`;
}

/**
 * The table with every secret masked, for `takopi config list`/`get`, and the
 * key paths that were. A value is a secret under a secret-named key (see
 * `names.ts`; strings and numbers, in arrays too), when it is shaped like a
 * bot token (one pasted into `chat_id`), or when it equals a secret found
 * elsewhere in the table.
 */
export function maskSecrets(table: TomlTable): { table: TomlTable; masked: (string | number)[][] } {
  const values = new Set(configSecrets(table).map((secret) => secret.value));
  const paths: (string | number)[][] = [];
  const hide = (leaf: unknown, secret: boolean): leaf is string | number | bigint =>
    secret ? typeof leaf === "string" || typeof leaf === "number" || typeof leaf === "bigint" : typeof leaf === "string" && (values.has(leaf) || containsBotToken(leaf));
  const walk = (node: unknown, path: (string | number)[], secret: boolean): unknown => {
    if (isTable(node)) {
      const out: TomlTable = {};
      for (const [key, value] of Object.entries(node)) out[key] = walk(value, [...path, key], isSecretName(key));
      return out;
    }
    if (Array.isArray(node) && node.some(isTable)) return node.map((item, index) => walk(item, [...path, index], secret));
    if (Array.isArray(node)) {
      if (!node.some((leaf) => hide(leaf, secret))) return node;
      paths.push(path);
      return node.map((leaf: unknown) => (hide(leaf, secret) ? masked(leaf) : leaf));
    }
    if (!hide(node, secret)) return node;
    paths.push(path);
    return masked(node);
  };
  return { table: walk(table, [], false) as TomlTable, masked: paths };
}
