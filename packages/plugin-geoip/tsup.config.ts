import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // No `sourcesContent`: the package ships `src`, which the maps point at.
  esbuildOptions(options) {
    options.sourcesContent = false;
  },
  target: 'node22',
  // The bundled database is found with `createRequire(import.meta.url)`, which the CJS build needs shimmed.
  shims: true,
});
