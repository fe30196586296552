import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { createMemoryCache, createSqliteLogStore } from '../src/index.js';
import { runLogStoreContract } from './contracts/log-store-contract.js';
import { errorEvent, txEvent } from './helpers.js';

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
    const page = await second.search({
      filter: { text: 'persisted' },
      sort: { field: '@timestamp', order: 'desc' },
      page: 1,
      size: 5,
    });
    expect(page.hits.map((h) => h.id)).toEqual([event.event.id]);
    expect(await second.appendBatch([event])).toEqual(['duplicate']);
    await second.close();
    rmSync(join(path, '..'), { recursive: true, force: true });
  });

  it('opens a folder while another process holds the events file locked for a moment, waiting instead of failing', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'shoplog-locked-')), 'events.db');
    // Another process (a backup, a CLI command) holds the file's exclusive lock for 400 ms, then lets go.
    const holder = spawn(
      process.execPath,
      [
        '--no-warnings',
        '-e',
        `const { DatabaseSync } = require('node:sqlite');
         const db = new DatabaseSync(process.argv[1]);
         db.exec('BEGIN EXCLUSIVE; CREATE TABLE probe (a)');
         console.log('locked');
         setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, 400);`,
        path,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const store = createSqliteLogStore({ path });
    expect(await store.appendBatch([txEvent()])).toEqual(['created']);
    await store.refresh();
    expect(await store.count({})).toBe(1);
    await store.close();
    rmSync(join(path, '..'), { recursive: true, force: true });
  });

  const textSearch = (text: string) => ({
    filter: { text },
    sort: { field: '@timestamp' as const, order: 'desc' as const },
    page: 1,
    size: 10,
  });

  it('acknowledges appends while the indexer holds the index write lock; they are searchable once it catches up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-split-'));
    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    const first = txEvent({ message: 'before the lock' });
    await store.appendBatch([first]);
    await store.refresh();
    // Other connections take the write locks of both index files (facts, full text), as the indexers do during a batch.
    const holders = ['events.index.db', 'events.timeline.db'].map((file) => new DatabaseSync(join(dir, file)));
    for (const holder of holders) holder.exec('PRAGMA busy_timeout=5000; BEGIN IMMEDIATE');
    const second = txEvent({ message: 'acknowledged meanwhile' });
    // The append commits in the events file only (it would fail with "database is locked" if it needed the index).
    expect(await store.appendBatch([second])).toEqual(['created']);
    expect((await store.get(second.event.id))?.message).toBe('acknowledged meanwhile');
    for (const holder of holders) {
      holder.exec('COMMIT');
      holder.close();
    }
    await store.refresh();
    expect((await store.search(textSearch('meanwhile'))).hits.map((h) => h.id)).toEqual([second.event.id]);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rebuilds a lost index file from the events, and moves the index out of a single-file database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-rebuild-'));
    const path = join(dir, 'events.db');
    const events = [
      txEvent({ message: 'kept in the events' }),
      errorEvent('E_REBUILT', 'RebuildError', 'rebuilt error'),
    ];
    const first = createSqliteLogStore({ path });
    await first.appendBatch(events);
    await first.close();
    for (const file of ['events.index.db', 'events.timeline.db'])
      for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, file + suffix), { force: true });
    // A database from before the split: the derived tables (here stale: empty) in the events file.
    const old = new DatabaseSync(path);
    old.exec(
      "CREATE TABLE facts (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL); CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER NOT NULL); INSERT INTO state VALUES ('indexed', 99);",
    );
    old.close();
    const second = createSqliteLogStore({ path });
    await second.refresh();
    expect(existsSync(join(dir, 'events.index.db'))).toBe(true);
    expect(existsSync(join(dir, 'events.timeline.db'))).toBe(true);
    expect(await second.count()).toBe(2);
    expect((await second.search(textSearch('rebuilt'))).hits.map((h) => h.id)).toEqual([events[1]?.event.id]);
    await second.close();
    const check = new DatabaseSync(path);
    expect(check.prepare("SELECT name FROM sqlite_master WHERE name IN ('facts', 'state')").all()).toEqual([]);
    check.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts free text in a time range exactly when two events claim the same time key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-timekey-'));
    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    const ts = '2026-05-01T10:00:00.000Z';
    const first = txEvent({ message: 'collision twin', ts });
    // Another connection claims the key of the first event (its millisecond, slot seq 1) before the indexer runs.
    const holder = new DatabaseSync(join(dir, 'events.timeline.db'));
    holder.exec('PRAGMA busy_timeout=5000; BEGIN IMMEDIATE');
    await store.appendBatch([
      first,
      txEvent({ message: 'collision twin', ts }),
      txEvent({ message: 'collision twin', ts: '2026-05-01T10:00:00.001Z' }),
    ]);
    holder.prepare('INSERT INTO time_keys (key, seq) VALUES (?, 0)').run(BigInt(Date.parse(ts)) * 2n ** 20n + 1n);
    holder.exec('COMMIT');
    holder.close();
    await store.refresh();
    const at = Date.parse(ts);
    expect(await store.count({ text: 'twin', range: { from: at, to: at + 1 } })).toBe(2);
    expect(await store.count({ text: 'twin', range: { from: at + 0.5 } })).toBe(1);
    expect(await store.count({ text: 'twin', range: { to: at + 1 } })).toBe(2);
    expect(await store.count({ text: 'twin', range: { from: at - 1, to: at + 2 } })).toBe(3);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('indexes an in-memory store on the calling thread', async () => {
    const store = createSqliteLogStore({ path: ':memory:' });
    const event = txEvent({ message: 'only in memory' });
    await store.appendBatch([event]);
    await store.refresh();
    expect((await store.search(textSearch('memory'))).hits.map((h) => h.id)).toEqual([event.event.id]);
    await store.close();
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
