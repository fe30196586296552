import { describe, expect, it } from 'vitest';
import { createMemoryVelocityStore, createRandom } from '@shoplog/core';

// The memory velocity store finds a value by a 64-bit hash of it (open addressing), not by the string: it must
// remember and forget exactly as two generations of string-keyed maps do.

const T0 = Date.UTC(2026, 3, 1, 9);

/** Two generations of half `maxKeys` each, keyed by the strings themselves (a value read from the old moves up). */
function referenceStore(maxKeys: number): (value: string) => number {
  let young = new Map<string, { n: number }>();
  let old = new Map<string, { n: number }>();
  const keep = (value: string, count: { n: number }): void => {
    if (young.size >= Math.max(1, maxKeys >> 1)) {
      old = young;
      young = new Map();
    }
    young.set(value, count);
  };
  return (value) => {
    let count = young.get(value);
    if (count === undefined) {
      count = old.get(value) ?? { n: 0 };
      keep(value, count);
    }
    return count.n++;
  };
}

describe('memory velocity store', () => {
  it('remembers and forgets as two generations of string keys, through many generation flips', () => {
    for (const maxKeys of [2, 40, 1000]) {
      const store = createMemoryVelocityStore({ maxKeys });
      const reference = referenceStore(maxKeys);
      const random = createRandom(maxKeys);
      for (let i = 0; i < 20_000; i++) {
        // A skewed pool: some values come back often (promoted), most rarely (forgotten).
        const value = `v${Math.floor(random.next() ** 3 * 3 * maxKeys)}`;
        const [seen] = store.hit(
          [{ counter: 'C#0', dimension: 'ip', value, slot: 0, windowMs: 1e12, weight: 1 }],
          T0,
        ) as number[];
        expect(seen, `maxKeys ${maxKeys}, hit ${i} of ${value}`).toBe(reference(value));
      }
    }
  });
});
