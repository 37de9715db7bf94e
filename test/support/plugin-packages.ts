/**
 * Plugin packages laid out on disk the way npm installs them, for discovery and
 * loading tests. Each module can leave a marker when imported, which is how the
 * tests prove that listing plugins imports nothing.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface PackageSpec {
  name: string;
  version?: string;
  /** The `"takopi"` manifest, written as is (may be deliberately wrong). */
  manifest: unknown;
  /** Module files relative to the package, with their source. */
  files?: Record<string, string>;
}

export async function writePackage(parent: string, spec: PackageSpec): Promise<string> {
  const dir = join(parent, spec.name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "package.json"),
    `${JSON.stringify({ name: spec.name, version: spec.version ?? "1.0.0", type: "module", takopi: spec.manifest }, null, 2)}\n`,
  );
  for (const [file, source] of Object.entries(spec.files ?? {})) {
    const path = join(dir, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, source);
  }
  return dir;
}

/** Module source that appends `id` to the file named by $TAKOPI_TEST_IMPORT_LOG when imported. */
export function markImport(id: string): string {
  return `import { appendFileSync } from "node:fs";\nif (process.env.TAKOPI_TEST_IMPORT_LOG) appendFileSync(process.env.TAKOPI_TEST_IMPORT_LOG, ${JSON.stringify(id)} + "\\n");\n`;
}

/** A command plugin module whose backend answers with a fixed text. */
export function commandModule(id: string, options: { backendId?: string; reply?: string } = {}): string {
  return `${markImport(id)}
export default {
  id: ${JSON.stringify(options.backendId ?? id)},
  description: "test command ${id}",
  async handle(ctx) {
    return { text: ${JSON.stringify(options.reply ?? `${id}: `)} + ctx.argsText + " " + JSON.stringify(ctx.pluginConfig) };
  },
};
`;
}

/** An engine plugin module with the full EngineBackend shape (its runs are never started in these tests). */
export function engineModule(id: string): string {
  return `${markImport(id)}
export default {
  id: ${JSON.stringify(id)},
  cliCommand: ${JSON.stringify(`${id}-cli`)},
  installHint: "npm i -g ${id}-cli",
  configSchema: { safeParse: (value) => ({ success: true, data: value }) },
  prepareRun() { throw new Error("not runnable in tests"); },
  createTranslator() { throw new Error("not runnable in tests"); },
  formatResume: (token) => "\`${id} --resume " + token.value + "\`",
  extractResume: () => null,
  isResumeLine: () => false,
};
`;
}

/** A transport that holds the bridge open until it is told to stop (SIGTERM/SIGINT). */
export function idleTransportModule(id: string): string {
  return `${markImport(id)}
export default {
  id: ${JSON.stringify(id)},
  description: "test transport that idles until stopped",
  lockToken: (config) => config.settings.transports[${JSON.stringify(id)}]?.token ?? null,
  async run(ctx) {
    process.stdout.write("transport ${id} running\\n");
    await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
    process.stdout.write("transport ${id} stopped\\n");
    return 0;
  },
};
`;
}
