/**
 * A bounded hash table of fixed-size records of 32-bit words, keyed by a 64-bit hash (internal; the memory profile
 * store keeps one per record kind).
 *
 * Why not a Map of objects: a million accounts must fit in a few hundred MB. A record here costs its words (the
 * first two of which are its key), 8 bytes of recency links and at most two 8-byte index slots, nothing else (no
 * object header, no string key, no Map entry).
 *
 * Records sit densely in one array (record `r` at word `r × words`, never moved once placed, so an offset stays
 * valid while its key is there). An open-addressing index (linear probing, at most half full) maps a key to its
 * record; an index slot holds the key's low half beside the record number, so a probe reads one cache line before
 * the record's own. Every key is kept until the table holds `maxRecords` records, whatever its hash; from then on
 * a new key takes the room of the least recently written record (a doubly linked recency list: exact LRU). Both
 * arrays start small and double while under the bound.
 */
export class RecordTable {
  /** The records (`words` each); `i32` and `f32` view the same memory. Replaced (copied) when the table grows. */
  i32: Int32Array;
  f32: Float32Array;
  /** Per record: the previous (more recently written) and next record in recency order, -1 at the ends. */
  private links: Int32Array;
  /** Per index slot: the key's low half, then 1 + its record number (0: empty slot). */
  private index: Int32Array;
  private mask: number;
  /** 32 − log2(index slots): a key's home slot is the top bits of its multiplied low half. */
  private shift: number;
  private capacity: number;
  private count = 0;
  /** Most and least recently written records, -1 when empty. */
  private head = -1;
  private tail = -1;

  constructor(
    readonly words: number,
    private readonly maxRecords: number,
  ) {
    this.capacity = Math.min(maxRecords, INITIAL_RECORDS);
    const buffer = new ArrayBuffer(this.capacity * words * 4);
    this.i32 = new Int32Array(buffer);
    this.f32 = new Float32Array(buffer);
    this.links = new Int32Array(this.capacity * 2);
    const slots = indexSlots(this.capacity);
    this.index = new Int32Array(slots * 2);
    this.mask = slots - 1;
    this.shift = 32 - Math.log2(slots);
  }

  /** Records held. */
  get size(): number {
    return this.count;
  }

  /** Bytes of memory. */
  get bytes(): number {
    return this.i32.byteLength + this.links.byteLength + this.index.byteLength;
  }

  /** Word offset of the record of (`hi`, `lo`), or -1. */
  find(hi: number, lo: number): number {
    const index = this.index;
    const records = this.i32;
    const w = this.words;
    for (let s = this.home(lo); ; s = (s + 1) & this.mask) {
      const r = index[2 * s + 1]! - 1;
      if (r < 0) return -1;
      if (index[2 * s] === lo && records[r * w] === hi) return r * w;
    }
  }

  /**
   * Writes `src[from …]` (one record, whose first two words are `hi`, `lo`) as the record of (`hi`, `lo`), creating it
   * when absent, and makes it the most recently written. `at`: its offset from an earlier `find`, or -1.
   */
  put(hi: number, lo: number, src: Int32Array, from: number, at = -1): void {
    if (at < 0 || this.i32[at] !== hi || this.i32[at + 1] !== lo) at = this.claim(hi, lo);
    const w = this.words;
    const dst = this.i32;
    for (let k = 0; k < w; k++) dst[at + k] = src[from + k]!;
    // The key words are the table's own, whatever the source held there.
    dst[at] = hi;
    dst[at + 1] = lo;
    this.touch(at / w);
  }

  /** Forgets the record of (`hi`, `lo`) (its words zeroed); returns whether there was one. */
  remove(hi: number, lo: number): boolean {
    const at = this.find(hi, lo);
    if (at < 0) return false;
    const r = at / this.words;
    this.unindex(hi, lo);
    this.unlink(r);
    // Move the last record into the freed room, so records stay dense (numbers 0 … count − 1).
    const last = --this.count;
    if (r !== last) this.move(last, r);
    this.i32.fill(0, last * this.words, (last + 1) * this.words);
    return true;
  }

  /** Word offset of the record of (`hi`, `lo`), claimed (key set, indexed) when absent. */
  private claim(hi: number, lo: number): number {
    const found = this.find(hi, lo);
    if (found >= 0) return found;
    let r: number;
    if (this.count < this.capacity) {
      r = this.count++;
    } else if (this.capacity < this.maxRecords) {
      this.grow();
      r = this.count++;
    } else {
      // At the bound: the least recently written record makes room.
      r = this.tail;
      const at = r * this.words;
      this.unindex(this.i32[at]!, this.i32[at + 1]!);
      this.unlink(r);
    }
    const at = r * this.words;
    this.i32[at] = hi;
    this.i32[at + 1] = lo;
    this.insert(lo, r);
    this.linkFirst(r);
    return at;
  }

