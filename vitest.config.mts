import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps one global engine per process: isolate test files in forks.
    pool: "forks",
    // The forks already use every core, so each runs the wasm backend on one thread: the unit tests
    // cover the one-thread path, the notebooks (npm run notebooks) the threaded one, and
    // tests/backend-threads.test.ts compares the two.
    env: { TINY_LLM_THREADS: "1" },
  },
});
