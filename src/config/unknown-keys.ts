/**
 * Warnings for what takopi.toml says that takopi does not read: keys the
 * schema does not know, and tables that would be read as some engine's config
 * although no engine has that name — each with a did-you-mean when one is close.
 */
import { formatKeyPath } from "./errors.js";
import { findUnknownKeys, TOP_LEVEL_KEYS } from "./schema.js";
import { isTable, type TomlTable } from "./toml-keys.js";

/** Levenshtein distance, for did-you-mean suggestions on a handful of short keys. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/** The closest of `candidates` when it is close enough to be a likely typo. */
export function suggestKey(key: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(key.length / 3)));
  return best !== null && bestDistance <= allowed ? best : null;
}

/** Warnings for keys the schema does not know; each names the key and, when close, what was probably meant. */
export function unknownKeyWarnings(table: TomlTable, path: string, engineIds?: readonly string[]): { key: string; text: string }[] {
  const out = findUnknownKeys(table).map(({ path: keyPath, known }) => {
    const key = formatKeyPath(keyPath);
    const suggestion = suggestKey(keyPath[keyPath.length - 1] ?? "", known);
    const hint = suggestion === null ? "" : `; did you mean \`${suggestion}\`?`;
    return { key, text: `unknown key \`${key}\` in ${path} (ignored)${hint}` };
  });
  // A misspelt top-level table ([project.app]) would silently become the config of an engine called "project".
  const tableKeys = TOP_LEVEL_KEYS.filter((key) => ["transports", "projects", "plugins"].includes(key));
  for (const [key, value] of Object.entries(table)) {
    if (!isTable(value) || TOP_LEVEL_KEYS.includes(key) || engineIds?.includes(key) === true) continue;
    const suggestion = suggestKey(key, tableKeys);
    if (suggestion !== null) {
      out.push({ key, text: `top-level table [${key}] in ${path} is read as the config of an engine named "${key}"; did you mean [${suggestion}]?` });
    }
  }
  if (engineIds !== undefined) out.push(...projectTableWarnings(table, path, engineIds));
  return out;
}

/** Tables inside a project are its settings for one engine (`[projects.app.codex]`); any other table is read by nobody. */
function projectTableWarnings(table: TomlTable, path: string, engineIds: readonly string[]): { key: string; text: string }[] {
  const out: { key: string; text: string }[] = [];
  const projects = isTable(table.projects) ? table.projects : {};
  for (const [alias, project] of Object.entries(projects)) {
    if (!isTable(project)) continue;
    for (const [key, value] of Object.entries(project)) {
      if (!isTable(value) || engineIds.includes(key)) continue;
      const dotted = formatKeyPath(["projects", alias, key]);
      const suggestion = suggestKey(key, engineIds);
      const hint = suggestion === null ? `engines: ${engineIds.join(", ")}` : `did you mean [${formatKeyPath(["projects", alias, suggestion])}]?`;
      out.push({ key: dotted, text: `table [${dotted}] in ${path} is not an engine's settings (ignored); ${hint}` });
    }
  }
  return out;
}
