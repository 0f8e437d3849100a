import { defineConfig } from "vitest/config";

// The conformance suite: every relevant file under ../shared/samples, read at run time.
export default defineConfig({
  test: {
    include: ["test/conformance/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 120_000,
  },
});
