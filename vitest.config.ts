import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Real servers the tests need, started once per run (each one says how to skip it).
    globalSetup: ["test/store/postgres-setup.ts", "test/slurm/global-setup.ts"],
    // Real processes and real timing: keep two files at a time on this 2-core machine.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
