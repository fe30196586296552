import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShoplogEvent } from '@shoplog/core';
import { createSqliteLogStore, generateTraffic, type LogFilter, type LogStore } from '../src/index.js';
import { eventIdKey } from '../src/store/sqlite-event-ids.js';
import { extractFacts, FACT_COLUMNS } from '../src/store/sqlite-facts.js';

// The aggregations read hourly rollups for whole hours and `facts` for the partial hours at the range's edges:
// every answer must equal what the events themselves say, for ranges that do not start or end on an hour.
const HOUR = 3_600_000;
const now = Date.parse('2026-05-02T12:34:56.789Z');
// Most events with a client country (as GeoIP sets it), some without.
const COUNTRIES = ['FR', 'DE', 'GB', 'US', 'ES'];
const events = [...generateTraffic({ count: 4000, days: 0.5, seed: 7, now })].map((e, i) =>
  i % 7 === 0
    ? e
    : ({ ...e, client: { ...e.client, geo: { country_iso_code: COUNTRIES[i % COUNTRIES.length] } } } as ShoplogEvent),
);
const col = (name: (typeof FACT_COLUMNS)[number]): number => FACT_COLUMNS.indexOf(name);
const rows = events.map((e: ShoplogEvent) => ({ ts: Date.parse(e['@timestamp']), values: extractFacts(e).values }));
const ranges: { name: string; range: { from?: number; to?: number } }[] = [
  { name: 'unaligned, several hours', range: { from: now - 5.5 * HOUR + 123, to: now - 0.5 * HOUR + 7 } },
  { name: 'open-ended', range: { from: now - 7.25 * HOUR } },
  { name: 'inside one hour', range: { from: now - 2.4 * HOUR, to: now - 2.1 * HOUR } },
  { name: 'unbounded', range: {} },
];
const inRange = (ts: number, r: { from?: number; to?: number }): boolean =>
  (r.from === undefined || ts >= r.from) && (r.to === undefined || ts < r.to);
const tally = (values: (string | number | null | undefined)[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const v of values) if (v !== null && v !== undefined) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
};

let dir = '';
let store: LogStore;

