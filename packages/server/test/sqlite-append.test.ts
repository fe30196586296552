import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type SQLOutputValue } from 'node:sqlite';
import type { ShoplogEvent } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { createSqliteLogStore, generateTraffic, type AppendResult } from '../src/index.js';
import { createBodyReader, type StoredDoc } from '../src/store/sqlite-bodies.js';

interface Row {
  seq: number;
  id: SQLOutputValue;
  doc: string;
}

const rowsOf = (path: string): Row[] => {
  const db = new DatabaseSync(path);
  // Bodies as stored, plain or packed (each store packs its indexed events in the background, at its own pace).
  const stored = db
    .prepare('SELECT e.seq, i.id, e.doc FROM events e LEFT JOIN event_ids i ON i.seq = e.seq ORDER BY e.seq')
    .all() as unknown as (Omit<Row, 'doc'> & { doc: StoredDoc })[];
  const rows = createBodyReader(db)
    .resolve(stored)
    .map((row) => ({ seq: row.seq, id: row.id, doc: row.doc }));
  db.close();
  return rows;
};

// A copy of an event under the id of another (same id, other content): the one stored first must stay.
const sameIdAs = (event: ShoplogEvent, other: ShoplogEvent): ShoplogEvent =>
  ({ ...event, event: { ...event.event, id: other.event.id } }) as ShoplogEvent;

describe('sqlite appends', () => {
  it('decide created or duplicate and store the same rows in multi-row statements as one event at a time', async () => {
    const events = [...generateTraffic({ count: 700, seed: 21 })];
    const at = (i: number): ShoplogEvent => events[i] as ShoplogEvent;
    // Batches around the statement size (64 rows), with repeats inside a statement, across statements and batches,
    // ids stored by an earlier batch, a batch of duplicates only, and JSON texts given for some events.
    const batches: ShoplogEvent[][] = [
      events.slice(0, 1),
      events.slice(1, 64),
      events.slice(64, 128),
      [
        ...events.slice(128, 150),
        at(130),
        at(0),
        ...events.slice(150, 190),
        at(131),
        sameIdAs(at(600), at(150)),
        ...events.slice(190, 200),
      ],
      events.slice(100, 228),
      [...events.slice(228, 292), at(228)],
      events.slice(0, 64),
      [...events.slice(292, 420), ...events.slice(292, 356), ...events.slice(420, 600)],
      Array.from({ length: 130 }, (_, i) => at(600 + (i % 7))),
    ];
    const textsOf = (batch: ShoplogEvent[]): (string | undefined)[] =>
      batch.map((e, i) => (i % 3 === 0 ? JSON.stringify(e) : undefined));

    const dir = mkdtempSync(join(tmpdir(), 'shoplog-append-'));
    const batched = createSqliteLogStore({ path: join(dir, 'batched.db') });
    const single = createSqliteLogStore({ path: join(dir, 'single.db') });
    const got: AppendResult[] = [];
    const want: AppendResult[] = [];
    const stored = new Set<string>();
    for (const batch of batches) {
      const texts = textsOf(batch);
      got.push(...(await batched.appendBatch(batch, texts)));
      // The old path: one event per append, so one single-row statement each.
      for (const [i, event] of batch.entries()) want.push(...(await single.appendBatch([event], [texts[i]])));
      for (const event of batch) stored.add(event.event.id);
    }
    expect(got).toEqual(want);
    // Sanity of the reference: every first occurrence was created, the rest were duplicates.
    expect(want.filter((r) => r === 'created')).toHaveLength(stored.size);
    expect(want.filter((r) => r === 'duplicate').length).toBeGreaterThan(300);
    // Every created event is readable, with the content of its first occurrence.
    expect((await batched.get(at(150).event.id))?.message).toBe(at(150).message);
    await batched.close();
    await single.close();
    expect(rowsOf(join(dir, 'batched.db'))).toEqual(rowsOf(join(dir, 'single.db')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('tell subscribers about created events only, in order, and make them searchable', async () => {
    const events = [...generateTraffic({ count: 150, seed: 22 })];
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-append-'));
    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    await store.appendBatch(events.slice(0, 10));
    const told: string[] = [];
    store.subscribe((event) => told.push(event.event.id));
    const results = await store.appendBatch(events);
    expect(results.filter((r) => r === 'duplicate')).toHaveLength(10);
    expect(told).toEqual(events.slice(10).map((e) => e.event.id));
    await store.refresh();
    const page = await store.search({ filter: {}, sort: { field: '@timestamp', order: 'desc' }, page: 1, size: 1 });
    expect(page.total).toBe(150);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checkpoint the WAL into the database file while the store is open, and leave no WAL after close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-checkpoint-'));
    const path = join(dir, 'events.db');
    const store = createSqliteLogStore({ path });
    // ≈ 12 MB of documents: three times the checkpoint threshold.
    const events = [...generateTraffic({ count: 24_000, seed: 23 })];
    for (let i = 0; i < events.length; i += 2000) await store.appendBatch(events.slice(i, i + 2000));
    // Only a checkpoint writes pages into the database file itself; the appends write the WAL.
    await expect.poll(() => statSync(path).size, { timeout: 20_000, interval: 50 }).toBeGreaterThan(8_000_000);
    await store.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(rowsOf(path)).toHaveLength(events.length);
    rmSync(dir, { recursive: true, force: true });
  });
});
