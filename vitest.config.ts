import { defineConfig, type Plugin } from 'vitest/config';

/** YAML imported as text, as esbuild's text loader does in the bundles (monitoring/src/default-slo.ts). */
const yamlText: Plugin = {
  name: 'yaml-text',
  transform(code, id) {
    if (id.endsWith('.yaml')) return { code: `export default ${JSON.stringify(code)};`, map: null };
    return undefined;
  },
};

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [yamlText],
        test: {
          name: 'unit',
          include: ['monitoring/src/**/*.test.ts', 'shs/src/**/*.test.ts', 'cli/src/**/*.test.ts', 'stack/src/**/*.test.ts', 'proxy/src/**/*.test.ts', 'actions/*/src/**/*.test.ts'],
        },
      },
      {
        plugins: [yamlText],
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
