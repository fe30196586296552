import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node22',
    platform: 'node',
    removeNodeProtocol: false,
    // import.meta.url in the CJS build (the index worker is located from it).
    shims: true,
  },
  {
    // The CLI, and the worker threads the log store starts from beside the bundle (dist/sqlite-*-worker.js).
    entry: {
      cli: 'src/cli.ts',
      'sqlite-index-worker': 'src/store/sqlite-index-worker.ts',
      'sqlite-read-worker': 'src/store/sqlite-read-worker.ts',
      'sqlite-maintenance-worker': 'src/store/sqlite-maintenance-worker.ts',
    },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: true,
    target: 'node22',
    platform: 'node',
    removeNodeProtocol: false,
  },
]);
