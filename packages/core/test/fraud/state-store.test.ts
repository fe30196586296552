import { describe, expect, it } from 'vitest';
import {
  createFraudScorer,
  createMemoryFraudStateStore,
  createRandom,
  createStateBatch,
  fraudStateKeys,
  STATE_KINDS,
  type FraudStateStore,
} from '@shoplog/core';
import { RecordTable } from '../../src/fraud/state/record-table.js';

// The in-memory profile store forgets a record only at its bound, and then the least recently written one: never
// because the hash of a key's text happened to land beside others (a profile forgotten at random).

const ACCOUNT = STATE_KINDS.indexOf('account');
const T0 = Date.UTC(2026, 3, 1, 9);

/** Writes account records (key `hi`, `lo`; word 3 holds `mark`) one by one, as scorings do. */
function writeAccount(store: FraudStateStore, hi: number, lo: number, mark: number): void {
  const batch = createStateBatch(1);
  batch.count = 1;
  batch.kinds[0] = ACCOUNT;
  batch.hi[0] = hi;
  batch.lo[0] = lo;
  void store.read(batch);
  batch.i32[3] = mark;
  void store.write(batch, T0);
}

/** The mark of the account record (`hi`, `lo`), undefined when the store has none. */
function markOf(store: FraudStateStore, hi: number, lo: number): number | undefined {
  const batch = createStateBatch(1);
  batch.count = 1;
  batch.kinds[0] = ACCOUNT;
  batch.hi[0] = hi;
  batch.lo[0] = lo;
  void store.read(batch);
  return batch.i32[0] === 0 && batch.i32[1] === 0 ? undefined : batch.i32[3];
}

describe('memory profile store: what it forgets', () => {
  it('remembers every account scored while under its bound, whatever the hashes of their ids', () => {
    const profileStore = createMemoryFraudStateStore(); // bound: a million accounts
    const scorer = createFraudScorer({ profileStore, featureLog: 0 });
    const ids = Array.from({ length: 20_000 }, (_, i) => `customer-${i}`);
    ids.forEach((userId, i) => scorer.scoreSync({ userId, amount: 2500, currency: 'EUR', timestamp: T0 + i * 1000 }));
    // Erasing answers how many of the records were there: every one.
    expect(profileStore.erase!(fraudStateKeys({ userIds: ids }))).toBe(ids.length);
  });

  it('keeps keys whose hashes all fall together, far below the bound', () => {
    const store = createMemoryFraudStateStore({ maxAccounts: 100_000 });
    // Low halves 1 … 300: the same top bits, the worst case for a table that places keys by them.
    for (let i = 1; i <= 300; i++) writeAccount(store, 7, i, i);
    for (let i = 1; i <= 300; i++) expect(markOf(store, 7, i), `key ${i}`).toBe(i);
    // And keys that differ only in their high half.
    for (let i = 1; i <= 300; i++) writeAccount(store, i, 42, 1000 + i);
    for (let i = 1; i <= 300; i++) expect(markOf(store, i, 42), `key ${i}/42`).toBe(1000 + i);
  });

  it('at its bound, forgets the least recently written accounts, and only those', () => {
    const store = createMemoryFraudStateStore({ maxAccounts: 1000 });
    const random = createRandom(5);
    const keys = Array.from({ length: 1100 }, () => [random.int(1, 2 ** 31 - 1), random.int(1, 2 ** 31 - 1)] as const);
    for (let i = 0; i < 1000; i++) writeAccount(store, keys[i]![0], keys[i]![1], i);
    // The first half written again (most recent now), then 100 new accounts.
    for (let i = 0; i < 500; i++) writeAccount(store, keys[i]![0], keys[i]![1], i);
    for (let i = 1000; i < 1100; i++) writeAccount(store, keys[i]![0], keys[i]![1], i);
    const forgotten = keys.flatMap(([hi, lo], i) => (markOf(store, hi, lo) === undefined ? [i] : []));
    expect(forgotten).toEqual(Array.from({ length: 100 }, (_, k) => 500 + k));
    keys.forEach(([hi, lo], i) => {
      if (i < 500 || i >= 600) expect(markOf(store, hi, lo)).toBe(i);
    });
  });
});

describe('RecordTable', () => {
  /** A plain model of the table: a Map in recency order (oldest first). */
  class Reference {
    readonly map = new Map<string, number>();
    constructor(readonly bound: number) {}
    put(key: string, mark: number): void {
      this.map.delete(key);
      if (this.map.size >= this.bound) this.map.delete(this.map.keys().next().value!);
      this.map.set(key, mark);
    }
  }

  it('matches an exact LRU map under random puts, removals and colliding keys, through growth', () => {
    for (const bound of [1, 7, 100, 3000]) {
      const table = new RecordTable(4, bound);
      const reference = new Reference(bound);
      const random = createRandom(bound);
      const src = new Int32Array(4);
      // Few distinct low halves: long probe runs, so removals shift entries across them.
      const keyOf = (): [number, number] => [random.int(-5, 5), random.int(1, 40) * 0x10000];
      for (let step = 0; step < 8000; step++) {
        const [hi, lo] = keyOf();
        const key = `${hi}/${lo}`;
        if (random.next() < 0.15) {
          expect(table.remove(hi, lo)).toBe(reference.map.delete(key));
        } else {
          src[0] = hi;
          src[1] = lo;
          src[3] = step;
          table.put(hi, lo, src, 0, random.next() < 0.5 ? table.find(hi, lo) : -1);
          reference.put(key, step);
        }
        expect(table.size).toBe(reference.map.size);
      }
      for (let hi = -5; hi <= 5; hi++) {
        for (let l = 1; l <= 40; l++) {
          const at = table.find(hi, l * 0x10000);
          const want = reference.map.get(`${hi}/${l * 0x10000}`);
          expect(at < 0 ? undefined : table.i32[at + 3], `${hi}/${l}`).toBe(want);
        }
      }
    }
  });

  it('holds at most its bound, in bounded memory', () => {
    const table = new RecordTable(12, 5000);
    const src = new Int32Array(12);
    for (let i = 1; i <= 20_000; i++) table.put(i, Math.imul(i, 0x2545f491), src, 0);
    expect(table.size).toBe(5000);
    // Record words, two link words and fewer than four index slots of two words per record.
    expect(table.bytes).toBeLessThan(5000 * (12 + 2 + 4 * 2) * 4);
  });
});
