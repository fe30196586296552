import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createBodyReader, type StoredDoc } from '../src/store/sqlite-bodies.js';
import type { ShoplogEvent } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { createSqliteLogStore, generateTraffic } from '../src/index.js';
import { extractFacts, FACT_COLUMNS, valueOf } from '../src/store/sqlite-facts.js';
import { txEvent } from './helpers.js';

type Row = Record<string, unknown>;

// The index worker writes each batch in time order with its text last; what it stores must be what indexing the
// events one by one, in append order, stores: the same facts and fraud reasons, and FTS5 postings (term, document,
// position) and BM25 scores equal to a reference table filled with one insert per event.
describe('sqlite index worker', () => {
  it('stores the same facts, reasons and full text as indexing each event in append order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-indexer-'));
    const path = join(dir, 'events.db');
    // Events out of time order (7 days at random), several in one millisecond, over batches of an odd size.
    const ts = '2026-05-01T10:00:00.000Z';
    const events: ShoplogEvent[] = [
      ...generateTraffic({ count: 500, days: 7, seed: 5 }),
      txEvent({ message: 'same millisecond café payment', ts }),
      txEvent({ message: 'same millisecond payment', ts }),
      txEvent({ message: 'same millisecond', ts }),
      ...generateTraffic({ count: 200, days: 7, seed: 6 }),
    ];
    const store = createSqliteLogStore({ path, indexBatchSize: 97 });
    await store.appendBatch(events.slice(0, 300));
    await store.appendBatch(events.slice(300));
    await store.refresh();
    await store.close();

    const db = new DatabaseSync(join(dir, 'events.index.db'));
    db.prepare('ATTACH DATABASE ? AS ev').run(path);
    db.prepare('ATTACH DATABASE ? AS timeline').run(join(dir, 'events.timeline.db'));
    // Bodies packed into blocks once indexed are read back through the store's body reader.
    const eventsDb = new DatabaseSync(path);
    const stored = createBodyReader(eventsDb).resolve(
      eventsDb.prepare('SELECT seq, doc FROM events ORDER BY seq').all() as { seq: number; doc: StoredDoc }[],
    );
    eventsDb.close();
    expect(stored).toHaveLength(events.length);

    const ref = new DatabaseSync(':memory:');
    ref.exec("CREATE VIRTUAL TABLE ref USING fts5(body, content='', tokenize='unicode61 remove_diacritics 2')");
    const refInsert = ref.prepare('INSERT INTO ref (rowid, body) VALUES (?, ?)');
    const facts: Row[] = [];
    const reasons: [number, string][] = [];
    for (const { seq, doc } of stored) {
      const event = JSON.parse(doc) as ShoplogEvent;
      const extracted = extractFacts(event);
      const row: Row = { seq, ts: Date.parse(event['@timestamp']) };
      FACT_COLUMNS.forEach((column, i) => (row[column] = extracted.values[i] ?? null));
      facts.push(row);
      for (const code of extracted.reasons) reasons.push([seq, code]);
      if (extracted.text) refInsert.run(seq, extracted.text);
    }
    // Keyword values are stored as dictionary codes: read back decoded.
    const decoded = FACT_COLUMNS.map((column) => `${valueOf(column, `f.${column}`)} AS ${column}`).join(', ');
    expect(
      db
        .prepare(`SELECT f.seq, f.ts, ${decoded} FROM facts f ORDER BY f.seq`)
        .all()
        .map((row) => ({ ...row })),
    ).toEqual(facts);
    expect(reasons.length).toBeGreaterThan(0);
    expect(
      db
        .prepare('SELECT seq, code FROM fraud_reasons ORDER BY seq, code')
        .all()
        .map((r) => [r.seq, r.code]),
    ).toEqual(reasons.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1])));

    // Every posting (term, document, column, offset) of the text table equals the reference's; its documents are time
    // keys, mapped back to events by time_keys, each key in its event's millisecond. The text is indexed once.
    ref.exec('CREATE VIRTUAL TABLE temp.ref_v USING fts5vocab(main, ref, instance)');
    db.exec('CREATE VIRTUAL TABLE temp.time_v USING fts5vocab(timeline, fts_time, instance)');
    const postings = ref
      .prepare('SELECT term, doc, col, offset FROM ref_v ORDER BY term, doc, offset')
      .all()
      .map((r) => ({ ...r }));
    expect(postings.length).toBeGreaterThan(1000);
    expect(db.prepare("SELECT name FROM main.sqlite_master WHERE name LIKE 'fts%'").all()).toEqual([]);
    expect(
      db
        .prepare(
          'SELECT v.term, k.seq AS doc, v.col, v.offset FROM time_v v JOIN time_keys k ON k.key = v.doc ORDER BY v.term, k.seq, v.offset',
        )
        .all()
        .map((r) => ({ ...r })),
    ).toEqual(postings);
    const keys = db.prepare('SELECT k.key >> 20 AS ms, f.ts FROM time_keys k JOIN facts f ON f.seq = k.seq').all() as {
      ms: number;
      ts: number;
    }[];
    expect(keys).toHaveLength(ref.prepare('SELECT COUNT(*) AS n FROM ref').get()?.n as number);
    for (const { ms, ts: at } of keys) expect(ms).toBe(at);
    expect(db.prepare("SELECT 1 FROM timeline_state WHERE key = 'untimed'").get()).toBeUndefined();

    // Same documents and lengths, so the same BM25 scores.
    for (const query of ['payment', 'millisecond', 'cafe']) {
      const expected = ref
        .prepare('SELECT rowid AS seq, bm25(ref) AS score FROM ref WHERE ref MATCH ? ORDER BY rowid')
        .all(query);
      expect(expected.length).toBeGreaterThan(0);
      expect(
        db
          .prepare(
            'SELECT k.seq, bm25(fts_time) AS score FROM fts_time JOIN time_keys k ON k.key = fts_time.rowid WHERE fts_time MATCH ? ORDER BY k.seq',
          )
          .all(query),
      ).toEqual(expected);
    }
    ref.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('indexes the facts and the timeline on two workers, each from its own mark', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-index-parts-'));
    const path = join(dir, 'events.db');
    const store = createSqliteLogStore({ path });
    const events = [...generateTraffic({ count: 3000, seed: 31 })];
    await store.appendBatch(events.slice(0, 1000));
    await store.refresh();
    // The facts file stays locked (as during a long facts batch): the timeline worker still indexes the next events.
    const holder = new DatabaseSync(join(dir, 'events.index.db'));
    holder.exec('PRAGMA busy_timeout=5000; BEGIN IMMEDIATE');
    await store.appendBatch(events.slice(1000));
    const timeline = new DatabaseSync(join(dir, 'events.timeline.db'), { readOnly: true });
    const timelineMark = () =>
      Number(
        (timeline.prepare("SELECT value FROM timeline_state WHERE key = 'indexed'").get() as { value: number }).value,
      );
    await expect.poll(timelineMark, { timeout: 20_000, interval: 20 }).toBe(3000);
    expect(
      Number((holder.prepare("SELECT value FROM state WHERE key = 'indexed'").get() as { value: number }).value),
    ).toBe(1000);
    timeline.close();
    holder.exec('COMMIT');
    holder.close();
    await store.refresh();
    expect(await store.count()).toBe(3000);
    const word = 'checkout';
    // FTS5's unicode61 tokenizer splits words at underscores too (`checkout_started`).
    const want = events.filter((e) =>
      extractFacts(e)
        .text.toLowerCase()
        .split(/[^\p{L}\p{N}]+/u)
        .includes(word),
    ).length;
    expect(want).toBeGreaterThan(0);
    // Counted from the facts part (text by seq) and from the timeline part (text by time, rollups).
    const all = { from: 0 };
    expect(await store.count({ text: word })).toBe(want);
    expect(await store.count({ text: word, range: all })).toBe(want);
    expect(await store.count({ range: all })).toBe(3000);
    await store.close();
    // A lost timeline file is rebuilt from the events; the facts keep their file and mark.
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, `events.timeline.db${suffix}`), { force: true });
    const reopened = createSqliteLogStore({ path });
    await reopened.refresh();
    expect(await reopened.count({ text: word, range: all })).toBe(want);
    expect(await reopened.count({ range: all })).toBe(3000);
    expect(await reopened.count({ text: word })).toBe(want);
    await reopened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checkpoints the index file while the store is open, and leaves no index WAL after close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-index-checkpoint-'));
    const path = join(dir, 'events.db');
    const indexPath = join(dir, 'events.index.db');
    const store = createSqliteLogStore({ path });
    const events = [...generateTraffic({ count: 24_000, seed: 29 })];
    for (let i = 0; i < events.length; i += 4000) await store.appendBatch(events.slice(i, i + 4000));
    await store.refresh();
    // The indexer writes the WAL; only a checkpoint writes pages into the index file itself.
    await expect.poll(() => statSync(indexPath).size, { timeout: 20_000, interval: 50 }).toBeGreaterThan(2_000_000);
    await store.close();
    expect(existsSync(`${indexPath}-wal`)).toBe(false);
    expect(existsSync(join(dir, 'events.timeline.db-wal'))).toBe(false);
    const reopened = createSqliteLogStore({ path });
    await reopened.refresh();
    expect(await reopened.count()).toBe(events.length);
    await reopened.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
