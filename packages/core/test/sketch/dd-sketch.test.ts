import { describe, expect, it } from 'vitest';
import {
  createRandom,
  createSketch,
  decodeSketch,
  decodeSketchBytes,
  encodeSketch,
  encodeSketchBytes,
  sketchFromJson,
  type PercentileSketch,
} from '@shoplog/core';

const N = 1_000_000;
const QUANTILES = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];
const ALPHA = 0.001;

function sample(kind: 'uniform' | 'lognormal' | 'bimodal', seed: number): Float64Array {
  const rnd = createRandom(seed);
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    if (kind === 'uniform') out[i] = rnd.next() * 1000;
    else if (kind === 'lognormal')
      out[i] = Math.exp(3 + 1.2 * rnd.normal()); // latency-like, ms
    else out[i] = rnd.chance(0.8) ? Math.abs(20 + 4 * rnd.normal()) : Math.abs(900 + 150 * rnd.normal()); // cache hit / miss
  }
  return out;
}

/** The reference definition: nearest rank, the value of rank max(1, ceil(q·n)). */
function exact(sorted: Float64Array, q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

function expectWithinError(sketch: PercentileSketch, sorted: Float64Array): void {
  for (const q of QUANTILES) {
    const want = exact(sorted, q);
    const got = sketch.quantile(q);
    // α plus a float rounding margin at bucket boundaries.
    expect(Math.abs(got - want), `q=${q}: ${got} vs exact ${want}`).toBeLessThanOrEqual(
      want * ALPHA * (1 + 1e-9) + 1e-12,
    );
  }
  expect(sketch.quantile(0)).toBe(sorted[0]);
  expect(sketch.quantile(1)).toBe(sorted[sorted.length - 1]);
}

describe('percentile sketch against exact nearest-rank percentiles (10^6 values)', () => {
  for (const kind of ['uniform', 'lognormal', 'bimodal'] as const) {
    it(`${kind}: one sketch, 16 merged shards and a serialised copy stay within α = ${ALPHA}`, () => {
      const values = sample(kind, kind.length * 7919);
      const whole = createSketch({ relativeAccuracy: ALPHA });
      const shards = Array.from({ length: 16 }, () => createSketch({ relativeAccuracy: ALPHA }));
      let sum = 0;
      for (let i = 0; i < N; i++) {
        whole.add(values[i]!);
        shards[i % 16]!.add(values[i]!);
        sum += values[i]!;
      }
      const sorted = values.slice().sort();

      expect(whole.count).toBe(N);
      expect(whole.sum).toBeCloseTo(sum, 3);
      expect(whole.min).toBe(sorted[0]);
      expect(whole.max).toBe(sorted[N - 1]);
      expectWithinError(whole, sorted);

      // Shards travel as base64 (as a transport would send them) and merge on the other side.
      const merged = createSketch({ relativeAccuracy: ALPHA });
      for (const shard of shards) merged.merge(decodeSketch(encodeSketch(shard)));
      expect(merged.count).toBe(N);
      expect(merged.min).toBe(sorted[0]);
      expect(merged.max).toBe(sorted[N - 1]);
      expectWithinError(merged, sorted);
      for (const q of QUANTILES) expect(merged.quantile(q)).toBe(whole.quantile(q));

      const viaJson = sketchFromJson(JSON.parse(JSON.stringify(whole)));
      expect(viaJson.toJSON()).toEqual(whole.toJSON());
    });
  }
});

describe('percentile sketch behaviour', () => {
  it('answers small samples exactly at the nearest rank (within α)', () => {
    const s = createSketch();
    for (const v of [5, 1, 3, 2, 4]) s.add(v);
    expect(s.quantile(0.5)).toBeCloseTo(3, 2);
    expect(s.quantile(0.2)).toBeCloseTo(1, 2);
    expect(s.quantile(0.21)).toBeCloseTo(2, 2);
    expect(s.count).toBe(5);
    expect(s.sum).toBe(15);
  });

  it('keeps its bound at other accuracies, across binades from 1e-6 to 1e9', () => {
    for (const alpha of [0.05, 0.01, 0.0002]) {
      const rnd = createRandom(alpha * 1e6);
      const values = Array.from({ length: 100_000 }, () => Math.exp(rnd.next() * 34 - 14));
      const s = createSketch({ relativeAccuracy: alpha, maxBuckets: 1 << 20 });
      for (const v of values) s.add(v);
      values.sort((a, b) => a - b);
      for (const q of [0.001, 0.1, 0.5, 0.77, 0.99, 0.9999]) {
        const want = values[Math.max(1, Math.ceil(q * values.length)) - 1]!;
        expect(Math.abs(s.quantile(q) - want) / want, `α=${alpha} q=${q}`).toBeLessThanOrEqual(alpha * (1 + 1e-9));
      }
    }
    expect(() => createSketch({ relativeAccuracy: 1e-5 })).toThrow(/relativeAccuracy/);
  });

  it('counts zeros and weighted adds', () => {
    const s = createSketch();
    s.add(0, 3);
    s.add(10, 2);
    expect(s.count).toBe(5);
    expect(s.quantile(0.6)).toBe(0);
    expect(s.quantile(0.61)).toBeCloseTo(10, 1);
    expect(decodeSketch(encodeSketch(s)).toJSON()).toEqual(s.toJSON());
  });

  it('round-trips counts whose varints outgrow the first buffer of the encoder', () => {
    const s = createSketch();
    // Values one bucket apart (α = 0.1 %): 300 neighbouring buckets, each count a six-byte varint.
    for (let i = 1; i <= 300; i++) s.add(1000 * 1.002 ** i, 2 ** 40 + i);
    const bytes = encodeSketchBytes(s);
    expect(bytes.length).toBeGreaterThan(48 + 2 * s.toJSON().counts.length);
    expect(decodeSketchBytes(bytes).toJSON()).toEqual(s.toJSON());
  });

  it('is empty-safe and round-trips an empty sketch', () => {
    const s = createSketch();
    expect(s.quantile(0.5)).toBeNaN();
    expect(s.min).toBeNaN();
    const back = decodeSketch(encodeSketch(s));
    expect(back.count).toBe(0);
    expect(back.quantile(0.99)).toBeNaN();
    expect(createSketch().merge(back).count).toBe(0);
  });

  it('rejects negative, NaN and infinite values and bad counts with a RangeError', () => {
    const s = createSketch();
    expect(() => s.add(-1)).toThrow(RangeError);
    expect(() => s.add(NaN)).toThrow(/finite and >= 0/);
    expect(() => s.add(Infinity)).toThrow(RangeError);
    expect(() => s.add(1, 0.5)).toThrow(/positive integer/);
    expect(s.count).toBe(0);
  });

  it('names the bad option, and refuses to merge sketches of different accuracy', () => {
    expect(() => createSketch({ relativeAccuracy: 2 })).toThrow(/relativeAccuracy/);
    expect(() => createSketch({ maxBuckets: 3 })).toThrow(/maxBuckets/);
    expect(() => createSketch({ relativeAccuracy: 0.01 }).merge(createSketch())).toThrow(/relative accuracy/);
  });

  it('rejects malformed serialised sketches', () => {
    const s = createSketch();
    s.add(42);
    const json = s.toJSON();
    expect(() => sketchFromJson({ ...json, counts: 'x' })).toThrow(/counts/);
    expect(() => sketchFromJson({ ...json, count: 7 })).toThrow(/add up/);
    const text = encodeSketch(s);
    expect(() => decodeSketch(text.slice(0, 12))).toThrow(/truncated/);
    expect(() => decodeSketch('!!!!')).toThrow(SyntaxError);
  });

  it('collapses the lowest buckets past maxBuckets: high quantiles stay accurate, memory stays bounded', () => {
    const s = createSketch({ relativeAccuracy: 0.01, maxBuckets: 64 });
    const values: number[] = [];
    for (let i = 0; i < 2000; i++) values.push(1.05 ** i);
    for (const v of values) s.add(v);
    expect(s.toJSON().counts.length).toBeLessThanOrEqual(64);
    values.sort((a, b) => a - b);
    const want = values[Math.ceil(0.99 * values.length) - 1]!;
    expect(Math.abs(s.quantile(0.99) - want) / want).toBeLessThanOrEqual(0.01 + 1e-9);
    expect(s.quantile(0)).toBe(1);
    expect(s.count).toBe(2000);
  });
});
