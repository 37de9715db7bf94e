/**
 * zod's entry points re-export its ~60 locales (`export * as locales from
 * "../locales/index.js"`), so importing zod loads every one of them, although
 * takopi uses none: zod sets English itself, from locales/en.js. That was a
 * fifth of the modules an idle bridge loads and ~7 MB of its RSS.
 *
 * `lazyZodLocales()` (called by the CLI before anything imports zod) rewrites
 * that one file of takopi's own zod as it is loaded: English stays as it is,
 * and every other locale becomes a function that requires zod's CommonJS build
 * of it on its first call. `z.config(z.locales.de())` keeps working — for a
 * plugin too — and costs nothing until someone calls it. A zod whose locales
 * file looks different is left as it is. The hook removes itself once the file
 * is loaded, so it costs the other modules nothing either.
 */
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

/** `export { default as zhCN } from "./zh-CN.js";`, zod's one line per locale. */
const LOCALE_LINE = /^export \{ default as (\w+) \} from "\.\/([\w-]+)\.js";$/;

/**
 * The locales file with every locale but English required on first use, or
 * null when `source` is not the list of re-exports this expects (or a CommonJS
 * file is missing beside it in `dir`).
 */
export function lazyLocalesSource(source: string, dir: string): string | null {
  const lines = source.split("\n").filter((line) => line.trim() !== "");
  const locales: [name: string, file: string][] = [];
  for (const line of lines) {
    const match = LOCALE_LINE.exec(line.trim());
    if (match?.[1] === undefined || match[2] === undefined) return null;
    locales.push([match[1], match[2]]);
  }
  if (!locales.some(([name, file]) => name === "en" && file === "en")) return null;
  if (!locales.every(([, file]) => existsSync(`${dir}/${file}.cjs`))) return null;
  return [
    'import { createRequire } from "node:module";',
    'export { default as en } from "./en.js";',
    "const require = createRequire(import.meta.url);",
    // zod's CommonJS locale is the function itself (module.exports = exports.default).
    "const lazy = (file) => (...args) => { const locale = require(file); return (typeof locale === 'function' ? locale : locale.default)(...args); };",
    ...locales.filter(([name]) => name !== "en").map(([name, file]) => `export const ${name} = lazy("./${file}.cjs");`),
    "",
  ].join("\n");
}

/** Loads zod's locales (but English) lazily from now on; a no-op when zod cannot be found. */
export function lazyZodLocales(): void {
  let target: string;
  try {
    target = import.meta.resolve("zod/v4/locales");
  } catch {
    return;
  }
  const hooks = registerHooks({
    load(url, context, nextLoad) {
      const loaded = nextLoad(url, context);
      if (url !== target) return loaded;
      hooks.deregister();
      const source = typeof loaded.source === "string" ? loaded.source : loaded.source === undefined ? null : new TextDecoder().decode(loaded.source);
      const lazy = source === null ? null : lazyLocalesSource(source, fileURLToPath(new URL(".", url)));
      return lazy === null ? loaded : { ...loaded, source: lazy };
    },
  });
}
