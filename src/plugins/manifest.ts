/**
 * The `"takopi"` field of a plugin package's package.json: what the package
 * provides, by id, without running any of its code (the npm
 * counterpart of upstream's Python entry points).
 *
 * ```json
 * "takopi": {
 *   "apiVersion": 1,
 *   "commands": { "reload": { "module": "./dist/reload.js", "description": "restart takopi", "startup": true } },
 *   "engines": { "gemini": "./dist/gemini.js" }
 * }
 * ```
 * A value is the module path (relative to the package) or an object with the
 * path and a description; the description lets the Telegram command menu be
 * built without importing the plugin.
 */
import * as z from "zod";

/** The plugin API this takopi provides; a manifest asking for a newer one is refused. */
export const PLUGIN_API_VERSION = 1;

export const PLUGIN_KINDS = ["engine", "transport", "command"] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/** The manifest table that lists each kind. */
export const MANIFEST_SECTION: Record<PluginKind, "engines" | "transports" | "commands"> = {
  engine: "engines",
  transport: "transports",
  command: "commands",
};

const EntrySchema = z.union([
  z.string().min(1),
  z.object({
    module: z.string().min(1),
    description: z.string().optional(),
    /** Commands only: import the module when the bridge starts and call its `started` hook. */
    startup: z.boolean().optional(),
  }),
]);

const SectionSchema = z.record(z.string(), EntrySchema);

export const ManifestSchema = z.object({
  apiVersion: z.int().positive().optional(),
  engines: SectionSchema.optional(),
  transports: SectionSchema.optional(),
  commands: SectionSchema.optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** One declared plugin, as read from a manifest (not yet checked against id rules). */
export interface ManifestEntry {
  kind: PluginKind;
  id: string;
  /** As written in the manifest, relative to the package directory. */
  module: string;
  description: string | null;
  /** The command's `started` hook runs once the bridge is up (which imports its module at start). */
  startup: boolean;
}

/** Flattens a manifest into its entries, in manifest order per kind. */
export function manifestEntries(manifest: Manifest): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  for (const kind of PLUGIN_KINDS) {
    const section = manifest[MANIFEST_SECTION[kind]] ?? {};
    for (const [id, value] of Object.entries(section)) {
      entries.push(
        typeof value === "string"
          ? { kind, id, module: value, description: null, startup: false }
          : { kind, id, module: value.module, description: value.description ?? null, startup: kind === "command" && value.startup === true },
      );
    }
  }
  return entries;
}

/** A one-line reason a manifest was refused, for `takopi plugins`. */
export function describeManifestError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid takopi manifest";
  const where = issue.path.length > 0 ? ` at takopi.${issue.path.join(".")}` : "";
  return `invalid takopi manifest${where}: ${issue.message}`;
}
