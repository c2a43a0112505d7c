import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    // Scenario variants run concurrently within a file (test.concurrent); files run in parallel.
    maxConcurrency: Number(process.env["NETREPRO_CONCURRENCY"] ?? 3),
    testTimeout: 180_000,
    hookTimeout: 600_000,
    teardownTimeout: 60_000,
    reporters: process.env["CI"] ? ["default", "junit"] : ["default"],
    outputFile: { junit: "artifacts/junit.xml" },
  },
});
