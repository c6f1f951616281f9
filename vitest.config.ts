import { defineConfig } from "vitest/config";

// One run for the whole workspace. Files run in parallel, each on its own database
// cloned from a migrated template (tooling/test/global-setup.ts).
export default defineConfig({
  test: {
    include: ["apps/*/test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    globalSetup: ["./tooling/test/global-setup.ts"],
    pool: "forks",
    maxWorkers: 3,
    // Sized for a loaded 2-core machine (a second CPU-bound process beside the suite);
    // a real hang still fails. Slow paths (a cold TypeScript loader per spawned command)
    // are removed, not hidden: commands run from bundles the global setup builds once.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // expect.poll waits for what a user would wait for (a page updating after a click);
    // its 1 s default gave up under load while the page was still on its way.
    expect: { poll: { timeout: 15_000, interval: 100 } },
    reporters: ["default"],
  },
});
