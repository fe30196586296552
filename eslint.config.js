// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '**/.shoplog-data/**', 'packages/server/public/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // CommonJS config files of tools (.dependency-cruiser.cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // core is a leaf: no Node built-ins, no other workspace package (DESIGN.md, "Layout and dependency direction").
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'core runs in Node, workers and at the edge: no Node built-ins.' },
            {
              regex: '^(fs|path|os|crypto|http|https|net|stream|zlib|buffer|events|util|child_process|worker_threads)$',
              message: 'core uses no Node built-ins.',
            },
            { regex: '^@shoplog/', message: 'core is a leaf: it depends on no other Shoplog package.' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/server/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@shoplog/(node-transport|express-middleware)',
              message: 'the server never imports the transport or the middleware.',
            },
          ],
        },
      ],
    },
  },
  {
    // node:sqlite is loaded in one place (store/node-sqlite.ts): an older Node.js gets one sentence instead of a link
    // error, and Node 22's ExperimentalWarning is held back in every thread. The scale-out clients are optional peer
    // dependencies: only their adapters import them, and the rest of the server reaches an adapter by a dynamic
    // import once its variable selects it. Types may be imported anywhere.
    files: ['packages/server/src/**/*.ts'],
    ignores: [
      'packages/server/src/store/node-sqlite.ts',
      'packages/server/src/adapters/{elasticsearch,redis,mongodb}/**',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'node:sqlite',
              allowTypeImports: true,
              message: 'import DatabaseSync / backup from store/node-sqlite.js.',
            },
            ...['@elastic/elasticsearch', 'ioredis', 'mongodb'].map((name) => ({
              name,
              allowTypeImports: true,
              message: 'an optional peer dependency: only its adapter imports it.',
            })),
          ],
          patterns: [
            {
              regex: '(^|/)adapters/(elasticsearch|redis|mongodb)/',
              allowTypeImports: true,
              message:
                'an adapter loads an optional package: import it dynamically where its variable selects it (see adapters/scale-out.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/server/src/adapters/{elasticsearch,redis,mongodb}/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'node:sqlite',
              allowTypeImports: true,
              message: 'import DatabaseSync / backup from store/node-sqlite.js.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        setImmediate: 'readonly',
        AbortController: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        crypto: 'readonly',
        document: 'readonly',
        window: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
  },
);
