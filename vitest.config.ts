import { defineConfig } from 'vitest/config';

// One configuration for every package: tests live next to the package they test
// (`packages/<pkg>/test/**`), end-to-end tests in `e2e/`, and repository checks in `test/`.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'e2e/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'packages/console/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
