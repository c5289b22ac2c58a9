import { defineConfig } from 'vitest/config';

// Long runs: every shipped scenario against its `expect` block. Called by .ci/run after `npm test`.
export default defineConfig({
  test: {
    include: ['test/scenarios/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
