// Web Crypto is global in Node >= 19, workers and edge runtimes; core uses no Node built-ins.
declare const crypto: { getRandomValues<T extends Uint8Array>(array: T): T };

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const bytes = new Uint8Array(16);
// getRandomValues per id costs more than the rest of uuidv7: draw random bytes in blocks and hand out 16 at a time.
const pool = new Uint8Array(4096);
let poolAt = pool.length;

function fillRandom(target: Uint8Array): void {
  if (poolAt + target.length > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  target.set(pool.subarray(poolAt, poolAt + target.length));
  poolAt += target.length;
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
  fillRandom(bytes);
  const ms = lastMs;
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | (counter >>> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  let out = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += HEX[bytes[i] ?? 0];
  }
  return out;
}

/** Random lower-case hex of `byteLength` bytes (trace ids: 16, span ids: 8). Never all zeros. */
export function randomHex(byteLength: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(byteLength));
  let out = '';
  for (const b of buf) out += HEX[b];
  return /^0+$/.test(out) ? randomHex(byteLength) : out;
}
