import { z } from 'zod';
import { parseOptions } from '../options.js';
import { BinadeMapping, MIN_RELATIVE_ACCURACY } from './mapping.js';

/** Options of a percentile sketch. */
export interface SketchOptions {
  /**
   * Relative accuracy α: every quantile returned is within α × (true value) of the exact nearest-rank quantile
   * (unless the lowest buckets were collapsed, see `maxBuckets`).
   * @default 0.001
   */
  relativeAccuracy?: number;
  /**
   * Most buckets kept. Past it the lowest buckets are collapsed into one, so only the lowest quantiles lose
   * accuracy. 8192 buckets at α = 0.001 span a ratio of about 1.3 × 10^7 between the smallest and largest values
   * (e.g. 1 µs to 13 s) at full accuracy, in at most 64 KiB.
   * @default 8192
   */
  maxBuckets?: number;
}

/** A snapshot of a sketch as plain JSON (lossless): bucket `offset + i` holds `counts[i]` values. */
export interface SketchJson {
  v: 1;
  relativeAccuracy: number;
  maxBuckets: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Values in the zero bucket (exact zeros and values below the smallest indexable value). */
  zero: number;
  offset: number;
  counts: number[];
}

/**
 * A mergeable quantile sketch of non-negative values (DDSketch-style log buckets). Quantiles use the
 * nearest-rank definition: `quantile(q)` estimates the value of rank `max(1, ceil(q × count))` in sorted order.
 */
export interface PercentileSketch {
  /** Adds `value` (≥ 0, finite) `count` times (a positive integer). Throws a `RangeError` otherwise. */
  add(value: number, count?: number): void;
  /** Adds every value of `other` (same relative accuracy required). Returns this sketch. */
  merge(other: PercentileSketch): PercentileSketch;
  /** Estimated nearest-rank quantile for q in [0, 1]; `NaN` when empty. q = 0 and q = 1 give the exact min and max. */
  quantile(q: number): number;
  /** Number of values added. */
  readonly count: number;
  /** Exact sum of the values added. */
  readonly sum: number;
  /** Exact smallest value (`NaN` when empty). */
  readonly min: number;
  /** Exact largest value (`NaN` when empty). */
  readonly max: number;
  /** The relative accuracy α this sketch guarantees. */
  readonly relativeAccuracy: number;
  /** A lossless plain-JSON form; rebuild with `sketchFromJson`. */
  toJSON(): SketchJson;
  /** An independent copy. */
  clone(): PercentileSketch;
}

const OptionsSchema = z.strictObject({
  relativeAccuracy: z.number().min(MIN_RELATIVE_ACCURACY).lt(1).default(0.001),
  maxBuckets: z
    .int()
    .min(16)
    .max(1 << 20)
    .default(8192),
});

// Below this a value cannot be told apart from zero at any useful accuracy; it is counted in the zero bucket.
const MIN_INDEXABLE = 1e-9;
const INITIAL_BUCKETS = 256;

/** `counts[from, to)` as a plain array: a loop, several times cheaper than `Array.from` of a typed subarray. */
function plainArray(counts: Float64Array, from: number, to: number): number[] {
  const out = new Array<number>(to - from);
  for (let i = from; i < to; i++) out[i - from] = counts[i]!;
  return out;
}

class LogBucketSketch implements PercentileSketch {
  readonly relativeAccuracy: number;
  readonly maxBuckets: number;
  private readonly mapping: BinadeMapping;
  private counts = new Float64Array(0);
  /** Bucket index held by `counts[0]`. */
  private offset = 0;
  /** True once low buckets were folded into `counts[0]`: lower indices then land there too. */
  private collapsed = false;
  private zero = 0;
  private n = 0;
  private total = 0;
  private lo = Infinity;
  private hi = -Infinity;

  constructor(relativeAccuracy: number, maxBuckets: number) {
    this.relativeAccuracy = relativeAccuracy;
    this.maxBuckets = maxBuckets;
    this.mapping = new BinadeMapping(relativeAccuracy);
  }

