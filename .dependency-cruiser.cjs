// Dependency rules of the packages (run by `pnpm lint` and `.ci/run`): no import cycle, core is a leaf, and the
// server's layers point one way — routes and ingest over the ports, stores and adapters under them, never sideways.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment:
        'A runtime import cycle (type-only imports excluded): one of the modules should own what the others need.',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'core-is-a-leaf',
      severity: 'error',
      comment: 'core uses no Node built-in and no other Shoplog package: it runs in workers and at the edge.',
      from: { path: '^packages/core/src' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'core-depends-on-no-package',
      severity: 'error',
      from: { path: '^packages/core/src' },
      to: { path: '^packages/(?!core/)' },
    },
    {
      name: 'packages-through-public-exports',
      severity: 'error',
      comment: 'A package reaches another only through its published entry points, never its src/ files.',
      from: { path: '^packages/([^/]+)/src' },
      to: { path: '^packages/([^/]+)/src', pathNot: ['^packages/$1/src', '^packages/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'server-store-below-the-ports',
      severity: 'error',
      comment: 'The embedded store implements the ports: it depends on ports.ts and core, not on the server around it.',
      from: { path: '^packages/server/src/store/' },
      to: {
        path: '^packages/server/src/',
        pathNot: ['^packages/server/src/store/', '^packages/server/src/ports\\.ts$'],
      },
    },
    {
      name: 'server-adapters-beside-the-store',
      severity: 'error',
      comment: 'The scale-out adapters implement the same ports as the embedded store; they never build on it.',
      from: { path: '^packages/server/src/adapters/' },
      to: { path: '^packages/server/src/store/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['/dist/', '/test/', '\\.d\\.ts$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@shoplog/source', 'import', 'types', 'default'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
