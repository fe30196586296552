import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryCache, createSqliteLogStore } from '../src/index.js';
import { runLogStoreContract } from './contracts/log-store-contract.js';
import { txEvent } from './helpers.js';

let dir = '';
runLogStoreContract(
  'sqlite',
  () => {
    dir = mkdtempSync(join(tmpdir(), 'shoplog-store-'));
    return createSqliteLogStore({ path: join(dir, 'events.db') });
  },
  () => rmSync(dir, { recursive: true, force: true }),
);

describe('sqlite log store', () => {
  it('resumes indexing after a reopen and keeps the data', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'shoplog-reopen-')), 'events.db');
    const first = createSqliteLogStore({ path });
    const event = txEvent({ message: 'persisted across restarts' });
    await first.appendBatch([event]);
    await first.close();
    const second = createSqliteLogStore({ path });
    await second.refresh();
    const page = await second.search({ filter: { text: 'persisted' }, sort: { field: '@timestamp', order: 'desc' }, page: 1, size: 5 });
    expect(page.hits.map((h) => h.id)).toEqual([event.event.id]);
    expect(await second.appendBatch([event])).toEqual(['duplicate']);
    await second.close();
    rmSync(join(path, '..'), { recursive: true, force: true });
  });

  it('rejects bad options with a message naming the option', () => {
    expect(() => createSqliteLogStore({ path: ':memory:', synchronous: 'OFF' as 'FULL' })).toThrow(/synchronous/);
  });

  it('memory cache expires, deletes and invalidates by prefix', async () => {
    const cache = createMemoryCache();
    await cache.set('q:a', { n: 1 }, 60_000);
    await cache.set('q:b', { n: 2 }, 60_000);
    await cache.set('other', 3, 60_000);
    expect(await cache.get('q:a')).toEqual({ n: 1 });
    await cache.invalidatePrefix('q:');
    expect(await cache.get('q:a')).toBeUndefined();
    expect(await cache.get('other')).toBe(3);
    await cache.delete('other');
    expect(await cache.get('other')).toBeUndefined();
  });
});
