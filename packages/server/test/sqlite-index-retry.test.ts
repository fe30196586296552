import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMemoryCache,
  createSqliteLogStore,
  createSqliteMetaStore,
  generateTraffic,
  healthReport,
  type LogStore,
} from '../src/index.js';
import { eventually } from './helpers.js';

// On a loaded machine a batch of an index worker can fail (a lock held past SQLite's busy timeout). That failure used
// to stick: every later refresh() rejected at once (an upload job then ended `failed` with all its records accepted)
// and the worker did not try again before the next append. Here the index file is locked from another connection for
// longer than the busy timeout, as a stalled writer would, then released.
const dirs: string[] = [];
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('an index batch that fails', () => {
  it('is retried: refresh() waits through the failure, health says degraded meanwhile, and the index catches up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-index-retry-'));
    dirs.push(dir);
    const store: LogStore = createSqliteLogStore({ path: join(dir, 'events.db') });
    const meta = createSqliteMetaStore({ path: join(dir, 'meta.db') });
    closers.push(
      () => store.close(),
      () => meta.close(),
    );
    await store.appendBatch([...generateTraffic({ count: 10, seed: 1 })]);
    await store.refresh();

    // Another connection takes the write lock of the facts index and holds it.
    const locker = new DatabaseSync(join(dir, 'events.index.db'));
    closers.push(() => locker.close());
    locker.exec('BEGIN IMMEDIATE');
    const events = [...generateTraffic({ count: 50, seed: 2 })];
    await store.appendBatch(events);
    const waiting = store.refresh().then(
      () => 'indexed',
      (error: Error) => `rejected: ${error.message}`,
    );
    const failing = await eventually(
      async () => store.indexStatus?.().parts.find((part) => part.error !== undefined),
      15_000,
    );
    expect(failing).toMatchObject({ name: 'facts', error: expect.stringMatching(/locked/) as string });
    const health = await healthReport({
      stores: { logs: store, meta, cache: createMemoryCache() },
      kinds: { logs: 'sqlite', meta: 'sqlite', cache: 'memory', velocity: 'memory' },
    });
    expect(health.status).toBe('degraded');
    expect(health.index?.parts.find((part) => part.name === 'facts')?.error).toMatch(/locked/);
    // A refresh asked for during the failure waits too, instead of rejecting at once.
    const later = store.refresh().then(
      () => 'indexed',
      (error: Error) => `rejected: ${error.message}`,
    );

    locker.exec('ROLLBACK');
    expect(await waiting).toBe('indexed');
    expect(await later).toBe('indexed');
    const status = store.indexStatus?.();
    expect(status?.parts.every((part) => part.indexed === status.committed && part.error === undefined)).toBe(true);
    expect(await store.count({})).toBe(60);
  });
});
