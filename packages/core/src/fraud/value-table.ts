import { hashOut, hashString } from './state/hash.js';
import type { SeriesStats } from './velocity-store.js';

/**
 * The values of one dimension of the memory velocity store (internal): for each value (a user id, card, IP or
 * e-mail), its counters and, for a user, its amount histories, in one record of a shared Float64Array.
 *
 * Why one array: a value's record is reached from its map entry by an offset (a small integer stored in the entry),
 * so scoring pays the map lookup and then the record's own cache lines. A plain array per value costs two more
 * dependent misses (the array object, then its elements, which V8 allocates apart), and 25k values per dimension
 * are far beyond the caches in realistic traffic. Freed records are reused by size, so memory stays bounded by
 * `capacity` values.
 *
 * Record layout at offset `at`: [n, h], then h histories of four cells (currency number, count, mean, m2), then the
 * latest epoch written by each of the n counters, then each counter's ring of `slots` (count, epoch) pairs. Every
 * bucket's epoch is at most its counter's latest one, so when that is a whole window old the total is 0 without
 * reading the ring (the usual case for a customer who buys every few hours): scoring then touches the first line
 * of the record and one pair per counter.
 *
 * Eviction is approximately least-recently-used, in two generations of half the capacity: a value read from the
 * old one moves to the young one; when the young one is full, the old one is dropped whole (its records freed).
 * A generation maps the 64-bit hash of a value (see `Generation`), not the string itself: a Map keyed by strings
 * reads the stored key string (another cache miss, and a comparison) on every lookup. (Two values would share
 * counters only if all 64 bits of their hashes agreed, as the profile store's records would.)
 */
export class ValueTable {
  /** Every record; `alloc` may replace it by a larger copy, so methods read it afresh after allocating. */
  private data = new Float64Array(4096);
  private top = 0;
  private readonly free = new Map<number, number[]>();
  private young = new Generation();
  private old = new Generation();
  private readonly ring: number;

  constructor(
    private readonly capacity: number,
    private readonly slots: number,
  ) {
    this.ring = 2 * slots;
  }

  /** The record of `value`, or -1 when absent. */
  find(value: string): number {
    hashString(value, 0);
    return this.findHash(hashOut.hi, hashOut.lo);
  }

  /** The record of `value` with room for at least `counters` counters, created (empty windows) when absent. */
  entry(value: string, counters: number): number {
    hashString(value, 0);
    const { hi, lo } = hashOut;
    const at = this.findHash(hi, lo);
    return at >= 0 && this.data[at]! >= counters ? at : this.grow(hi, lo, at, counters, 0);
  }

  private findHash(hi: number, lo: number): number {
    const at = this.young.get(hi, lo);
    if (at >= 0) return at;
    const o = this.old.get(hi, lo);
    if (o < 0) return -1;
    this.keep(hi, lo, o);
    return o;
  }

  /** Counter `slot` of the record at `at`: its window total at `now`, then adds `weight` to the sub-bucket of `now`. */
  count(at: number, slot: number, windowMs: number, weight: number, now: number): number {
    const d = this.data;
    const { slots } = this;
    const epoch = Math.floor(now / Math.max(1, windowMs / slots));
    const latestAt = at + 2 + 4 * d[at + 1]! + slot;
    const base = latestAt - slot + d[at]! + slot * this.ring;
    const latest = d[latestAt]!;
    let total = 0;
    if (epoch - latest < slots) {
      for (let i = 0; i < this.ring; i += 2) {
        const e = d[base + i + 1]!;
        if (e > epoch - slots && e <= epoch) total += d[base + i]!;
      }
    }
    if (weight !== 0) {
      // Non-negative remainder: a time before 1970 must not land in another counter's cells.
      const b = base + 2 * (((epoch % slots) + slots) % slots);
      if (d[b + 1] !== epoch) {
        d[b + 1] = epoch;
        d[b] = 0;
      }
      d[b]! += weight;
      if (epoch > latest) d[latestAt] = epoch;
    }
    return total;
  }

  /**
   * Copies the history of currency number `currency` in the record at `at` (-1: none) into `out`; false (and `out`
   * untouched) if never observed. Filling the caller's object, not a new one, saves an allocation per scoring.
   */
  readHistory(at: number, currency: number, out: SeriesStats): boolean {
    const h = at < 0 ? -1 : this.historyAt(at, currency);
    if (h < 0) return false;
    const d = this.data;
    out.count = d[h + 1]!;
    out.mean = d[h + 2]!;
    out.m2 = d[h + 3]!;
    return true;
  }

  /**
   * Adds log(`amount`) to the history of currency number `currency` of `value`, whose record is at `at` (-1: none
   * yet). The log is taken here: a computed double passed as an argument would be boxed (an allocation per call).
   */
  observeHistory(value: string, at: number, currency: number, amount: number): void {
    const x = Math.log(amount);
    let h = at < 0 ? -1 : this.historyAt(at, currency);
    if (h < 0) {
      // First history of this value in this currency: the record grows (a copy).
      hashString(value, 0);
      const moved = this.grow(hashOut.hi, hashOut.lo, at, 0, 1);
      h = moved + 2 + 4 * (this.data[moved + 1]! - 1);
      this.data[h] = currency;
    }
    const d = this.data;
    const n = ++d[h + 1]!;
    const delta = x - d[h + 2]!;
    d[h + 2]! += delta / n;
    d[h + 3]! += delta * (x - d[h + 2]!);
  }