  /** Makes record `r` (linked) the most recently written. */
  private touch(r: number): void {
    if (this.head === r) return;
    this.unlink(r);
    this.linkFirst(r);
  }

  private linkFirst(r: number): void {
    const links = this.links;
    links[2 * r] = -1;
    links[2 * r + 1] = this.head;
    if (this.head >= 0) links[2 * this.head] = r;
    else this.tail = r;
    this.head = r;
  }

  private unlink(r: number): void {
    const links = this.links;
    const prev = links[2 * r]!;
    const next = links[2 * r + 1]!;
    if (prev >= 0) links[2 * prev + 1] = next;
    else this.head = next;
    if (next >= 0) links[2 * next] = prev;
    else this.tail = prev;
  }

  /** Moves record `from` (linked, indexed) to the free room `to`. */
  private move(from: number, to: number): void {
    const w = this.words;
    const records = this.i32;
    records.copyWithin(to * w, from * w, (from + 1) * w);
    const links = this.links;
    const prev = links[2 * from]!;
    const next = links[2 * from + 1]!;
    links[2 * to] = prev;
    links[2 * to + 1] = next;
    if (prev >= 0) links[2 * prev + 1] = to;
    else this.head = to;
    if (next >= 0) links[2 * next] = to;
    else this.tail = to;
    const hi = records[to * w]!;
    const lo = records[to * w + 1]!;
    const index = this.index;
    for (let s = this.home(lo); ; s = (s + 1) & this.mask) {
      if (index[2 * s + 1] === from + 1 && index[2 * s] === lo && records[to * w] === hi) {
        index[2 * s + 1] = to + 1;
        return;
      }
    }
  }

  private insert(lo: number, r: number): void {
    const index = this.index;
    let s = this.home(lo);
    while (index[2 * s + 1] !== 0) s = (s + 1) & this.mask;
    index[2 * s] = lo;
    index[2 * s + 1] = r + 1;
  }

  /** Removes the index slot of (`hi`, `lo`) (present), shifting later slots of its run back (no tombstones). */
  private unindex(hi: number, lo: number): void {
    const { index, mask, words: w } = this;
    const records = this.i32;
    let s = this.home(lo);
    while (!(index[2 * s] === lo && records[(index[2 * s + 1]! - 1) * w] === hi)) s = (s + 1) & mask;
    for (let j = (s + 1) & mask; index[2 * j + 1] !== 0; j = (j + 1) & mask) {
      // The entry at j may fill the hole at s unless its home slot lies cyclically in (s, j].
      const home = this.home(index[2 * j]!);
      if (s < j ? home > s && home <= j : home > s || home <= j) continue;
      index[2 * s] = index[2 * j]!;
      index[2 * s + 1] = index[2 * j + 1]!;
      s = j;
    }
    index[2 * s] = 0;
    index[2 * s + 1] = 0;
  }

  /** Home index slot of a key (multiplicative hashing: its top bits, which every bit of `lo` reaches). */
  private home(lo: number): number {
    return Math.imul(lo, 0x9e3779b1) >>> this.shift;
  }

  /** Doubles the room for records (up to the bound) and rebuilds the index for it. */
  private grow(): void {
    const w = this.words;
    this.capacity = Math.min(this.maxRecords, this.capacity * 2);
    const buffer = new ArrayBuffer(this.capacity * w * 4);
    const i32 = new Int32Array(buffer);
    i32.set(this.i32);
    this.i32 = i32;
    this.f32 = new Float32Array(buffer);
    const links = new Int32Array(this.capacity * 2);
    links.set(this.links);
    this.links = links;
    const slots = indexSlots(this.capacity);
    if (slots * 2 === this.index.length) return;
    this.index = new Int32Array(slots * 2);
    this.mask = slots - 1;
    this.shift = 32 - Math.log2(slots);
    for (let r = 0; r < this.count; r++) this.insert(i32[r * w + 1]!, r);
  }
}

/** Records a table has room for before its first growth. */
const INITIAL_RECORDS = 1024;

/** Index slots for `records` records: a power of two, at least twice as many (linear probing stays short). */
function indexSlots(records: number): number {
  let slots = 16;
  while (slots < 2 * records) slots *= 2;
  return slots;
}
