/**
 * Prints one plain closing line (`tests: N passed, N failed, N skipped`) after
 * vitest's own report, so CI logs can be read without knowing vitest's format.
 * A file or suite that fails outside any test (import error, empty suite) and
 * an unhandled error each count as one failure: they must never read as green.
 */
import type { Reporter, SerializedError, TestModule, TestSuite } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly SerializedError[]): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed += 1;
        else if (state === "failed") failed += 1;
        else skipped += 1;
      }
      const suites: (TestModule | TestSuite)[] = [module, ...module.children.allSuites()];
      for (const suite of suites) failed += suite.errors().length;
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
