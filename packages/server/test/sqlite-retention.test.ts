import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { ShoplogEvent } from '@shoplog/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteLogStore, type LogStore } from '../src/index.js';
import { eventIdKey } from '../src/store/sqlite-event-ids.js';
import { errorEvent, perfEvent, txEvent } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const dirs: string[] = [];
const stores: LogStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function open(dir?: string): { store: LogStore; dir: string } {
  const at = dir ?? mkdtempSync(join(tmpdir(), 'shoplog-retention-'));
  if (!dir) dirs.push(at);
  const store = createSqliteLogStore({ path: join(at, 'events.db') });
  stores.push(store);
  return { store, dir: at };
}

const search = (store: LogStore, text: string, from?: number) =>
  store.search({
    filter: { text, ...(from === undefined ? {} : { range: { from, to: Date.now() + HOUR } }) },
    sort: { field: '@timestamp', order: 'desc' },
    page: 1,
    size: 100,
  });

// Hour-aligned, as the server's retention computes its cutoffs.
const hourAgo = (ms: number): number => Math.floor((Date.now() - ms) / HOUR) * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('sqlite log store: retention (expire)', () => {
  it('deletes the events of each kind before its cutoff with their facts, both text indexes, rollups and sketches; keeps the rest', async () => {
    const { store } = open();
    const old = hourAgo(40 * DAY) + 10 * 60_000;
    const oldTx = Array.from({ length: 30 }, (_, i) =>
      txEvent({ message: `ancient purchase ${i}`, user: `old-${i}`, ts: iso(old + i * 1000) }),
    );
    const oldPerf = Array.from({ length: 20 }, (_, i) => perfEvent('/ancient', 100 + i, iso(old + i * 1000)));
    const oldErrors = [errorEvent('500', 'AncientError', 'ancient failure', iso(old))];
    const fresh = [txEvent({ message: 'fresh purchase' }), perfEvent('/fresh', 50)];
    await store.appendBatch([...oldTx, ...oldPerf, ...oldErrors, ...fresh]);
    await store.refresh();
    const window = { range: { from: old - 2 * HOUR, to: old + 2 * HOUR } };
    expect(await store.count(window)).toBe(51);

    const cutoff = hourAgo(30 * DAY);
    // Errors are kept (no cutoff for them): a per-kind override.
    const deleted = await store.expire!({ transaction: cutoff, performance: cutoff });
    expect(deleted).toBe(50);
    expect(await store.count(window)).toBe(1);
    expect(await store.count({ ...window, kinds: ['transaction'] })).toBe(0);
    // Rollups (whole hours) and scans (partial hours) agree.
    expect(await store.count({ range: { from: old - 10 * 60_000, to: old + 2 * HOUR } })).toBe(1);
    expect(await store.histogram(window, { intervalMs: HOUR })).toEqual([
      { ts: Math.floor(old / HOUR) * HOUR, count: 1 },
    ]);
    expect(
      (
        await store.search({
          filter: { ...window, text: 'ancient' },
          sort: { field: '@timestamp', order: 'desc' },
          page: 1,
          size: 100,
        })
      ).total,
    ).toBe(1);
    expect((await search(store, 'purchase')).hits.map((h) => h.event.message)).toEqual(['fresh purchase']);
    expect((await search(store, 'purchase', old - HOUR)).total).toBe(1);
    expect(await store.get(oldTx[0]!.event.id)).toBeUndefined();
    expect((await store.latency({ ...window, kinds: ['performance'] }, 'route')).overall.count).toBe(0);
    expect(await store.cardinality({ range: { from: old - 2 * HOUR, to: old + 2 * HOUR } }, 'user_id')).toBe(0);
    expect((await store.autocomplete('user', 'old-', 10)).length).toBe(0);
    // Fresh data is untouched and new appends are indexed as before.
    expect((await search(store, 'fresh')).total).toBe(2);
    const later = txEvent({ message: 'after retention' });
    expect(await store.appendBatch([later])).toEqual(['created']);
    await store.refresh();
    expect((await search(store, 'retention')).hits.map((h) => h.id)).toEqual([later.event.id]);
  });

  it('keeps the seq of a purged newest event: an event stored after it is still indexed, also after a rebuild', async () => {
    const { store, dir } = open();
    const fresh = txEvent({ message: 'kept one' });
    const old = txEvent({ message: 'newest but expired', ts: iso(hourAgo(40 * DAY)) });
    await store.appendBatch([fresh]);
    await store.appendBatch([old]); // the newest row of the events table
    await store.refresh();
    expect(await store.expire!({ transaction: hourAgo(30 * DAY) })).toBe(1);
    const next = txEvent({ message: 'stored after the purge' });
    await store.appendBatch([next]);
    await store.refresh();
    expect((await search(store, 'purge')).hits.map((h) => h.id)).toEqual([next.event.id]);
    await store.close();
    stores.splice(0);
    // A lost index is rebuilt from the events (the tombstone, if still there, indexes as nothing).
    rmSync(join(dir, 'events.index.db'));
    rmSync(join(dir, 'events.timeline.db'));
    const { store: reopened } = open(dir);
    await reopened.refresh();
    expect(await reopened.count({})).toBe(2);
    expect((await search(reopened, 'newest')).total).toBe(0);
    expect((await search(reopened, 'purge')).total).toBe(1);
  });

  it('expires while appends, indexing and queries go on: every append is stored, nothing fresh is lost', async () => {
    const { store } = open();
    const old = hourAgo(40 * DAY);
    for (let b = 0; b < 5; b++) {
      await store.appendBatch(
        Array.from({ length: 2000 }, (_, i) => txEvent({ message: `stale ${b}-${i}`, ts: iso(old + b * 2000 + i) })),
      );
    }
    await store.refresh();
    const expiring = store.expire!({ transaction: hourAgo(30 * DAY) });
    const fresh: ShoplogEvent[] = [];
    let done = false;
    void expiring.finally(() => (done = true));
    // Appends and searches meanwhile (at least a few rounds, more while the purge runs).
    for (let round = 0; round < 5 || (!done && round < 200); round++) {
      const batch = Array.from({ length: 200 }, (_, i) => txEvent({ message: `live ${round}-${i}` }));
      fresh.push(...batch);
      expect(new Set(await store.appendBatch(batch))).toEqual(new Set(['created']));
      expect((await search(store, 'live')).total).toBeGreaterThanOrEqual(0);
    }
    expect(await expiring).toBe(10_000);
    await store.refresh();
    expect(await store.count({})).toBe(fresh.length);
    expect((await search(store, 'live')).total).toBe(fresh.length);
    expect((await search(store, 'stale')).total).toBe(0);
    for (const event of fresh.filter((_, i) => i % 97 === 0)) expect(await store.get(event.event.id)).toBeDefined();
  }, 120_000);

  it('stops a long pass when the store closes, and the next pass finishes it', async () => {
    const { store, dir } = open();
    const old = hourAgo(40 * DAY);
    for (let b = 0; b < 5; b++) {
      await store.appendBatch(
        Array.from({ length: 2000 }, (_, i) => txEvent({ message: `backlog ${b}-${i}`, ts: iso(old + b * 2000 + i) })),
      );
    }
    await store.refresh();
    const pass = store.expire!({ transaction: hourAgo(30 * DAY) });
    const outcome = pass.then(
      (count) => ({ count }),
      (error: Error) => ({ error: error.message }),
    );
    await store.close();
    stores.splice(0);
    const result = await outcome;
    // Cut short between two steps (or, on a fast machine, already done).
    if ('error' in result) expect(result.error).toMatch(/closing/);
    else expect(result.count).toBe(10_000);
    const { store: reopened } = open(dir);
    await reopened.refresh();
    await reopened.expire!({ transaction: hourAgo(30 * DAY) });
    expect(await reopened.count({})).toBe(0);
    expect((await search(reopened, 'backlog')).total).toBe(0);
  }, 120_000);

  it('gives the pages of deleted events back to the file system (incremental auto-vacuum on new files)', async () => {
    const { store, dir } = open();
    const old = hourAgo(40 * DAY);
    const pad = 'x'.repeat(2000);
    for (let b = 0; b < 4; b++) {
      await store.appendBatch(
        Array.from({ length: 1000 }, (_, i) => txEvent({ message: `old ${pad} ${b}-${i}`, ts: iso(old + i) })),
      );
    }
    await store.appendBatch([txEvent({ message: 'fresh' })]);
    const db = new DatabaseSync(join(dir, 'events.db'), { readOnly: true });
    expect((db.prepare('PRAGMA auto_vacuum').get() as { auto_vacuum: number }).auto_vacuum).toBe(2);
    const pages = () => Number((db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count);
    // Measured before the bodies are packed into compressed blocks (once indexed), which shrinks the file too.
    const before = pages();
    await store.refresh();
    expect(await store.expire!({ transaction: hourAgo(30 * DAY) })).toBe(4000);
    const after = pages();
    db.close();
    // ≈ 8 MB of documents gone: the file shrank by most of it (its WAL is checkpointed at close).
    expect(after).toBeLessThan(before / 4);
    await store.close();
    stores.splice(0);
    expect(statSync(join(dir, 'events.db')).size).toBeLessThan(2 * 1024 * 1024);
  });
});

describe('sqlite log store: erasure', () => {
  const tagged = (user: string, email: string | undefined, message: string, ts?: string): ShoplogEvent => {
    const event = txEvent({ user, message, ...(ts ? { ts } : {}) });
    if (email) event.user = { id: user, email };
    return event;
  };

  it('erases every event of a user id: events, facts, text, user sets and their share of the rollups', async () => {
    const { store } = open();
    const hour = hourAgo(5 * HOUR);
    const victim = Array.from({ length: 5 }, (_, i) =>
      tagged('alice-42', undefined, `alice bought shoes ${i}`, iso(hour + i)),
    );
    const others = Array.from({ length: 3 }, (_, i) =>
      tagged('bob-7', undefined, `bob bought shoes ${i}`, iso(hour + i)),
    );
    // Alice shops from France, Bob from Germany: the hourly country counts lose Alice's share.
    for (const [events, country] of [
      [victim, 'FR'],
      [others, 'DE'],
    ] as const)
      for (const e of events) e.client = { ...e.client, geo: { country_iso_code: country } };
    await store.appendBatch([...victim, ...others]);
    const range = { range: { from: hour, to: hour + HOUR } };
    await store.refresh();
    expect(await store.terms(range, 'country', { size: 10 })).toEqual([
      { value: 'FR', count: 5 },
      { value: 'DE', count: 3 },
    ]);
    const result = await store.erase!({ userId: 'alice-42' });
    expect(result.events).toBe(5);
    expect(result.userIds).toEqual(['alice-42']);
    expect(await store.count(range)).toBe(3); // from the rollups: decremented
    expect(await store.count({ ...range, userIds: ['alice-42'] })).toBe(0);
    expect(await store.cardinality(range, 'user_id')).toBe(1);
    expect((await search(store, 'alice')).total).toBe(0);
    expect((await search(store, 'alice', hour - HOUR)).total).toBe(0);
    expect((await search(store, 'shoes', hour - HOUR)).total).toBe(3);
    expect(await store.get(victim[0]!.event.id)).toBeUndefined();
    expect(await store.autocomplete('user', 'alice', 10)).toEqual([]);
    expect(await store.autocomplete('message', 'alice', 10)).toEqual([]);
    expect((await store.stats(range, 'amount')).count).toBe(3);
    expect(await store.terms(range, 'country', { size: 10 })).toEqual([{ value: 'DE', count: 3 }]);
  });

  it('erases by e-mail wherever it appears, and the events of the user ids seen with it', async () => {
    const { store } = open();
    const withMail = tagged('carol-1', 'Carol@Example.com', 'checkout by carol');
    const sameUser = tagged('carol-1', undefined, 'carol viewed a product');
    const inMessage = txEvent({ user: 'guest', message: 'receipt sent to carol@example.com' });
    const lookalike = txEvent({ user: 'guest2', message: 'receipt sent to xcarol@example.com.au' });
    await store.appendBatch([withMail, sameUser, inMessage, lookalike]);
    const result = await store.erase!({ email: 'carol@example.com' });
    expect(result.events).toBe(3);
    expect(result.userIds.sort()).toEqual(['carol-1', 'guest']);
    expect(await store.count({})).toBe(1);
    expect((await search(store, 'carol')).total).toBe(0);
    expect(await store.get(lookalike.event.id)).toBeDefined();
  });

  it('finishes an interrupted purge at the next job (the queue in the events file survives a crash)', async () => {
    const { store, dir } = open();
    const victim = txEvent({ message: 'half purged' });
    await store.appendBatch([victim, txEvent({ message: 'other' })]);
    await store.refresh();
    await store.close();
    stores.splice(0);
    // A purge that queued its event and stopped before any deletion (as a crash would leave it).
    const db = new DatabaseSync(join(dir, 'events.db'));
    db.exec('CREATE TABLE IF NOT EXISTS purge_queue (seq INTEGER PRIMARY KEY, erase INTEGER NOT NULL)');
    db.prepare('INSERT INTO purge_queue (seq, erase) SELECT seq, 1 FROM event_ids WHERE id = ?').run(
      eventIdKey(victim.event.id),
    );
    db.close();
    const { store: reopened } = open(dir);
    await reopened.refresh();
    expect(await reopened.expire!({})).toBe(1);
    expect(await reopened.get(victim.event.id)).toBeUndefined();
    expect((await search(reopened, 'purged')).total).toBe(0);
    expect((await search(reopened, 'other')).total).toBe(1);
  });

  it('works on the in-memory store too', async () => {
    const store = createSqliteLogStore({ path: ':memory:' });
    stores.push(store);
    await store.appendBatch([tagged('dave', undefined, 'dave was here'), txEvent({ message: 'someone else' })]);
    await store.refresh();
    expect((await store.erase!({ userId: 'dave' })).events).toBe(1);
    expect((await search(store, 'dave')).total).toBe(0);
    expect(await store.count({})).toBe(1);
  });
});
