import { describe, expect, it } from 'vitest';
import {
  createLatencyPlugin,
  createLatencyStats,
  createRandom,
  mergeLatencySnapshots,
  msToNs,
  performance,
  type PluginContext,
} from '@shoplog/core';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const MIN = 60_000;

function nearestRank(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

describe('latency stats', () => {
  it('gives p50/p90/p95/p99, mean, max, count and slow counts per key over a time range', () => {
    const stats = createLatencyStats();
    const rnd = createRandom(1);
    const checkout: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const ms = Math.exp(5 + rnd.normal());
      checkout.push(ms);
      stats.record('POST /checkout', ms, T0 + (i % 10) * MIN);
    }
    stats.record('SELECT orders', 499, T0, 'db');
    stats.record('SELECT orders', 500, T0 + MIN, 'db');
    stats.record('SELECT orders', 1200, T0 + MIN, 'db');

    const [row, dbRow] = [stats.snapshot({ key: 'POST /checkout' })[0]!, stats.snapshot({ kind: 'db' })[0]!];
    expect(row.count).toBe(5000);
    for (const [q, got] of [
      [0.5, row.p50],
      [0.9, row.p90],
      [0.95, row.p95],
      [0.99, row.p99],
    ] as const) {
      const want = nearestRank(checkout, q);
      expect(Math.abs(got - want)).toBeLessThanOrEqual(want * 0.001 + 1e-9);
    }
    expect(row.max).toBe(Math.max(...checkout));
    expect(row.mean).toBeCloseTo(checkout.reduce((a, b) => a + b, 0) / checkout.length, 6);
    expect(row.slowCount).toBe(checkout.filter((v) => v >= 1000).length);
    // The seed's slow-query threshold: ≥ 500 ms.
    expect(dbRow).toMatchObject({ key: 'SELECT orders', kind: 'db', count: 3, slowCount: 2, max: 1200 });

    // Only the buckets in [from, to).
    const window = stats.snapshot({ from: T0 + 2 * MIN, to: T0 + 4 * MIN, key: 'POST /checkout' });
    expect(window[0]!.count).toBe(1000);
    expect(window[0]!.from).toBe(T0 + 2 * MIN);
  });

  it('reports one row per time bucket in series(), oldest first', () => {
    const stats = createLatencyStats({ bucketMs: MIN });
    stats.record('GET /', 10, T0 + 5);
    stats.record('GET /', 30, T0 + MIN + 5);
    stats.record('GET /', 50, T0 + MIN + 6);
    const rows = stats.series({ key: 'GET /' });
    expect(rows.map((r) => [r.from, r.count, r.max])).toEqual([
      [T0, 1, 10],
      [T0 + MIN, 2, 50],
    ]);
  });

  it('uses configurable slow thresholds and validates options by name', () => {
    const stats = createLatencyStats({ slowRequestMs: 200, slowQueryMs: 50 });
    stats.record('GET /a', 250, T0);
    stats.record('q', 60, T0, 'db');
    expect(stats.snapshot().map((r) => [r.key, r.slowCount])).toEqual([
      ['GET /a', 1],
      ['q', 1],
    ]);
    expect(() => createLatencyStats({ slowQueryMs: -1 })).toThrow(/slowQueryMs/);
    expect(() => stats.record('x', -5, T0)).toThrow(RangeError);
  });

  it('merges snapshots from two processes exactly like one process that saw everything', () => {
    const a = createLatencyStats();
    const b = createLatencyStats();
    const both = createLatencyStats();
    const rnd = createRandom(7);
    for (let i = 0; i < 2000; i++) {
      const ms = rnd.next() * 2000;
      (i % 2 ? a : b).record('GET /p/:id', ms, T0 + i);
      both.record('GET /p/:id', ms, T0 + i);
    }
    const merged = mergeLatencySnapshots(JSON.parse(JSON.stringify(a.snapshot())), b.snapshot());
    const reference = both.snapshot()[0]!;
    expect(merged).toHaveLength(1);
    const { sketch: _s1, ...m } = merged[0]!;
    const { sketch: _s2, ...r } = reference;
    expect(m.count).toBe(2000);
    expect(m).toEqual({ ...r, mean: expect.closeTo(r.mean, 9) as number });
  });

  it('keeps memory bounded: old buckets expire and extra keys fold into (other)', () => {
    const stats = createLatencyStats({ bucketMs: MIN, retentionBuckets: 3, maxKeys: 2 });
    stats.record('a', 1, T0);
    stats.record('b', 1, T0);
    stats.record('c', 1, T0);
    expect(stats.snapshot().map((r) => [r.key, r.count])).toEqual([
      ['(other)', 1],
      ['a', 1],
      ['b', 1],
    ]);
    stats.record('a', 1, T0 + 3 * MIN);
    expect(stats.series().map((r) => r.from)).toEqual([T0 + 3 * MIN]);
    // Late data for an expired bucket is not resurrected.
    stats.record('a', 1, T0);
    expect(stats.series().map((r) => r.from)).toEqual([T0 + 3 * MIN]);
  });

  it('is fed by performance events through the pipeline plugin (route template and DB operation as keys)', async () => {
    const stats = createLatencyStats();
    const plugin = createLatencyPlugin({ stats });
    const ctx: PluginContext = {
      emit: () => undefined,
      report: (e) => {
        throw e;
      },
      now: () => T0,
    };
    await plugin.setup?.(ctx);
    const at = { now: () => T0 };
    const http = performance(
      {
        event: { duration: msToNs(1500) },
        http: { route: '/orders/:id', request: { method: 'get' } },
        url: { path: '/orders/42' },
        shop: { performance: { kind: 'http' } },
      },
      at,
    );
    const db = performance(
      { event: { duration: msToNs(20) }, shop: { performance: { kind: 'db', operation: 'SELECT orders' } } },
      at,
    );
    expect(await plugin.process(http)).toBe(http);
    await plugin.process(db);
    expect(stats.snapshot().map((r) => [r.key, r.kind, r.count, r.slowCount, r.max])).toEqual([
      ['GET /orders/:id', 'http', 1, 1, 1500],
      ['SELECT orders', 'db', 1, 0, 20],
    ]);
  });
});
