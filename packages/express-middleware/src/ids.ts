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

/** Random lower-case hex of `bytes` bytes, never all zeros (W3C trace and span ids must not be). */
export function randomIdHex(bytes: 8 | 16): string {
  const at = take(bytes);
  // A plain loop: `subarray().every()` allocated a view and a closure on every request.
  for (let i = at; i < at + bytes; i++) if (pool[i] !== 0) return pool.toString('hex', at, at + bytes);
  return randomIdHex(bytes);
}

/** A random UUID (version 4), for request ids. */
export function randomRequestId(): string {
  const at = take(16);
  pool[at + 6] = ((pool[at + 6] ?? 0) & 0x0f) | 0x40;
  pool[at + 8] = ((pool[at + 8] ?? 0) & 0x3f) | 0x80;
  const hex = pool.toString('hex', at, at + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
