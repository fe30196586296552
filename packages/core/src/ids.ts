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
// Character codes of the hex digits of each byte (2 per byte), and one reused array of the 36 codes of an id:
// joining 20 two-character strings built a rope of ~16 cons strings per id (≈ 480 bytes, then flattened again
// when serialised); `String.fromCharCode` over the codes makes one flat string.
const HEX_CODES = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  HEX_CODES[2 * i] = (HEX[i] as string).charCodeAt(0);
  HEX_CODES[2 * i + 1] = (HEX[i] as string).charCodeAt(1);
}
const DASH = 45;
const codes: number[] = new Array<number>(36).fill(DASH);

function put(at: number, byte: number): void {
  const i = (byte & 0xff) * 2;
  codes[at] = HEX_CODES[i] as number;
  codes[at + 1] = HEX_CODES[i + 1] as number;
}
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
  put(0, Math.floor(ms / 2 ** 40));
  put(2, Math.floor(ms / 2 ** 32));
  put(4, ms >>> 24);
  put(6, ms >>> 16);
  put(9, ms >>> 8);
  put(11, ms);
  put(14, 0x70 | (counter >>> 8));
  put(16, counter);
  put(19, 0x80 | ((pool[r] ?? 0) & 0x3f));
  put(21, pool[r + 1] ?? 0);
  for (let k = 0; k < 6; k++) put(24 + 2 * k, pool[r + 2 + k] ?? 0);
  return String.fromCharCode.apply(null, codes);
}

/** Random lower-case hex of `byteLength` bytes (trace ids: 16, span ids: 8). Never all zeros. */
export function randomHex(byteLength: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(byteLength));
  let out = '';
  for (const b of buf) out += HEX[b];
  return /^0+$/.test(out) ? randomHex(byteLength) : out;
}
