import { z } from 'zod';
import { parseOptions } from '../options.js';

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
  dimension(name: string): MemoryDimension;
  /** Counter `slot` of `cells`: the window total before this hit, then adds `weight` at `now` (as `hit`). */
  count(cells: number[], slot: number, windowMs: number, weight: number, now: number): number;
  /** The user's history in `currency`, read from the user's cells; `undefined` if never observed. */
  history(cells: number[] | undefined, currency: string): SeriesStats | undefined;
  /** Adds `value` to the user's history in `currency`; `cells` are the user's as just looked up (if any). */
  observeHistory(userId: string, cells: number[] | undefined, currency: string, value: number): void;
}

/** The values of one dimension in the memory store (see MemoryCells). */
export interface MemoryDimension {
  /** The cells of `value` with room for at least `counters` counters, created (empty windows) when absent. */
  entry(value: string, counters: number): number[];
  /** The cells of `value`, `undefined` when absent. */
  find(value: string): number[] | undefined;
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
  // One map per dimension, keyed by the raw value, holding every counter of that value in one array: one
  // (cache-missing) lookup per value instead of one per counter, and no per-hit key concatenation.
  // Cell 0 holds how many counters n the array has, cell 1 how many amount histories (see MemoryCells) follow, four
  // cells each (currency number, count, mean, m2). Then the latest epoch written by each counter (n cells), then
  // each counter's ring of s sub-buckets as (count, epoch) pairs. Every bucket's epoch is at most its counter's
  // latest one, so when that is a whole window old the total is 0 without reading the ring (the usual case for a
  // customer who buys every few hours): the scoring then touches the first line (histories and every latest epoch
  // of the value) and one pair per counter, where a ring with the latest epoch at its end touched three lines.
  // A plain array of doubles, not a Float64Array: its elements live on the JS heap right behind the array, where a
  // typed array of this size keeps them in a separate off-heap buffer (one more cache miss per value, and GC work).
  const dimensions = new Map<string, GenerationalMap<number[]>>();
  const series = new GenerationalMap<SeriesStats>(maxSeries);
  const currencies = new Map<string, number>();
  // The scorer reads a series (stats) then updates it (observe) in the same scoring: the second call reuses the
  // first lookup. It always names the series accessed last, which sits in the young generation, never evicted.
  let lastKey: string | undefined;
  let lastStats: SeriesStats | undefined;
  /** Cells of one counter's ring: a (count, epoch) pair per sub-bucket. */
  const ring = slots * 2;

  const valuesOf = (dimension: string): GenerationalMap<number[]> => {
    let values = dimensions.get(dimension);
    if (!values) {
      values = new GenerationalMap(maxKeys);
      dimensions.set(dimension, values);
    }
    return values;
  };

  /** A copy of `from` (or a new array) with at least `counters` counters and `histories` more (zeroed) histories. */
  const fresh = (counters: number, from: number[] | undefined, histories: number): number[] => {
    const had = from ? from[0]! : 0;
    const kept = from ? from[1]! : 0;
    const n = Math.max(counters, had);
    const h = kept + histories;
    const cells = new Array<number>(2 + 4 * h + n * (1 + ring));
    cells[0] = n;
    cells[1] = h;
    for (let i = 0; i < 4 * h; i++) cells[2 + i] = i < 4 * kept ? from![2 + i]! : 0;
    const latest = 2 + 4 * h;
    const wasLatest = 2 + 4 * kept;
    for (let k = 0; k < n; k++) cells[latest + k] = k < had ? from![wasLatest + k]! : -Infinity;
    const rings = latest + n;
    const wasRings = wasLatest + had;
    for (let i = 0; i < n * ring; i++) cells[rings + i] = i < had * ring ? from![wasRings + i]! : i % 2 === 0 ? 0 : -Infinity;
    return cells;
  };

  /** Where the history of `currency` starts in a user's cells, or -1. */
  const historyAt = (cells: number[], currency: number): number => {
    for (let at = 2, end = 2 + 4 * cells[1]!; at < end; at += 4) if (cells[at] === currency) return at;
    return -1;
  };

  /** Counter `slot` of `cells`: its window total at `now`, then adds `weight` to the sub-bucket of `now`. */
  const countAt = (cells: number[], slot: number, windowMs: number, weight: number, now: number): number => {
    const epoch = Math.floor(now / Math.max(1, windowMs / slots));
    const latestAt = 2 + 4 * cells[1]! + slot;
    const base = 2 + 4 * cells[1]! + cells[0]! + slot * ring;
    const latest = cells[latestAt]!;
    let total = 0;
    if (epoch - latest < slots) {
      for (let i = 0; i < ring; i += 2) {
        const e = cells[base + i + 1]!;
        if (e > epoch - slots && e <= epoch) total += cells[base + i]!;
      }
    }
    if (weight !== 0) {
      // Non-negative remainder: a time before 1970 must not land in another counter's cells.
      const at = base + 2 * (((epoch % slots) + slots) % slots);
      if (cells[at + 1] !== epoch) {
        cells[at + 1] = epoch;
        cells[at] = 0;
      }
      cells[at]! += weight;
      if (epoch > latest) cells[latestAt] = epoch;
    }
    return total;
  };

  const handles = new Map<string, MemoryDimension>();
  const dimensionOf = (name: string): MemoryDimension => {
    let handle = handles.get(name);
    if (!handle) {
      const values = valuesOf(name);
      handle = {
        entry(value, counters) {
          let cells = values.get(value);
          if (!cells || cells[0]! < counters) {
            cells = fresh(counters, cells, 0);
            values.set(value, cells);
          }
          return cells;
        },
        find: (value) => values.get(value),
      };
      handles.set(name, handle);
    }
    return handle;
  };

  const store: VelocityStore = {
    sync: true,
    hit(hits, now) {
      const out = new Array<number>(hits.length);
      for (let i = 0; i < hits.length; ) {
        // A run of hits for the same value: look the value up once.
        const { dimension, value } = hits[i]!;
        let end = i + 1;
        let counters = hits[i]!.slot + 1;
        while (end < hits.length && hits[end]!.value === value && hits[end]!.dimension === dimension) {
          counters = Math.max(counters, hits[end]!.slot + 1);
          end++;
        }
        const cells = dimensionOf(dimension).entry(value, counters);
        for (; i < end; i++) {
          const hit = hits[i]!;
          out[i] = countAt(cells, hit.slot, hit.windowMs, hit.weight, now);
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
    count: countAt,
    history(cells, currency) {
      const c = currencies.get(currency);
      const at = cells === undefined || c === undefined ? -1 : historyAt(cells, c);
      return at < 0 ? undefined : { count: cells![at + 1]!, mean: cells![at + 2]!, m2: cells![at + 3]! };
    },
    observeHistory(userId, cells, currency, value) {
      let c = currencies.get(currency);
      if (c === undefined) {
        c = currencies.size;
        currencies.set(currency, c);
      }
      let at = cells === undefined ? -1 : historyAt(cells, c);
      if (at < 0) {
        // First history of this user in this currency: the cells grow (a copy), stored under the user again.
        const values = valuesOf('userId');
        cells = fresh(0, values.get(userId), 1);
        at = 2 + 4 * (cells[1]! - 1);
        cells[at] = c;
        values.set(userId, cells);
      }
      const n = ++cells![at + 1]!;
      const delta = value - cells![at + 2]!;
      cells![at + 2]! += delta / n;
      cells![at + 3]! += delta * (value - cells![at + 2]!);
    },
  });
  return store;
}
