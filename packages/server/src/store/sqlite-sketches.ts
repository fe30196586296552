import type { DatabaseSync } from 'node:sqlite';
import { createSketch, decodeSketchBytes, encodeSketchBytes, type PercentileSketch } from '@shoplog/core';
import type { LatencyGroup, LatencyGroupBy, LatencyReport, LatencySummary, LogFilter } from '../ports.js';

/** Width of a stored sketch bucket: percentiles are merged from hourly sketches. */
export const SKETCH_BUCKET_MS = 3_600_000;
/** Decoded sketches kept in memory by the indexer before its cache is emptied. */
const SKETCH_CACHE_LIMIT = 4096;
/** Relative accuracy of the stored sketches. */
export const SKETCH_ACCURACY = 0.001;

/**
 * Per-(kind, key, hour) latency sketches maintained by the indexer: HTTP requests per route, DB calls per
 * operation. `add` accumulates within an indexer transaction, `flush` writes the touched rows.
 */
export function createSketchTable(db: DatabaseSync) {
  const select = db.prepare('SELECT sketch FROM latency_sketches WHERE kind = ? AND key = ? AND bucket = ?');
  const upsert = db.prepare(
    'INSERT INTO latency_sketches (kind, key, bucket, sketch) VALUES (?, ?, ?, ?) ON CONFLICT(kind, key, bucket) DO UPDATE SET sketch = excluded.sketch',
  );
  // Decoded sketches stay cached across indexer transactions (decoding the stored bytes at every batch cost about
  // a quarter of the indexer's time); only the ones touched since the last flush are written back.
  const cache = new Map<string, { kind: string; key: string; bucket: number; sketch: PercentileSketch }>();
  const dirty = new Set<string>();
  return {
    add(kind: 'http' | 'db', key: string, ts: number, ms: number): void {
      if (!(ms >= 0) || !Number.isFinite(ms)) return;
      const bucket = Math.floor(ts / SKETCH_BUCKET_MS) * SKETCH_BUCKET_MS;
      const id = `${kind}\u0000${key}\u0000${bucket}`;
      let entry = cache.get(id);
      if (!entry) {
        const row = select.get(kind, key, bucket) as { sketch: Uint8Array } | undefined;
        entry = {
          kind,
          key,
          bucket,
          sketch: row ? decodeSketchBytes(row.sketch) : createSketch({ relativeAccuracy: SKETCH_ACCURACY }),
        };
        cache.set(id, entry);
      }
      entry.sketch.add(ms);
      dirty.add(id);
    },
    /** Writes the sketches touched since the last flush (call inside the indexer's transaction). */
    flush(): void {
      for (const id of dirty) {
        const entry = cache.get(id);
        if (entry) upsert.run(entry.kind, entry.key, entry.bucket, encodeSketchBytes(entry.sketch));
      }
      dirty.clear();
      if (cache.size > SKETCH_CACHE_LIMIT) cache.clear();
    },
    /** Forgets the cached sketches (after a rolled-back transaction, whose additions were not stored). */
    discard(): void {
      cache.clear();
      dirty.clear();
    },
  };
}

/** Whether a latency query can be answered from the hourly sketches: only a time range, hour-multiple intervals. */
export function sketchable(filter: LogFilter, groupBy: LatencyGroupBy, intervalMs: number): boolean {
  const keys = Object.keys(filter).filter((k) => k !== 'range' && (filter as Record<string, unknown>)[k] !== undefined);
  const onlyPerformance = keys.every(
    (k) => k === 'kinds' && filter.kinds?.length === 1 && filter.kinds[0] === 'performance',
  );
  return onlyPerformance && (groupBy !== 'interval' || intervalMs % SKETCH_BUCKET_MS === 0);
}

function summary(sketch: PercentileSketch | undefined): LatencySummary {
  if (!sketch || sketch.count === 0)
    return { count: 0, mean: null, max: null, p50: null, p90: null, p95: null, p99: null };
  return {
    count: sketch.count,
    mean: sketch.sum / sketch.count,
    max: sketch.max,
    p50: sketch.quantile(0.5),
    p90: sketch.quantile(0.9),
    p95: sketch.quantile(0.95),
    p99: sketch.quantile(0.99),
  };
}

/**
 * Latency percentiles merged from the hourly sketches whose hour overlaps the range (so a range is widened to
 * whole hours), per route, DB operation or time bucket.
 */
export function latencyFromSketches(
  db: DatabaseSync,
  filter: LogFilter,
  groupBy: LatencyGroupBy,
  options: { size?: number; intervalMs?: number },
): LatencyReport {
  const from =
    filter.range?.from === undefined ? -Infinity : Math.floor(filter.range.from / SKETCH_BUCKET_MS) * SKETCH_BUCKET_MS;
  const to = filter.range?.to ?? Infinity;
  const interval = options.intervalMs ?? SKETCH_BUCKET_MS;
  const rows = db
    .prepare('SELECT key, bucket, sketch FROM latency_sketches WHERE kind = ? AND bucket >= ? AND bucket < ?')
    .all(
      groupBy === 'db_operation' ? 'db' : 'http',
      Number.isFinite(from) ? from : -8.64e15,
      Number.isFinite(to) ? to : 8.64e15,
    ) as {
    key: string;
    bucket: number;
    sketch: Uint8Array;
  }[];
  let overall: PercentileSketch | undefined;
  const groups = new Map<string, PercentileSketch>();
  for (const row of rows) {
    const sketch = decodeSketchBytes(row.sketch);
    overall = overall ? overall.merge(sketch) : sketch.clone();
    const key = groupBy === 'interval' ? String(Math.floor(row.bucket / interval) * interval) : row.key;
    const group = groups.get(key);
    if (group) group.merge(sketch);
    else groups.set(key, sketch);
  }
  const list: LatencyGroup[] = [...groups.entries()].map(([key, sketch]) => ({ key, ...summary(sketch) }));
  if (groupBy === 'interval') list.sort((a, b) => Number(a.key) - Number(b.key));
  else list.sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
  return {
    approximate: true,
    relativeError: SKETCH_ACCURACY,
    overall: summary(overall),
    groups: groupBy === 'interval' ? list : list.slice(0, options.size ?? 20),
  };
}
