import { z } from 'zod';
import { parseOptions } from '../options.js';
import type { PERFORMANCE_KINDS, PerformanceEvent } from '../schema/kinds.js';
import { MIN_RELATIVE_ACCURACY } from '../sketch/mapping.js';
import { createSketch, sketchFromJson, type PercentileSketch, type SketchJson } from '../sketch/dd-sketch.js';
import type { ShoplogPlugin } from '../plugin.js';

/** What a latency measures; `db` uses the slow-query threshold, the others the slow-request one. */
export type LatencyKind = (typeof PERFORMANCE_KINDS)[number];

/** Options of `createLatencyStats`. */
export interface LatencyStatsOptions {
  /** Width of a time bucket in ms. @default 60000 */
  bucketMs?: number;
  /** A request (kinds http, cache, external) at or above this many ms counts as slow (the seed's threshold). @default 1000 */
  slowRequestMs?: number;
  /** A DB query at or above this many ms counts as slow (the seed's threshold). @default 500 */
  slowQueryMs?: number;
  /** Relative accuracy of the percentile sketches. @default 0.001 */
  relativeAccuracy?: number;
  /** Time buckets kept, counted back from the newest recorded; older ones are dropped. @default 1440 */
  retentionBuckets?: number;
  /** Distinct keys per time bucket; further keys are folded into the key `(other)` so memory stays bounded. @default 1000 */
  maxKeys?: number;
}

/** Latency figures of one key (over a range or one time bucket), in ms. Percentiles are approximate (± α relative). */
export interface LatencySnapshot {
  key: string;
  kind: LatencyKind;
  count: number;
  mean: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  slowCount: number;
  /** Start of the time bucket (ms) for `series()` rows; start of the first bucket included for `snapshot()`. */
  from: number;
  /** The merged sketch, so snapshots from several processes or shards can be merged exactly. */
  sketch: SketchJson;
}

/** Which figures to read. */
export interface LatencyQuery {
  /** Inclusive start, Unix ms (bucket granularity). @default -Infinity */
  from?: number;
  /** Exclusive end, Unix ms. @default Infinity */
  to?: number;
  /** Only this key. */
  key?: string;
  /** Only this kind. */
  kind?: LatencyKind;
}

/** Windowed latency percentiles per key (endpoint, route template, DB operation) and per time bucket. */
export interface LatencyStats {
  /** Records a duration in ms at `timestamp` (Unix ms). Negative or non-finite durations throw a `RangeError`. */
  record(key: string, durationMs: number, timestamp: number, kind?: LatencyKind): void;
  /** Records a duration given in nanoseconds (ECS `event.duration`). */
  recordNs(key: string, durationNs: number, timestamp: number, kind?: LatencyKind): void;
  /** One row per key over the range, sorted by key. */
  snapshot(query?: LatencyQuery): LatencySnapshot[];
  /** One row per time bucket and key over the range, oldest first. */
  series(query?: LatencyQuery): LatencySnapshot[];
  /** Drops every bucket. */
  clear(): void;
}

const OptionsSchema = z.strictObject({
  bucketMs: z.int().positive().default(60_000),
  slowRequestMs: z.number().positive().default(1000),
  slowQueryMs: z.number().positive().default(500),
  relativeAccuracy: z.number().min(MIN_RELATIVE_ACCURACY).lt(1).default(0.001),
  retentionBuckets: z.int().positive().default(1440),
  maxKeys: z.int().positive().default(1000),
});

/** Key that absorbs keys past `maxKeys` in a time bucket. */
export const OTHER_LATENCY_KEY = '(other)';

interface Cell {
  key: string;
  kind: LatencyKind;
  sketch: PercentileSketch;
  slowCount: number;
}

