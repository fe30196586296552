import { randomFillSync } from 'node:crypto';

// Ids are minted on every request (request id, trace id, span id): one `randomFillSync` per 4 KiB pool instead
// of one entropy call per id keeps them off the profile. Node-only, so it lives here rather than in core (which
// has no Node built-ins and offers `randomHex` for other runtimes).
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

function take(bytes: number): number {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}

// A plain loop: `subarray().every()` allocated a view and a closure on every request.
function nonZero(at: number, bytes: number): boolean {
  for (let i = at; i < at + bytes; i++) if (pool[i] !== 0) return true;
  return false;
}

/** Random lower-case hex of `bytes` bytes, never all zeros (W3C trace and span ids must not be). */
export function randomIdHex(bytes: 8 | 16): string {
  const at = take(bytes);
  return nonZero(at, bytes) ? pool.toString('hex', at, at + bytes) : randomIdHex(bytes);
}

/**
 * A new trace id and span id as one string of 48 lower-case hex digits (32 for the trace, then 16 for the span,
 * neither all zeros): every request that starts a trace needs both, and one conversion costs half of two.
 */
export function randomTraceSpanHex(): string {
  const at = take(24);
  return nonZero(at, 16) && nonZero(at + 16, 8) ? pool.toString('hex', at, at + 24) : randomTraceSpanHex();
}

// A request id is 36 characters: built from character codes into one flat string, where slicing the hex and
// joining the groups with a template made about ten short-lived strings per request.
const DIGITS = '0123456789abcdef';
const DASH = 45;
const codes: number[] = new Array<number>(36).fill(DASH);
const GROUP_STARTS = [0, 9, 14, 19, 24];
const GROUP_BYTES = [4, 2, 2, 2, 6];

/** A random UUID (version 4), for request ids. */
export function randomRequestId(): string {
  const at = take(16);
  pool[at + 6] = ((pool[at + 6] ?? 0) & 0x0f) | 0x40;
  pool[at + 8] = ((pool[at + 8] ?? 0) & 0x3f) | 0x80;
  let byte = at;
  for (let g = 0; g < 5; g++) {
    let c = GROUP_STARTS[g] as number;
    for (let n = GROUP_BYTES[g] as number; n > 0; n--) {
      const b = pool[byte++] ?? 0;
      codes[c++] = DIGITS.charCodeAt(b >>> 4);
      codes[c++] = DIGITS.charCodeAt(b & 0x0f);
    }
  }
  return String.fromCharCode.apply(null, codes);
}
