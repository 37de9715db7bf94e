// The layering docs/architecture.md promises, checked on the source itself so
// that a change which bends it fails here rather than in a later review.
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SRC = join(ROOT, "src");

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith(".ts")).map((entry) => join(entry.parentPath, entry.name));
}

/** Every module specifier a file imports or re-exports, resolved to a repo path when relative. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, "utf8");
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/g), ...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)].map(
    (match) => match[1] ?? "",
  );
  return specifiers.map((specifier) => (specifier.startsWith(".") ? relative(ROOT, resolve(dirname(file), specifier)) : specifier));
}

const files = await sourceFiles(SRC);
const rel = (file: string): string => relative(ROOT, file);

describe("source layering", () => {
  it("keeps core and engines free of grammY and of the Telegram transport", async () => {
    const offenders: string[] = [];
    for (const file of files.filter((candidate) => /^src\/(core|engines|render)\//.test(rel(candidate)))) {
      for (const target of await importsOf(file)) {
        if (target === "grammy" || target.startsWith("grammy/") || target.startsWith("src/telegram/")) offenders.push(`${rel(file)} → ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("lets the scheduler order work without rendering anything", async () => {
    const targets = await importsOf(join(SRC, "core/scheduler.ts"));
    expect(targets.filter((target) => target.startsWith("src/render/") || target.includes("run-view"))).toEqual([]);
  });

  it("keeps files small and util/ for small cross-cutting helpers", async () => {
    let utilLines = 0;
    const large: string[] = [];
    for (const file of files) {
      const lines = (await readFile(file, "utf8")).split("\n").length - 1;
      if (lines > 400) large.push(`${rel(file)}: ${lines} lines`);
      if (rel(file).startsWith("src/util/")) utilLines += lines;
    }
    expect(large).toEqual([]);
    expect(utilLines).toBeLessThan(600);
  });

  it("names only files that exist in the contributor docs", async () => {
    const missing: string[] = [];
    for (const doc of ["docs/architecture.md", "docs/upstream-differences.md"]) {
      const text = await readFile(join(ROOT, doc), "utf8");
      for (const [, path] of text.matchAll(/`((?:src|test|overlay|bench)\/[\w./<>-]*[\w/])`/g)) {
        if (path === undefined || path.includes("<")) continue;
        const exists = await readFile(join(ROOT, path)).then(
          () => true,
          async () => readdir(join(ROOT, path)).then(() => true, () => false),
        );
        if (!exists) missing.push(`${doc}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
