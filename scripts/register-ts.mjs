// Lets plain `node` run this repo's TypeScript entry files (Node 24 strips the
// types itself): source files import each other as `./x.js` (what tsc wants for
// module nodenext), so map such a specifier to `./x.ts` when only that exists.
//   node --import ./scripts/register-ts.mjs scripts/capture-engine-fixtures.ts
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL;
    if (parent?.startsWith("file:") && /^\.\.?\//.test(specifier) && specifier.endsWith(".js")) {
      const ts = new URL(`${specifier.slice(0, -3)}.ts`, parent);
      if (!existsSync(fileURLToPath(new URL(specifier, parent))) && existsSync(fileURLToPath(ts))) {
        return nextResolve(ts.href, context);
      }
    }
    return nextResolve(specifier, context);
  },
});