/** Creates windowed latency stats backed by mergeable sketches. */
export function createLatencyStats(options: LatencyStatsOptions = {}): LatencyStats {
  const opts = parseOptions('createLatencyStats', OptionsSchema, options);
  const buckets = new Map<number, Map<string, Cell>>();
  let newest = -Infinity;

  const prune = (): void => {
    const oldest = newest - (opts.retentionBuckets - 1) * opts.bucketMs;
    for (const start of buckets.keys()) if (start < oldest) buckets.delete(start);
  };

  const record = (key: string, durationMs: number, timestamp: number, kind: LatencyKind = 'http'): void => {
    if (!(durationMs >= 0) || durationMs === Infinity)
      throw new RangeError(`duration must be finite and >= 0, got ${durationMs}`);
    const start = Math.floor(timestamp / opts.bucketMs) * opts.bucketMs;
    if (start < newest - (opts.retentionBuckets - 1) * opts.bucketMs) return; // older than what is kept
    let cells = buckets.get(start);
    if (!cells) {
      cells = new Map();
      buckets.set(start, cells);
      if (start > newest) {
        newest = start;
        prune();
      }
    }
    let id = `${kind}\u0000${key}`;
    let cell = cells.get(id);
    if (!cell) {
      if (cells.size >= opts.maxKeys) {
        key = OTHER_LATENCY_KEY;
        id = `${kind}\u0000${key}`;
        cell = cells.get(id);
      }
      if (!cell) {
        cell = { key, kind, sketch: createSketch({ relativeAccuracy: opts.relativeAccuracy }), slowCount: 0 };
        cells.set(id, cell);
      }
    }
    cell.sketch.add(durationMs);
    if (durationMs >= (kind === 'db' ? opts.slowQueryMs : opts.slowRequestMs)) cell.slowCount++;
  };

  const select = (query: LatencyQuery): Array<[number, Cell]> => {
    const from = query.from ?? -Infinity;
    const to = query.to ?? Infinity;
    const out: Array<[number, Cell]> = [];
    const starts = [...buckets.keys()].sort((a, b) => a - b);
    for (const start of starts) {
      // A bucket is included when its start lies in [from, to): buckets are the unit of time here.
      if (start + opts.bucketMs <= from || start >= to) continue;
      for (const cell of buckets.get(start)!.values()) {
        if (query.key !== undefined && cell.key !== query.key) continue;
        if (query.kind !== undefined && cell.kind !== query.kind) continue;
        out.push([start, cell]);
      }
    }
    return out;
  };

  return {
    record,
    recordNs: (key, durationNs, timestamp, kind) => record(key, durationNs / 1e6, timestamp, kind),
    snapshot(query = {}) {
      const merged = new Map<
        string,
        { from: number; key: string; kind: LatencyKind; sketch: PercentileSketch; slowCount: number }
      >();
      for (const [start, cell] of select(query)) {
        const id = `${cell.kind}\u0000${cell.key}`;
        const acc = merged.get(id);
        if (acc) {
          acc.sketch.merge(cell.sketch);
          acc.slowCount += cell.slowCount;
        } else {
          merged.set(id, {
            from: start,
            key: cell.key,
            kind: cell.kind,
            sketch: cell.sketch.clone(),
            slowCount: cell.slowCount,
          });
        }
      }
      return [...merged.values()]
        .map((m) => toSnapshot(m.key, m.kind, m.from, m.sketch, m.slowCount))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.kind < b.kind ? -1 : 1));
    },
    series(query = {}) {
      return select(query).map(([start, cell]) => toSnapshot(cell.key, cell.kind, start, cell.sketch, cell.slowCount));
    },
    clear() {
      buckets.clear();
      newest = -Infinity;
    },
  };
}

function toSnapshot(
  key: string,
  kind: LatencyKind,
  from: number,
  sketch: PercentileSketch,
  slowCount: number,
): LatencySnapshot {
  return {
    key,
    kind,
    count: sketch.count,
    mean: sketch.count === 0 ? NaN : sketch.sum / sketch.count,
    min: sketch.min,
    max: sketch.max,
    p50: sketch.quantile(0.5),
    p90: sketch.quantile(0.9),
    p95: sketch.quantile(0.95),
    p99: sketch.quantile(0.99),
    slowCount,
    from,
    sketch: sketch.toJSON(),
  };
}

/**
 * Merges snapshots from several processes or server shards: rows with the same key and kind are combined exactly
 * (sketch merge, summed slow counts), keeping the earliest `from`. The result is sorted by key.
 */
export function mergeLatencySnapshots(...lists: ReadonlyArray<readonly LatencySnapshot[]>): LatencySnapshot[] {
  const acc = new Map<
    string,
    { key: string; kind: LatencyKind; from: number; sketch: PercentileSketch; slowCount: number }
  >();
  for (const list of lists) {
    for (const row of list) {
      const id = `${row.kind}\u0000${row.key}`;
      const seen = acc.get(id);
      if (seen) {
        seen.sketch.merge(sketchFromJson(row.sketch));
        seen.slowCount += row.slowCount;
        seen.from = Math.min(seen.from, row.from);
      } else {
        acc.set(id, {
          key: row.key,
          kind: row.kind,
          from: row.from,
          sketch: sketchFromJson(row.sketch),
          slowCount: row.slowCount,
        });
      }
    }
  }
  return [...acc.values()]
    .map((m) => toSnapshot(m.key, m.kind, m.from, m.sketch, m.slowCount))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.kind < b.kind ? -1 : 1));
}

/**
 * The latency key of a performance event: `METHOD route` for HTTP (route template, else path), the operation
 * (else target) for DB, cache and external calls.
 */
export function latencyKeyOf(event: PerformanceEvent): { key: string; kind: LatencyKind } {
  const kind = event.shop.performance.kind;
  if (kind === 'http') {
    const route = event.http?.route ?? event.url?.path ?? '(unknown)';
    const method = event.http?.request?.method;
    return { key: method ? `${method.toUpperCase()} ${route}` : route, kind };
  }
  return { key: event.shop.performance.operation ?? event.shop.performance.target ?? '(unknown)', kind };
}

/** Records a performance event (`event.duration` ns at `@timestamp`) into `stats`. */
export function recordPerformanceEvent(stats: LatencyStats, event: PerformanceEvent): void {
  const { key, kind } = latencyKeyOf(event);
  stats.recordNs(key, event.event.duration, Date.parse(event['@timestamp']), kind);
}

/** Options of `createLatencyPlugin`. */
export interface LatencyPluginOptions {
  /** Where performance events are recorded. */
  stats: LatencyStats;
}

/** A pipeline plugin that records every performance event into latency stats and passes all events on unchanged. */
export function createLatencyPlugin(options: LatencyPluginOptions): ShoplogPlugin {
  const { stats } = options;
  return {
    name: 'shoplog:latency-stats',
    process(event) {
      if (event.event.dataset === 'shoplog.performance') recordPerformanceEvent(stats, event as PerformanceEvent);
      return event;
    },
  };
}