  get count(): number {
    return this.n;
  }
  get sum(): number {
    return this.total;
  }
  get min(): number {
    return this.n === 0 ? NaN : this.lo;
  }
  get max(): number {
    return this.n === 0 ? NaN : this.hi;
  }

  add(value: number, count?: number): void {
    // Hot path: one value, indexable. Everything else (zero, counts, invalid input) goes to addSlow.
    if (count !== undefined || !(value >= MIN_INDEXABLE && value < Infinity)) {
      this.addSlow(value, count ?? 1);
      return;
    }
    this.n++;
    this.total += value;
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
    const index = this.mapping.index(value);
    const counts = this.counts;
    const at = index - this.offset;
    if (at >= 0 && at < counts.length) counts[at]!++;
    else {
      // slotFor may replace `this.counts`: read the array after it.
      const slot = this.slotFor(index);
      this.counts[slot]!++;
    }
  }

  private addSlow(value: number, count: number): void {
    // `!(value >= 0)` also rejects NaN.
    if (!(value >= 0) || value === Infinity)
      throw new RangeError(`sketch values must be finite and >= 0, got ${value}`);
    if (!(Number.isInteger(count) && count > 0)) throw new RangeError(`count must be a positive integer, got ${count}`);
    this.n += count;
    this.total += value * count;
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
    if (value < MIN_INDEXABLE) {
      this.zero += count;
      return;
    }
    const index = this.mapping.index(value);
    let at = index - this.offset;
    if (at < 0 || at >= this.counts.length) at = this.slotFor(index);
    this.counts[at]! += count;
  }

  merge(other: PercentileSketch): PercentileSketch {
    if (!(other instanceof LogBucketSketch)) return this.merge(sketchFromJson(other.toJSON()));
    if (other.relativeAccuracy !== this.relativeAccuracy) {
      throw new RangeError(
        `cannot merge sketches of relative accuracy ${other.relativeAccuracy} into ${this.relativeAccuracy}`,
      );
    }
    if (other.n === 0) return this;
    this.n += other.n;
    this.total += other.total;
    this.zero += other.zero;
    if (other.lo < this.lo) this.lo = other.lo;
    if (other.hi > this.hi) this.hi = other.hi;
    const src = other.counts;
    for (let k = 0; k < src.length; k++) {
      const c = src[k]!;
      if (c === 0) continue;
      const index = other.offset + k;
      let at = index - this.offset;
      if (at < 0 || at >= this.counts.length) at = this.slotFor(index);
      this.counts[at]! += c;
    }
    return this;
  }

  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
    if (this.n === 0) return NaN;
    if (q === 0) return this.lo;
    if (q === 1) return this.hi;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = this.zero;
    if (seen >= rank) return this.lo;
    const counts = this.counts;
    for (let k = 0; k < counts.length; k++) {
      seen += counts[k]!;
      if (seen >= rank) {
        const estimate = this.mapping.value(this.offset + k);
        return Math.min(this.hi, Math.max(this.lo, estimate));
      }
    }
    return this.hi;
  }

  toJSON(): SketchJson {
    let first = 0;
    let last = this.counts.length - 1;
    while (first <= last && this.counts[first] === 0) first++;
    while (last >= first && this.counts[last] === 0) last--;
    return {
      v: 1,
      relativeAccuracy: this.relativeAccuracy,
      maxBuckets: this.maxBuckets,
      count: this.n,
      sum: this.total,
      min: this.n === 0 ? 0 : this.lo,
      max: this.n === 0 ? 0 : this.hi,
      zero: this.zero,
      offset: first <= last ? this.offset + first : 0,
      counts: first <= last ? plainArray(this.counts, first, last + 1) : [],
    };
  }

  clone(): PercentileSketch {
    const copy = new LogBucketSketch(this.relativeAccuracy, this.maxBuckets);
    copy.restore(this.toJSON());
    return copy;
  }

  /** Loads a JSON snapshot into this (empty) sketch. */
  restore(json: SketchJson): void {
    this.n = json.count;
    this.total = json.sum;
    this.zero = json.zero;
    this.lo = json.count === 0 ? Infinity : json.min;
    this.hi = json.count === 0 ? -Infinity : json.max;
    this.counts = Float64Array.from(json.counts);
    this.offset = json.offset;
    this.collapsed = json.counts.length >= this.maxBuckets;
  }

  /** Makes room for bucket `index` (growing, shifting or collapsing the lowest buckets) and returns its slot. */
  private slotFor(index: number): number {
    const counts = this.counts;
    if (this.collapsed && index < this.offset) return 0;
    let usedLo = index;
    let usedHi = index;
    for (let k = 0; k < counts.length; k++) {
      if (counts[k] !== 0) {
        usedLo = Math.min(usedLo, this.offset + k);
        break;
      }
    }
    for (let k = counts.length - 1; k >= 0; k--) {
      if (counts[k] !== 0) {
        usedHi = Math.max(usedHi, this.offset + k);
        break;
      }
    }
    let newLo = usedLo;
    if (usedHi - usedLo + 1 > this.maxBuckets) {
      newLo = usedHi - this.maxBuckets + 1;
      this.collapsed = true;
    }
    const span = usedHi - newLo + 1;
    // Grow with head-room on both sides so a drifting range does not reallocate on every new bucket.
    const size = this.collapsed ? this.maxBuckets : Math.min(this.maxBuckets, Math.max(INITIAL_BUCKETS, span * 2));
    const slack = size - span;
    const newOffset = this.collapsed
      ? newLo
      : newLo - (index < usedLo || counts.length === 0 ? slack >> 1 : slack >> 2);
    const next = new Float64Array(size);
    for (let k = 0; k < counts.length; k++) {
      const c = counts[k]!;
      if (c === 0) continue;
      const at = Math.max(0, this.offset + k - newOffset);
      next[at]! += c;
    }
    this.counts = next;
    this.offset = newOffset;
    return Math.max(0, index - newOffset);
  }
}

