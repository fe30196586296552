/**
 * A bounded hash table of fixed-size records of 32-bit words, keyed by a 64-bit hash (internal; the memory profile
 * store keeps one per record kind).
 *
 * Why not a Map of objects: a million accounts must fit in a few hundred MB. A record here costs its words, its
 * key (8 bytes) and its time (4 bytes), nothing else (no object header, no string key, no Map entry). The table is
 * an array of buckets of 8 slots: a key lives in its bucket, and a new key in a full bucket replaces the bucket's
 * least recently written record, so memory is bounded by `maxRecords` and eviction is approximately
 * least-recently-used. A bucket's keys sit together (one cache line), apart from the records, so a lookup reads
 * one line before the record's own. The table starts small and doubles (rehashing) while under its bound.
 */
export class RecordTable {
  /** The records (`words` per slot); `i32` and `f32` view the same memory. Replaced when the table grows. */
  i32: Int32Array;
  f32: Float32Array;
  /** Per slot: key hash halves (hi, lo), (0, 0) when empty. */
  private keys: Int32Array;
  /** Per slot: when its record was last written (the record's own time word), for eviction. */
  private times: Int32Array;
  private buckets: number;
  private count = 0;
  private readonly maxBuckets: number;

  constructor(
    readonly words: number,
    maxRecords: number,
    private readonly timeWord: number,
  ) {
    // 10 % headroom: buckets fill unevenly, and eviction should start near the bound, not well before it.
    this.maxBuckets = Math.max(1, Math.ceil((maxRecords * 1.1) / WAYS));
    this.buckets = Math.min(this.maxBuckets, 256);
    const slots = this.buckets * WAYS;
    const buffer = new ArrayBuffer(slots * words * 4);
    this.i32 = new Int32Array(buffer);
    this.f32 = new Float32Array(buffer);
    this.keys = new Int32Array(slots * 2);
    this.times = new Int32Array(slots);
  }

  /** Records held. */
  get size(): number {
    return this.count;
  }

  /** Bytes of memory (the whole bound once the table has grown to it). */
  get bytes(): number {
    return this.i32.byteLength + this.keys.byteLength + this.times.byteLength;
  }

  /** Word offset of the record of (`hi`, `lo`), or -1. */
  find(hi: number, lo: number): number {
    const keys = this.keys;
    const first = this.bucketOf(lo) * WAYS;
    for (let slot = first, end = first + WAYS; slot < end; slot++) {
      if (keys[2 * slot + 1] === lo && keys[2 * slot] === hi) return slot * this.words;
    }
    return -1;
  }

  /** Writes `src[from …]` (one record) as the record of (`hi`, `lo`), creating it when absent (see the class doc). */
  put(hi: number, lo: number, src: Int32Array, from: number, at = -1): void {
    if (at < 0 || this.keys[(2 * at) / this.words] !== hi || this.keys[(2 * at) / this.words + 1] !== lo)
      at = this.claim(hi, lo);
    const w = this.words;
    const dst = this.i32;
    for (let k = 0; k < w; k++) dst[at + k] = src[from + k]!;
    this.times[at / w] = src[from + this.timeWord]!;
  }

  /** Forgets the record of (`hi`, `lo`) (its words zeroed); returns whether there was one. */
  remove(hi: number, lo: number): boolean {
    const at = this.find(hi, lo);
    if (at < 0) return false;
    const slot = at / this.words;
    this.keys[2 * slot] = 0;
    this.keys[2 * slot + 1] = 0;
    this.times[slot] = 0;
    this.i32.fill(0, at, at + this.words);
    this.count--;
    return true;
  }

  /** Word offset of the record of (`hi`, `lo`), claimed (key set) when absent. */
  private claim(hi: number, lo: number): number {
    const found = this.find(hi, lo);
    if (found >= 0) return found;
    if (this.count >= this.buckets * WAYS * 0.8 && this.buckets < this.maxBuckets) this.grow();
    const { keys, times } = this;
    const first = this.bucketOf(lo) * WAYS;
    let victim = -1;
    let oldest = Infinity;
    for (let slot = first, end = first + WAYS; slot < end; slot++) {
      if (keys[2 * slot] === 0 && keys[2 * slot + 1] === 0) {
        victim = slot;
        this.count++;
        break;
      }
      if (times[slot]! < oldest) {
        oldest = times[slot]!;
        victim = slot;
      }
    }
    keys[2 * victim] = hi;
    keys[2 * victim + 1] = lo;
    return victim * this.words;
  }

  private bucketOf(lo: number): number {
    // Multiply-shift: any bucket count, not only powers of two.
    return Math.floor(((lo >>> 0) * this.buckets) / 4294967296);
  }

  private grow(): void {
    const { i32: old, keys: oldKeys, words: w } = this;
    this.buckets = Math.min(this.maxBuckets, this.buckets * 2);
    const slots = this.buckets * WAYS;
    const buffer = new ArrayBuffer(slots * w * 4);
    this.i32 = new Int32Array(buffer);
    this.f32 = new Float32Array(buffer);
    this.keys = new Int32Array(slots * 2);
    this.times = new Int32Array(slots);
    this.count = 0;
    for (let slot = 0; slot < oldKeys.length / 2; slot++) {
      if (oldKeys[2 * slot] === 0 && oldKeys[2 * slot + 1] === 0) continue;
      this.put(oldKeys[2 * slot]!, oldKeys[2 * slot + 1]!, old, slot * w);
    }
  }
}

/** Slots per bucket. */
const WAYS = 8;
