import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // The bundled database is found with `createRequire(import.meta.url)`, which the CJS build needs shimmed.
  shims: true,
});
