// Preloaded with `node --import` to record every module URL a process loads,
// one per line, into $TAKOPI_TEST_MODULE_LOG: how tests prove laziness.
import { appendFileSync } from "node:fs";
import { registerHooks } from "node:module";

const log = process.env.TAKOPI_TEST_MODULE_LOG;
if (log) {
  registerHooks({
    load(url, context, nextLoad) {
      appendFileSync(log, `${url}\n`);
      return nextLoad(url, context);
    },
  });
}
