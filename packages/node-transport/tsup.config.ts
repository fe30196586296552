import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per subpath export: loading the pino transport never loads winston, and the other way round.
  entry: ['src/index.ts', 'src/pino.ts', 'src/winston.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // No `sourcesContent`: the package ships `src`, which the maps point at.
  esbuildOptions(options) {
    options.sourcesContent = false;
  },
  target: 'node22',
  // `import.meta.url` in the CommonJS build (createPinoTransport names its own file as pino's worker target).
  shims: true,
});
