import { defineConfig } from 'vitest/config';

// One configuration for every package: tests live next to the package they test
// (`packages/<pkg>/test/**`, the console's browser tests included: they build the console
// first when its `dist/` is stale), end-to-end tests in `e2e/`, and repository checks in `test/`.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'e2e/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'packages/console/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
