import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ShoplogEvent } from '@shoplog/core';
import type { LogStore } from '../../src/index.js';
import { errorEvent, perfEvent, txEvent } from '../helpers.js';

/**
 * The LogStore contract: every adapter (embedded sqlite, Elasticsearch, ...) must pass it. `factory` returns a
 * fresh, empty store; `cleanup` (optional) removes what it created.
 */
export function runLogStoreContract(
  name: string,
  factory: () => Promise<LogStore> | LogStore,
  cleanup?: () => Promise<void> | void,
): void {
  describe(`LogStore contract: ${name}`, () => {
    let store: LogStore;
    const base = Date.parse('2026-05-01T00:00:00.000Z');
    const at = (minutes: number): string => new Date(base + minutes * 60_000).toISOString();
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    it('appends idempotently on event.id, in input order', async () => {
      const a = txEvent({ ts: at(1) });
      const b = txEvent({ ts: at(2) });
      expect(await store.appendBatch([a, b, a])).toEqual(['created', 'created', 'duplicate']);
      expect(await store.appendBatch([b])).toEqual(['duplicate']);
      await store.refresh();
      expect(await store.count()).toBe(2);
      expect(await store.get(a.event.id)).toEqual(JSON.parse(JSON.stringify(a)));
      expect(await store.get('missing')).toBeUndefined();
    });

    it('searches with filters, text, exact totals, sort and cursor paging', async () => {
      const events: ShoplogEvent[] = [];
      for (let i = 0; i < 25; i++)
        events.push(
          txEvent({
            ts: at(i),
            amount: `${i}.00`,
            user: i < 5 ? 'vip' : 'u',
            message: i % 5 === 0 ? 'refund issued' : 'paid',
            method: i % 4 === 0 ? 'paypal' : 'card',
          }),
        );
      events.push(errorEvent('500', 'DbError', 'database down', at(30)));
      await store.appendBatch(events);
      await store.refresh();
      // Payment methods as stored (i = 0, 4, …, 24 → 7 paypal); the error event has none.
      expect(await store.count({ paymentMethods: ['paypal'] })).toBe(7);
      expect(
        (
          await store.search({
            filter: { paymentMethods: ['card', 'paypal'] },
            sort: { field: '@timestamp', order: 'desc' },
            page: 1,
            size: 1,
          })
        ).total,
      ).toBe(25);
      expect(await store.count({ paymentMethods: ['PayPal'] })).toBe(0);
      const page = await store.search({
        filter: { text: 'refund' },
        sort: { field: '@timestamp', order: 'desc' },
        page: 1,
        size: 2,
      });
      expect(page.total).toBe(5);
      expect(page.hits[0]?.highlight?.message).toBe('<mark>refund</mark> issued');
      expect(page.hits[0]?.score).toBeGreaterThan(0);
      expect(
        (
          await store.search({
            filter: { userIds: ['vip'], minAmount: 2 },
            sort: { field: 'amount', order: 'asc' },
            page: 1,
            size: 10,
          })
        ).hits.map((h) => h.id),
      ).toEqual(events.slice(2, 5).map((e) => e.event.id));
      const ids: string[] = [];
      let cursor: string | null | undefined;
      do {
        const next = await store.search({
          filter: {},
          sort: { field: 'amount', order: 'desc' },
          page: 1,
          size: 4,
          ...(cursor ? { cursor } : {}),
        });
        ids.push(...next.hits.map((h) => h.id));
        cursor = next.nextCursor;
      } while (cursor);
      expect(new Set(ids).size).toBe(26);
      expect(await store.count({ range: { from: Date.parse(at(10)), to: Date.parse(at(20)) } })).toBe(10);
      expect(await store.count({ levels: ['error'] })).toBe(1);
    });

    it('aggregates: terms (with sum and distinct), cardinality, histogram, stats, latency', async () => {
      await store.appendBatch([
        txEvent({ ts: at(0), amount: '1.50', method: 'paypal', user: 'x' }),
        txEvent({ ts: at(1), amount: '2.50', method: 'paypal', user: 'y' }),
        txEvent({ ts: at(61), amount: '4.00', method: 'card', user: 'x' }),
        perfEvent('/a', 10, at(2)),
        perfEvent('/a', 30, at(3)),
        perfEvent('/b', 20, at(4)),
      ]);
      await store.refresh();
      expect(await store.terms({}, 'payment_method', { sum: 'amount' })).toEqual([
        { value: 'paypal', count: 2, sum: 4 },
        { value: 'card', count: 1, sum: 4 },
      ]);
      expect(await store.cardinality({ kinds: ['transaction'] }, 'user_id')).toBe(2);
      expect(await store.histogram({ kinds: ['transaction'] }, { intervalMs: 3_600_000, sum: 'amount' })).toEqual([
        { ts: base, count: 2, sum: 4 },
        { ts: base + 3_600_000, count: 1, sum: 4 },
      ]);
      expect(await store.stats({}, 'response_time_ms')).toEqual({ count: 3, sum: 60, min: 10, max: 30, avg: 20 });
      const latency = await store.latency({}, 'route');
      expect(latency.overall).toMatchObject({ count: 3, max: 30 });
      // Exact, or within the stated relative error when the store answers from sketches.
      expect(Math.abs((latency.overall.p50 ?? NaN) - 20)).toBeLessThanOrEqual(
        20 * Math.max(latency.relativeError, 1e-9),
      );
      expect(latency.groups.map((g) => [g.key, g.count])).toEqual([
        ['/a', 2],
        ['/b', 1],
      ]);
      const tops = await store.fieldTops({}, ['kind', 'route'], 5);
      expect(tops[0]).toEqual({
        field: 'kind',
        top: [
          { value: 'performance', count: 3 },
          { value: 'transaction', count: 3 },
        ],
      });
    });

    it('autocompletes, lists recent events newest first and notifies subscribers', async () => {
      const seen: string[] = [];
      const unsubscribe = store.subscribe((event) => seen.push(event.event.id));
      const events = [
        txEvent({ ts: at(1), message: 'shipment delayed' }),
        perfEvent('/checkout', 5, at(2)),
        perfEvent('/cart', 5, at(3)),
      ];
      await store.appendBatch(events);
      await store.refresh();
      expect(seen).toEqual(events.map((e) => e.event.id));
      unsubscribe();
      expect((await store.autocomplete('message', 'ship', 5))[0]).toMatchObject({ text: 'shipment', field: 'message' });
      expect((await store.autocomplete('route', '/c', 5)).map((s) => s.text).sort()).toEqual(['/cart', '/checkout']);
      expect((await store.recent({ limit: 2 })).map((e) => e.event.id)).toEqual([
        events[2]?.event.id,
        events[1]?.event.id,
      ]);
      expect((await store.recent({ limit: 5, kinds: ['transaction'] })).map((e) => e.event.id)).toEqual([
        events[0]?.event.id,
      ]);
    });
  });
}
