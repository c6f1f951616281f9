import { defineConfig } from "vitest/config";

// One run for the whole workspace. Files run in parallel, each on its own database
// cloned from a migrated template (tooling/test/global-setup.ts).
export default defineConfig({
  test: {
    include: ["apps/*/test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    globalSetup: ["./tooling/test/global-setup.ts"],
    pool: "forks",
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 180_000,
    reporters: ["default"],
  },
});
