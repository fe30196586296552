import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Workspace imports resolve to TypeScript source in tests, so no build is needed for in-process code.
    conditions: ['@shoplog/source'],
  },
  ssr: { resolve: { conditions: ['@shoplog/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
