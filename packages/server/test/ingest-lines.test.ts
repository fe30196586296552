import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { normalize, type ShoplogEvent, type ValidationIssue } from '@shoplog/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createIngestor,
  createMemoryCache,
  createSqliteLogStore,
  generateTraffic,
  type LogStore,
} from '../src/index.js';
import { withContentId } from '../src/ingest/content-id.js';
import { eventIdKey } from '../src/store/sqlite-event-ids.js';
import { sameJson } from './same-json.js';

let dir = '';
let store: LogStore;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoplog-lines-'));
  store = createSqliteLogStore({ path: join(dir, 'events.db') });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bulk lines', () => {
  it('store each event as normalize() makes it, the unchanged lines as sent, with the same decisions and errors', async () => {
    const envelopes = [...generateTraffic({ count: 300, seed: 5 })];
    const lines = envelopes.map((e) => JSON.stringify(e));
    // Inputs normalisation changes: an envelope without a level, a seed shape, an upper-case level.
    const noLevel = {
      ...envelopes[0],
      event: { ...envelopes[0]?.event, id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' },
      log: undefined,
    };
    const seed = {
      log_type: 'transaction',
      timestamp: '2026-05-01T10:00:00Z',
      amount: 12.5,
      currency: 'EUR',
      user_id: 'u-lines',
      transaction_id: 't-lines',
    };
    // Envelopes validation keeps (an unknown ECS key, keys in another order) or changes (an own `__proto__` key, which
    // zod drops; a timestamp in another format), and one it rejects (an unknown `shop.*` key).
    const other = (n: number) => JSON.parse(lines[n] ?? '{}') as Record<string, Record<string, unknown>>;
    const withId = (n: number, id: string): Record<string, Record<string, unknown>> => {
      const e = other(n);
      return { ...e, event: { ...e.event, id } };
    };
    const extraKey = { ...withId(2, '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60'), custom: { team: ['a', 1, null] } };
    const reversed = Object.fromEntries(Object.entries(withId(3, '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a61')).reverse());
    const proto = JSON.stringify(withId(4, '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a62')).replace(
      '"event":{',
      '"event":{"__proto__":{"x":1},',
    );
    const oddTime = { ...withId(5, '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a63'), '@timestamp': '2026-05-01 10:00:00' };
    const unknownShop = withId(6, '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a64');
    unknownShop.shop = { ...unknownShop.shop, nope: 1 };
    lines.push(
      JSON.stringify(extraKey),
      JSON.stringify(reversed),
      proto,
      JSON.stringify(oddTime),
      JSON.stringify(unknownShop),
    );
    lines.push(
      JSON.stringify(noLevel),
      JSON.stringify(seed),
      '{not json',
      '',
      '   ',
      JSON.stringify({ event: { dataset: 'shoplog.nope' } }),
      `  ${lines[1]}  `,
    );
    const ingestor = createIngestor({ logs: store, cache: createMemoryCache() });
    const items = await ingestor.ingestLines(lines);

    // The old path, event by event: parse, content id, normalize; the expected decision and stored event of each.
    interface Expected {
      line: number;
      result: 'created' | 'error';
      event?: ShoplogEvent;
      issues?: ValidationIssue[];
      /** The document the old path stored: the line as sent when sameJson said so, else the event serialised. */
      doc?: string;
    }
    const expected = lines.flatMap((raw, i): Expected[] => {
      const text = raw.trim();
      if (text === '') return [];
      let input: unknown;
      try {
        input = JSON.parse(text);
      } catch {
        return [{ line: i + 1, result: 'error' }];
      }
      const normalized = withContentId(input);
      const checked = normalize(normalized);
      if (!checked.ok) return [{ line: i + 1, result: 'error', issues: checked.issues }];
      const asSent = normalized === input && sameJson(input, checked.event);
      return [
        { line: i + 1, result: 'created', event: checked.event, doc: asSent ? text : JSON.stringify(checked.event) },
      ];
    });
    expect(items.map((item) => item.line)).toEqual(expected.map((e) => e.line));
    const db = new DatabaseSync(join(dir, 'events.db'));
    const docOf = db.prepare('SELECT e.doc FROM event_ids i JOIN events e ON e.seq = i.seq WHERE i.id = ?');
    let asSent = 0;
    for (const [i, item] of items.entries()) {
      const want = expected[i];
      if (!want) throw new Error('missing expectation');
      if (want.result === 'error') {
        expect(item.result, `line ${item.line}`).toBe('error');
        if (want.issues) expect(item.issues).toEqual(want.issues);
        continue;
      }
      // The last line repeats line 2: a duplicate.
      expect(item.result, `line ${item.line}`).toBe(item.line === lines.length ? 'duplicate' : 'created');
      if (item.result === 'duplicate') continue;
      expect(item.id).toBe(want.event?.event.id);
      const stored = await store.get(item.id ?? '');
      // The same stored fields as the old path's normalised event (the level-less envelope gets `info`).
      expect(stored, `line ${item.line}`).toEqual(want.event);
      // The same bytes as the old path stored (the line as sent exactly when its sameJson said so).
      const doc = (docOf.get(eventIdKey(item.id ?? '')) as { doc: string }).doc;
      expect(doc, `line ${item.line}`).toBe(want.doc);
      if (doc === lines[item.line - 1]?.trim()) asSent++;
    }
    db.close();
    // Every generated envelope was stored as sent (no re-serialisation), and the two kept ones; the changed were not.
    expect(asSent).toBe(302);
    await store.refresh();
    expect(
      (
        await store.search({
          filter: { text: 'u-lines' },
          sort: { field: '@timestamp', order: 'desc' },
          page: 1,
          size: 5,
        })
      ).total,
    ).toBe(1);
  });

  it('sameJson compares parsed JSON values whatever the key order, and sees every change', () => {
    expect(sameJson({ a: 1, b: { c: [1, 'x', null] } }, { b: { c: [1, 'x', null] }, a: 1 })).toBe(true);
    expect(sameJson({ a: 1, u: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJson({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(sameJson({ a: '1' }, { a: 1 })).toBe(false);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson({ a: [1] }, { a: { 0: 1 } })).toBe(false);
    expect(sameJson({ a: { b: 'INFO' } }, { a: { b: 'info' } })).toBe(false);
    expect(sameJson(null, {})).toBe(false);
  });

  it('drop cached query results again once the new events are searchable (a query answered while indexing lagged)', async () => {
    const cache = createMemoryCache();
    const ingestor = createIngestor({ logs: store, cache });
    await store.refresh();
    // Hold the index files' write locks, as long indexer batches do, so the new event is acknowledged but not indexed.
    const holders = ['events.index.db', 'events.timeline.db'].map((file) => new DatabaseSync(join(dir, file)));
    for (const holder of holders) holder.exec('PRAGMA busy_timeout=5000; BEGIN IMMEDIATE');
    const [event] = [...generateTraffic({ count: 1, seed: 77 })];
    expect((await ingestor.ingest([event]))[0]?.result).toBe('created');
    // A search answered now (without the event) and cached, as the HTTP layer does.
    await cache.set('q:search:lagging', { total: 0 }, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await cache.get('q:search:lagging')).toEqual({ total: 0 });
    for (const holder of holders) {
      holder.exec('COMMIT');
      holder.close();
    }
    await store.whenSearchable();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.get('q:search:lagging')).toBeUndefined();
    expect((await store.get(event?.event.id ?? ''))?.event.id).toBe(event?.event.id);
  });
});
