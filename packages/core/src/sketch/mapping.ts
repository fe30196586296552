// Value → bucket index without Math.log: the float's binary exponent e and mantissa M ∈ [1, 2) are read from its
// bits; each binade [2^e, 2^(e+1)) is cut at M = γ^j (j = 0 … K), so bucket (e, j) holds 2^e · (γ^(j−1), γ^j]
// (the last one ends at 2). Every bucket spans a ratio ≤ γ, so its value 2ab/(a+b) is within α of anything in it.
// A 4096-entry table over the top 12 mantissa bits gives the bucket of the cell's start; since a cell is narrower
// than a bucket (1 + 2^-12 < γ for α ≥ 1.3e-4) one comparison with the next boundary finishes the job.
const TABLE_BITS = 12;
const TABLE_SIZE = 1 << TABLE_BITS;
const TWO_52 = 2 ** 52;
const TWO_32 = 2 ** 32;

const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);
// Typed arrays use the platform's byte order; find which word holds the sign, exponent and high mantissa bits.
scratch[0] = 1;
const HI = words[1] === 0x3ff00000 ? 1 : 0;
const LO = 1 - HI;

/** The smallest relative accuracy the table-based mapping supports. */
export const MIN_RELATIVE_ACCURACY = 1.3e-4;

/** A logarithmic bucket mapping for relative accuracy α, computed from the float's bits. */
export class BinadeMapping {
  /** Buckets per binade (K + 1). */
  readonly perBinade: number;
  /** Upper boundaries γ^j of the buckets within a binade, the last one being 2. */
  private readonly bounds: Float64Array;
  /** For each 12-bit mantissa prefix: the bucket of the prefix's smallest mantissa. */
  private readonly start: Uint16Array;

  constructor(relativeAccuracy: number) {
    const gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    const k = Math.ceil(Math.log(2) / Math.log(gamma));
    this.perBinade = k + 1;
    this.bounds = new Float64Array(this.perBinade);
    for (let j = 0; j < this.perBinade; j++) this.bounds[j] = Math.min(2, Math.pow(gamma, j));
    this.bounds[k] = 2;
    this.start = new Uint16Array(TABLE_SIZE);
    let j = 0;
    for (let c = 0; c < TABLE_SIZE; c++) {
      const m = 1 + c / TABLE_SIZE;
      while (this.bounds[j]! < m) j++;
      this.start[c] = j;
    }
  }

  /** Bucket index of a normal positive double (callers route tiny values elsewhere). */
  index(value: number): number {
    scratch[0] = value;
    const hi = words[HI]!;
    const exponent = (hi >>> 20) - 1023;
    const mantissa = 1 + ((hi & 0xfffff) * TWO_32 + words[LO]!) / TWO_52;
    let j = this.start[(hi >>> (20 - TABLE_BITS)) & (TABLE_SIZE - 1)]!;
    if (mantissa > this.bounds[j]!) j++;
    return exponent * this.perBinade + j;
  }

  /** The value that stands for bucket `index`: within α of every value the bucket holds. */
  value(index: number): number {
    const exponent = Math.floor(index / this.perBinade);
    const j = index - exponent * this.perBinade;
    const scale = Math.pow(2, exponent);
    if (j === 0) return scale; // bucket 0 of a binade holds exactly 2^e
    const a = this.bounds[j - 1]!;
    const b = this.bounds[j]!;
    return (scale * 2 * a * b) / (a + b);
  }
}
