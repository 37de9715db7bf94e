// zod's locales loaded on first use: the rewrite of zod's locales file, and a
// real Node process with the hook where zod loads none of them but English,
// yet `z.locales.de()` still gives German messages.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { lazyLocalesSource } from "../../../src/cli/lazy-zod-locales.js";

const LOCALES = fileURLToPath(import.meta.resolve("zod/v4/locales"));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("lazyLocalesSource", () => {
  it("keeps English and turns every other locale of zod's file into a require on first call", () => {
    const source = lazyLocalesSource(readFileSync(LOCALES, "utf8"), dirname(LOCALES));
    expect(source).toContain('export { default as en } from "./en.js";');
    expect(source).toContain('export const de = lazy("./de.cjs");');
    expect(source).toContain('export const zhCN = lazy("./zh-CN.cjs");');
    expect(source).not.toMatch(/from "\.\/de\.js"/);
  });

  it("leaves a file of another shape alone", () => {
    expect(lazyLocalesSource('export { default as en } from "./en.js";\nexport * from "./more.js";\n', dirname(LOCALES))).toBeNull();
    expect(lazyLocalesSource('export { default as de } from "./de.js";\n', dirname(LOCALES))).toBeNull();
    expect(lazyLocalesSource('export { default as en } from "./en.js";\nexport { default as xx } from "./xx.js";\n', dirname(LOCALES))).toBeNull();
  });
});

describe("lazyZodLocales", () => {
  it("loads no locale module but English, and a locale still works when asked for", () => {
    const script = `
      import { registerHooks } from "node:module";
      const loaded = [];
      registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
      const { lazyZodLocales } = await import("./src/cli/lazy-zod-locales.ts");
      lazyZodLocales();
      const z = await import("zod");
      const english = z.string().safeParse(1).error.issues[0].message;
      const before = loaded.filter((url) => url.includes("/locales/") && !url.endsWith("/index.js")).map((url) => url.split("/").pop());
      z.config(z.locales.de());
      const german = z.string().safeParse(1).error.issues[0].message;
      console.log(JSON.stringify({ before, english, german }));
    `;
    const out = execFileSync(process.execPath, ["--import", "./scripts/register-ts.mjs", "--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" });
    const result = JSON.parse(out) as { before: string[]; english: string; german: string };
    expect(result.before).toEqual(["en.js"]);
    expect(result.english).toBe("Invalid input: expected string, received number");
    expect(result.german).toMatch(/^Ungültige Eingabe/);
  });
});
