import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTIONAL_PACKAGES, loadOptional } from '../../src/adapters/optional.js';

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

describe('optional client packages', () => {
  it('are optional peer dependencies, never dependencies, with the ranges the install hint names', () => {
    for (const [name, range] of Object.entries(OPTIONAL_PACKAGES)) {
      expect(pkg.dependencies[name], name).toBeUndefined();
      expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
      expect(pkg.peerDependencies[name], name).toMatch(new RegExp(`^\\${range}(\\.|$)`));
    }
  });

  it('turns "not installed" into one sentence naming what selected it and the install command', async () => {
    // The shape Node gives a missing package (the packed-tarball suite meets the real one, without ioredis installed).
    const missing = Object.assign(
      new Error("Cannot find package 'ioredis' imported from /app/node_modules/@shoplog/server/dist/index.js"),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
    await expect(loadOptional('ioredis', 'REDIS_URL', () => Promise.reject(missing))).rejects.toThrow(
      'REDIS_URL needs the package ioredis, which is not installed: run `npm install ioredis@^6` beside @shoplog/server.',
    );
    // Anything else (a broken install, a missing dependency of the package itself) is passed on as it is.
    const other = Object.assign(
      new Error("Cannot find package 'denque' imported from /app/node_modules/ioredis/built/index.js"),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
    await expect(loadOptional('ioredis', 'REDIS_URL', () => Promise.reject(other))).rejects.toBe(other);
    expect(await loadOptional('ioredis', 'REDIS_URL', () => import('ioredis'))).toHaveProperty('Redis');
  });
});
