import { defineConfig } from 'vitest/config';

// The default suite: unit tests beside the code, integration and e2e under test/.
// Long scenario runs live in vitest.scenarios.config.ts (npm run test:scenarios).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/scenarios/**', 'node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