async function expectExact(s: LogStore): Promise<void> {
  for (const { name, range } of ranges) {
    const sel = rows.filter((r) => inRange(r.ts, range));
    const filter: LogFilter = { range };
    expect(await s.count(filter), name).toBe(sel.length);
    const errors = sel.filter((r) => ['error', 'fatal'].includes(String(r.values[col('level')])));
    expect(await s.count({ range, levels: ['error', 'fatal'] }), name).toBe(errors.length);
    for (const [field, column] of [
      ['level', 'level'],
      ['kind', 'kind'],
      ['service', 'service'],
      ['route', 'route'],
      ['country', 'country'],
    ] as const) {
      const buckets = await s.terms(filter, field, { size: 1000 });
      expect(Object.fromEntries(buckets.map((b) => [b.value, b.count])), `${name} ${field}`).toEqual(
        tally(sel.map((r) => r.values[col(column)])),
      );
    }
    const hist = await s.histogram(filter, { intervalMs: HOUR, errors: true });
    const expected = new Map<number, { count: number; errors: number }>();
    for (const r of sel) {
      const b = expected.get(Math.floor(r.ts / HOUR) * HOUR) ?? { count: 0, errors: 0 };
      b.count++;
      if (errors.includes(r)) b.errors++;
      expected.set(Math.floor(r.ts / HOUR) * HOUR, b);
    }
    expect(hist, name).toEqual([...expected.entries()].sort((a, b) => a[0] - b[0]).map(([ts, b]) => ({ ts, ...b })));
    const http = sel.filter((r) => r.values[col('kind')] === 'performance' && r.values[col('perf_kind')] === 'http');
    const ms = http.map((r) => r.values[col('response_ms')]).filter((v): v is number => typeof v === 'number');
    const stats = await s.stats({ range, kinds: ['performance'], performanceKinds: ['http'] }, 'response_time_ms');
    expect(stats.count, name).toBe(ms.length);
    expect(stats.sum, name).toBeCloseTo(
      ms.reduce((a, b) => a + b, 0),
      6,
    );
    expect(stats.min, name).toBe(ms.length ? Math.min(...ms) : null);
    expect(stats.max, name).toBe(ms.length ? Math.max(...ms) : null);
    expect(await s.cardinality(filter, 'user_id'), name).toBe(
      new Set(sel.map((r) => r.values[col('user_id')]).filter((v) => v !== null)).size,
    );
    const tx = sel.filter((r) => r.values[col('kind')] === 'transaction');
    const currencies = await s.terms({ range, kinds: ['transaction'] }, 'currency', { size: 20, sum: 'amount' });
    for (const c of currencies) {
      const mine = tx.filter((r) => r.values[col('currency')] === c.value);
      expect(c.count, `${name} ${c.value}`).toBe(mine.length);
      expect(c.sum, `${name} ${c.value}`).toBeCloseTo(
        mine.reduce((a, r) => a + Number(r.values[col('amount')]), 0),
        6,
      );
    }
    expect(
      currencies.reduce((a, c) => a + c.count, 0),
      name,
    ).toBe(tx.filter((r) => r.values[col('currency')] !== null).length);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoplog-rollups-'));
  store = createSqliteLogStore({ path: join(dir, 'events.db'), indexBatchSize: 700 });
  // Several appends, so rollup cells of one hour are merged across indexer transactions.
  for (let i = 0; i < events.length; i += 1500) await store.appendBatch(events.slice(i, i + 1500));
  await store.refresh();
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hourly rollups', () => {
  it('answer counts, terms, histograms, stats and distinct users exactly, whatever the range', async () => {
    expect(events.length).toBe(4000);
    await expectExact(store);
  });

  it('count client countries per hour in a table of their own (top countries on the overview read no facts for whole hours)', () => {
    const db = new DatabaseSync(join(dir, 'events.timeline.db'), { readOnly: true });
    const cells = db.prepare('SELECT value, sum(n) AS n FROM rollup_country GROUP BY value').all() as {
      value: string;
      n: number;
    }[];
    const byKind = db.prepare('SELECT kind, sum(n) AS n FROM rollup_country GROUP BY kind').all() as {
      kind: string;
      n: number;
    }[];
    db.close();
    expect(Object.fromEntries(cells.map((c) => [c.value, c.n]))).toEqual(
      tally(rows.map((r) => r.values[col('country')])),
    );
    for (const country of COUNTRIES) expect(cells.find((c) => c.value === country)?.n, country).toBeGreaterThan(0);
    expect(Object.fromEntries(byKind.map((c) => [c.kind, c.n]))).toEqual(
      tally(rows.filter((r) => r.values[col('country')] !== null).map((r) => r.values[col('kind')])),
    );
  });

  it('free-text search within a range finds every match, newest first, whichever plan the match count picks', async () => {
    // `get` is in most request messages (the covering time index is scanned), `payment` in few (FTS-driven lookups);
    // the totals of text + range come from the time-keyed text index, the others from facts.
    for (const { range } of ranges)
      for (const word of ['get', 'payment']) {
        const matching = events
          .map((e) => ({ e, ts: Date.parse(e['@timestamp']) }))
          .filter(
            ({ e, ts }) =>
              inRange(ts, range) &&
              extractFacts(e)
                .text.toLowerCase()
                .split(/[^\p{L}\p{N}_]+/u)
                .includes(word),
          );
        if (range === ranges[0]?.range) expect(matching.length, word).toBeGreaterThan(10);
        expect(await store.count({ range, text: word }), word).toBe(matching.length);
        const page = await store.search({
          filter: { range, text: word },
          sort: { field: '@timestamp', order: 'desc' },
          page: 1,
          size: 10,
          highlight: false,
        });
        expect(page.total, word).toBe(matching.length);
        const newest = matching
          .map(({ ts }) => ts)
          .sort((a, b) => b - a)
          .slice(0, 10);
        expect(
          page.hits.map((h) => Date.parse(h.event['@timestamp'])),
          word,
        ).toEqual(newest);
      }
  });

  it('score a time-sorted page of free text as the full-text index does', async () => {
    const range = ranges[0]?.range ?? {};
    const page = await store.search({
      filter: { range, text: 'payment' },
      sort: { field: '@timestamp', order: 'desc' },
      page: 1,
      size: 10,
      highlight: false,
    });
    expect(page.hits.length).toBe(10);
    const db = new DatabaseSync(join(dir, 'events.db'), { readOnly: true });
    db.exec(`ATTACH DATABASE '${join(dir, 'events.timeline.db')}' AS timeline`);
    const seqOf = db.prepare('SELECT seq FROM event_ids WHERE id = ?');
    const seqs = page.hits.map((hit) => (seqOf.get(eventIdKey(hit.id)) as { seq: number }).seq);
    // The scores of the FTS5 table when every match of the text is read.
    const rows = db
      .prepare(
        `SELECT k.seq, -bm25(fts_time) AS score FROM fts_time JOIN time_keys k ON k.key = fts_time.rowid WHERE fts_time MATCH '"payment"' AND k.seq IN (${seqs.join(',')})`,
      )
      .all() as { seq: number; score: number }[];
    db.close();
    const want = new Map(rows.map((row) => [row.seq, row.score]));
    expect(page.hits.map((hit) => hit.score)).toEqual(seqs.map((seq) => want.get(seq)));
    expect(page.hits.every((hit) => hit.score > 0)).toBe(true);
  });

  it('are rebuilt from the events when their tables are lost', async () => {
    await store.close();
    const db = new DatabaseSync(join(dir, 'events.timeline.db'));
    db.exec('DROP TABLE rollup_hourly; DROP TABLE rollup_users;');
    db.close();
    store = createSqliteLogStore({ path: join(dir, 'events.db') });
    await store.refresh();
    await expectExact(store);
  });
});
