import { z } from 'zod';
import { parseOptions } from '../options.js';
import { ValueTable } from './value-table.js';

/** A value that is either ready or on its way (the in-memory store answers synchronously, Redis does not). */
export type MaybePromise<T> = T | Promise<T>;

/** One counter update: add `weight` to the sliding window of `windowMs` of counter `counter` for `value`. */
export interface VelocityHit {
  /** The counter's stable name (e.g. `VELOCITY_USER#0`); a Redis store keys on `<prefix><counter>|<value>`. */
  counter: string;
  /** What the value is (`userId`, `cardFingerprint`, `ip`, `email`). */
  dimension: string;
  /** What is counted: a user id, card fingerprint, IP or e-mail. */
  value: string;
  /**
   * Dense index of the counter among the counters of its dimension, so an in-memory store finds every counter of
   * one value with a single lookup. The scorer sends the hits of one value next to each other.
   */
  slot: number;
  windowMs: number;
  /** 0 reads the window without changing it. */
  weight: number;
}

/** Running statistics of a series (Welford): count, mean and sum of squared deviations. */
export interface SeriesStats {
  count: number;
  mean: number;
  m2: number;
}

/**
 * Velocity state of the fraud scorer. Every method may answer synchronously (in-memory) or with a promise (Redis);
 * a store that always answers synchronously sets `sync: true` so the scorer can offer `scoreSync`.
 */
export interface VelocityStore {
  /** True when every method returns its value directly (never a promise). */
  readonly sync: boolean;
  /**
   * For each hit, atomically: the sum of weights in the window of (`counter`, `value`) before this call, then adds `weight` at `now`.
   * A Redis store implements it as one script over all hits, so concurrent scorers never both miss a burst.
   */
  hit(hits: readonly VelocityHit[], now: number): MaybePromise<number[]>;
  /** Statistics of the series `key` (e.g. a user's log amounts), `undefined` if never observed. */
  stats(key: string): MaybePromise<SeriesStats | undefined>;
  /** Adds `value` to the series `key`. */
  observe(key: string, value: number, now: number): MaybePromise<void>;
}

/**
 * The memory store's direct access for the scorer (internal, not exported from the package): the scorer looks each
 * (dimension, value) of a transaction up once and then reads and updates that value's cells in place: its counters
 * and, for a user, the amount history per currency (kept in the same cells, so no separate
 * `amount|<currency>|<user>` series is built, hashed and looked up per transaction).
 */
export interface MemoryCells {
  /** The values of one dimension (`userId`, `cardFingerprint`, …). */
  dimension(name: string): ValueTable;
  /** The number standing for `currency` in the users' histories. */
  currency(code: string): number;
}

const memoryCells = new WeakMap<VelocityStore, MemoryCells>();

/** The direct access of a store made by `createMemoryVelocityStore`, `undefined` for any other store. */
export function memoryCellsOf(store: VelocityStore): MemoryCells | undefined {
  return memoryCells.get(store);
}

/** Options of `createMemoryVelocityStore`. */
export interface MemoryVelocityStoreOptions {
  /** Most values kept per dimension (least recently hit are evicted first, approximately). @default 100000 */
  maxKeys?: number;
  /**
   * Most series kept by `stats`/`observe` called directly; the least recently observed is evicted first. (The scorer
   * keeps users' amount histories with their counters, bounded by `maxKeys`.) @default 100000
   */
  maxSeries?: number;
  /** Sub-buckets per window: a hit stays counted for between (1 − 1/slots) × window and one window. @default 10 */
  slots?: number;
}

const OptionsSchema = z.strictObject({
  maxKeys: z.int().positive().default(100_000),
  maxSeries: z.int().positive().default(100_000),
  slots: z.int().min(2).max(1000).default(10),
});

/**
 * A bounded map with approximate LRU eviction: two generations; a key read from the old one moves to the new
 * one, and when the new one is full the old one is dropped whole. O(1) per access, unlike delete-and-reinsert
 * LRU on a Map, whose eviction scans the tombstones that pattern leaves behind.
 */
class GenerationalMap<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }
  set(key: string, value: V): void {
    if (this.young.size >= Math.max(1, this.capacity >> 1)) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}

/**
 * Creates the in-memory velocity store: bounded (per dimension, values and series are evicted least-recently-used first,
 * in two generations of half the limit), windows that expire by themselves (a ring of sub-buckets per key), synchronous.
 * One process only; use the server's Redis store across processes.
 */
export function createMemoryVelocityStore(options: MemoryVelocityStoreOptions = {}): VelocityStore {
  const { maxKeys, maxSeries, slots } = parseOptions('createMemoryVelocityStore', OptionsSchema, options);
  // One table per dimension, keyed by the raw value, holding every counter of that value in one record: one
  // (cache-missing) lookup per value instead of one per counter, and no per-hit key concatenation (see ValueTable).
  const dimensions = new Map<string, ValueTable>();
  const series = new GenerationalMap<SeriesStats>(maxSeries);
  const currencies = new Map<string, number>();
  // The scorer reads a series (stats) then updates it (observe) in the same scoring: the second call reuses the
  // first lookup. It always names the series accessed last, which sits in the young generation, never evicted.
  let lastKey: string | undefined;
  let lastStats: SeriesStats | undefined;

  const dimensionOf = (name: string): ValueTable => {
    let values = dimensions.get(name);
    if (!values) {
      values = new ValueTable(maxKeys, slots);
      dimensions.set(name, values);
    }
    return values;
  };

  const store: VelocityStore = {
    sync: true,
    hit(hits, now) {
      const out = new Array<number>(hits.length);
      for (let i = 0; i < hits.length;) {
        // A run of hits for the same value: look the value up once.
        const { dimension, value } = hits[i]!;
        let end = i + 1;
        let counters = hits[i]!.slot + 1;
        while (end < hits.length && hits[end]!.value === value && hits[end]!.dimension === dimension) {
          counters = Math.max(counters, hits[end]!.slot + 1);
          end++;
        }
        const values = dimensionOf(dimension);
        const at = values.entry(value, counters);
        for (; i < end; i++) {
          const hit = hits[i]!;
          out[i] = values.count(at, hit.slot, hit.windowMs, hit.weight, now);
        }
      }
      return out;
    },
    stats(key) {
      const s = series.get(key);
      lastKey = key;
      lastStats = s;
      return s && { count: s.count, mean: s.mean, m2: s.m2 };
    },
    observe(key, value) {
      let s = key === lastKey ? lastStats : series.get(key);
      if (!s) {
        s = { count: 0, mean: 0, m2: 0 };
        series.set(key, s);
      }
      lastKey = key;
      lastStats = s;
      s.count++;
      const delta = value - s.mean;
      s.mean += delta / s.count;
      s.m2 += delta * (value - s.mean);
    },
  };
  memoryCells.set(store, {
    dimension: dimensionOf,
    currency(code) {
      let c = currencies.get(code);
      if (c === undefined) {
        c = currencies.size;
        currencies.set(code, c);
      }
      return c;
    },
  });
  return store;
}
