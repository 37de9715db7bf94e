import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    // Test files mostly wait (on takopi, engine processes, timers, Telegram pacing), not compute: on the
    // 2-CPU CI machine the default (one worker there) ran the suite in 1300 s, three workers in 450 s.
    maxWorkers: 3,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          // Some unit tests run real processes (the runner, planned engines); on a loaded machine
          // the default 5 s is not enough to start a few of them. Still bounded.
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