  private historyAt(at: number, currency: number): number {
    const d = this.data;
    for (let h = at + 2, end = at + 2 + 4 * d[at + 1]!; h < end; h += 4) if (d[h] === currency) return h;
    return -1;
  }

  /**
   * Moves the value of hash (`hi`, `lo`) (record at `from`, or -1) to a new record with ≥ `counters` counters and
   * `histories` more histories.
   */
  private grow(hi: number, lo: number, from: number, counters: number, histories: number): number {
    const had = from < 0 ? 0 : this.data[from]!;
    const kept = from < 0 ? 0 : this.data[from + 1]!;
    const n = Math.max(counters, had);
    const h = kept + histories;
    const ring = this.ring;
    const at = this.alloc(2 + 4 * h + n * (1 + ring));
    const d = this.data;
    d[at] = n;
    d[at + 1] = h;
    for (let i = 0; i < 4 * h; i++) d[at + 2 + i] = i < 4 * kept ? d[from + 2 + i]! : 0;
    const latest = at + 2 + 4 * h;
    const wasLatest = from + 2 + 4 * kept;
    for (let k = 0; k < n; k++) d[latest + k] = k < had ? d[wasLatest + k]! : -Infinity;
    const rings = latest + n;
    const wasRings = wasLatest + had;
    // The kept rings copied, the new ones empty (count 0, epoch -∞): two plain loops, no choice per cell.
    if (had > 0) d.copyWithin(rings, wasRings, wasRings + had * ring);
    for (let i = had * ring; i < n * ring; i += 2) {
      d[rings + i] = 0;
      d[rings + i + 1] = -Infinity;
    }
    if (from >= 0) {
      this.release(from);
      // `from` came from find(), which left the value in the young generation: replace it there, no eviction.
      this.young.set(hi, lo, at);
    } else {
      this.keep(hi, lo, at);
    }
    return at;
  }

  private keep(hi: number, lo: number, at: number): void {
    if (this.young.size >= Math.max(1, this.capacity >> 1)) {
      const dropped = this.old;
      this.old = this.young;
      // A dropped value still in the surviving generation was promoted (same record) or moved (old record freed then);
      // the value kept now (promoted from the dropped generation at this very moment) keeps its record too.
      dropped.forEach((h, l, a) => {
        if (a !== at && this.old.get(h, l) < 0) this.release(a);
      });
      dropped.clear();
      this.young = dropped;
    }
    this.young.set(hi, lo, at);
  }

  private alloc(size: number): number {
    const reused = this.free.get(size)?.pop();
    if (reused !== undefined) return reused;
    if (this.top + size > this.data.length) {
      const bigger = new Float64Array(Math.max(this.data.length * 2, this.top + size));
      bigger.set(this.data.subarray(0, this.top));
      this.data = bigger;
    }
    const at = this.top;
    this.top += size;
    return at;
  }

  private release(at: number): void {
    const size = 2 + 4 * this.data[at + 1]! + this.data[at]! * (1 + this.ring);
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(at);
  }
}

/**
 * One generation of a ValueTable: an open-addressing map (linear probing, at most half full) from a value's 64-bit
 * hash to its record. Per slot: the hash halves and 1 + the record's offset (0: empty). No removal: a generation is
 * only ever cleared whole.
 */
class Generation {
  private slots = new Int32Array(4 * 64);
  private mask = 63;
  /** 32 − log2(slots): a hash's home slot is the top bits of its multiplied low half. */
  private shift = 26;
  size = 0;

  /** The record of (`hi`, `lo`), or -1. */
  get(hi: number, lo: number): number {
    const slots = this.slots;
    for (let s = Math.imul(lo, 0x9e3779b1) >>> this.shift; ; s = (s + 1) & this.mask) {
      const at = slots[4 * s + 2]! - 1;
      if (at < 0) return -1;
      if (slots[4 * s + 1] === lo && slots[4 * s] === hi) return at;
    }
  }

  /** Maps (`hi`, `lo`) to record `at`, replacing its record when present. */
  set(hi: number, lo: number, at: number): void {
    if (2 * (this.size + 1) > this.mask + 1) this.rehash(2 * (this.mask + 1));
    const slots = this.slots;
    let s = Math.imul(lo, 0x9e3779b1) >>> this.shift;
    for (; slots[4 * s + 2] !== 0; s = (s + 1) & this.mask) {
      if (slots[4 * s + 1] === lo && slots[4 * s] === hi) {
        slots[4 * s + 2] = at + 1;
        return;
      }
    }
    slots[4 * s] = hi;
    slots[4 * s + 1] = lo;
    slots[4 * s + 2] = at + 1;
    this.size++;
  }

  /** Calls `fn` with each entry. */
  forEach(fn: (hi: number, lo: number, at: number) => void): void {
    const slots = this.slots;
    for (let s = 0; s <= this.mask; s++)
      if (slots[4 * s + 2] !== 0) fn(slots[4 * s]!, slots[4 * s + 1]!, slots[4 * s + 2]! - 1);
  }

  /** Forgets every entry (keeping the room it grew to). */
  clear(): void {
    this.slots.fill(0);
    this.size = 0;
  }

  private rehash(count: number): void {
    const old = this.slots;
    this.slots = new Int32Array(4 * count);
    this.mask = count - 1;
    this.shift = 32 - Math.log2(count);
    this.size = 0;
    for (let s = 0; s < old.length / 4; s++)
      if (old[4 * s + 2] !== 0) this.set(old[4 * s]!, old[4 * s + 1]!, old[4 * s + 2]! - 1);
  }
}
