// Web Crypto is global in Node >= 19, workers and edge runtimes; core uses no Node built-ins.
declare const crypto: { getRandomValues<T extends Uint8Array>(array: T): T };

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
// getRandomValues per id costs more than the rest of uuidv7: draw random bytes in blocks and hand out 16 at a time
// (read in place: a subarray view per id showed up in the profiles).
const pool = new Uint8Array(4096);
let poolAt = pool.length;

/** Offset in `pool` of `n` fresh random bytes. */
function takeRandom(n: number): number {
  if (poolAt + n > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += n;
  return at;
}
const h = (b: number): string => HEX[b & 0xff] as string;
let lastMs = -1;
let counter = 0;

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a 12-bit counter that keeps ids minted in the same
 * millisecond in order, then random bits. Ids sort by creation time within one process.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = 0;
  } else if (++counter > 0xfff) {
    // Counter exhausted in this millisecond: borrow the next one so order is still kept.
    lastMs += 1;
    counter = 0;
  }
  const r = takeRandom(8);
  const ms = lastMs;
  return (
    h(Math.floor(ms / 2 ** 40)) + h(Math.floor(ms / 2 ** 32)) + h(ms >>> 24) + h(ms >>> 16) + '-' +
    h(ms >>> 8) + h(ms) + '-' +
    h(0x70 | (counter >>> 8)) + h(counter) + '-' +
    h(0x80 | ((pool[r] ?? 0) & 0x3f)) + h(pool[r + 1] ?? 0) + '-' +
    h(pool[r + 2] ?? 0) + h(pool[r + 3] ?? 0) + h(pool[r + 4] ?? 0) + h(pool[r + 5] ?? 0) + h(pool[r + 6] ?? 0) + h(pool[r + 7] ?? 0)
  );
}

/** Random lower-case hex of `byteLength` bytes (trace ids: 16, span ids: 8). Never all zeros. */
export function randomHex(byteLength: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(byteLength));
  let out = '';
  for (const b of buf) out += HEX[b];
  return /^0+$/.test(out) ? randomHex(byteLength) : out;
}
