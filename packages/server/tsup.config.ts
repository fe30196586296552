import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The scale-out adapters are entries of their own: the main entry never loads their client packages (optional
    // peer dependencies). Shared code goes to shared chunks in both formats, so a class (e.g. StoreUnavailableError)
    // is one class whichever entry threw it.
    entry: {
      index: 'src/index.ts',
      elasticsearch: 'src/adapters/elasticsearch/index.ts',
      redis: 'src/adapters/redis/index.ts',
      mongodb: 'src/adapters/mongodb/index.ts',
    },
    format: ['esm', 'cjs'],
    splitting: true,
    dts: true,
    clean: true,
    sourcemap: true,
    // No `sourcesContent`: the package ships `src`, which the maps point at.
    esbuildOptions(options) {
      options.sourcesContent = false;
    },
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
    // No `sourcesContent`: the package ships `src`, which the maps point at.
    esbuildOptions(options) {
      options.sourcesContent = false;
    },
    target: 'node22',
    platform: 'node',
    removeNodeProtocol: false,
  },
]);
