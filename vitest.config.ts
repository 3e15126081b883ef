import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['shs/src/**/*.test.ts', 'cli/src/**/*.test.ts', 'stack/src/**/*.test.ts', 'proxy/src/**/*.test.ts', 'actions/*/src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // One real PostgreSQL server for the whole run; every test file gets databases of its own.
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: files run one after another so servers under test are not starved.
          fileParallelism: false,
        },
      },
    ],
  },
});