/** Creates an empty mergeable percentile sketch with relative accuracy α (default 0.1 %). */
export function createSketch(options: SketchOptions = {}): PercentileSketch {
  const { relativeAccuracy, maxBuckets } = parseOptions('createSketch', OptionsSchema, options);
  return new LogBucketSketch(relativeAccuracy, maxBuckets);
}

/** Zod schema of `SketchJson`, for transports and servers that receive sketches. */
export const SketchJsonSchema = z.strictObject({
  v: z.literal(1),
  relativeAccuracy: z.number().min(MIN_RELATIVE_ACCURACY).lt(1),
  maxBuckets: z
    .int()
    .min(16)
    .max(1 << 20),
  count: z.number().nonnegative(),
  sum: z.number().nonnegative(),
  min: z.number().nonnegative(),
  max: z.number().nonnegative(),
  zero: z.number().nonnegative(),
  offset: z.int(),
  counts: z.array(z.number().nonnegative()).max(1 << 20),
});

/** Rebuilds a sketch from `toJSON()` output; throws a `RangeError` naming the bad field. */
export function sketchFromJson(json: unknown): PercentileSketch {
  const parsed = SketchJsonSchema.safeParse(json);
  if (!parsed.success) throw new RangeError(`invalid sketch: ${formatIssue(parsed.error)}`);
  const data = parsed.data;
  const total = data.counts.reduce((a, b) => a + b, data.zero);
  if (total !== data.count)
    throw new RangeError(`invalid sketch: bucket counts add up to ${total}, not count ${data.count}`);
  const sketch = new LogBucketSketch(data.relativeAccuracy, data.maxBuckets);
  sketch.restore(data);
  return sketch;
}

function formatIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unknown error';
  return `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`;
}
