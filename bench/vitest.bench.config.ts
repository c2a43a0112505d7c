import { defineConfig } from "vitest/config";

/** Only for the hand-written baseline of the benchmark; `npm test` does not include bench/. */
export default defineConfig({
  test: { include: ["bench/handwritten/**/*.test.ts"], pool: "forks", fileParallelism: false, sequence: { concurrent: false } },
});
