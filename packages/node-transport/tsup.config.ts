import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per subpath export: loading the pino transport never loads winston, and the other way round.
  entry: ['src/index.ts', 'src/pino.ts', 'src/winston.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // `import.meta.url` in the CommonJS build (createPinoTransport names its own file as pino's worker target).
  shims: true,
});
