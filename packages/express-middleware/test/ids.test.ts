import { describe, expect, it } from 'vitest';
import { randomIdHex, randomRequestId, randomTraceSpanHex } from '../src/ids.js';

// Request ids are built from character codes out of the random pool: they must stay RFC 9562 version-4 UUIDs.
describe('randomRequestId', () => {
  it('gives distinct version-4 UUIDs in lower-case hex', () => {
    const ids = Array.from({ length: 2000 }, () => randomRequestId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses every hex digit in every random position (no digit stuck by the encoding)', () => {
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 4000; i++) [...randomRequestId()].forEach((ch, at) => seen[at]?.add(ch));
    const sizes = seen.map((s) => s.size);
    // Dashes, then the version digit (always 4) and the variant digit (8, 9, a or b); every other position is random.
    expect(sizes).toEqual(sizes.map((_, at) => ([8, 13, 18, 23, 14].includes(at) ? 1 : at === 19 ? 4 : 16)));
  });
});

describe('randomIdHex', () => {
  it('gives trace ids of 32 and span ids of 16 lower-case hex digits, never all zeros', () => {
    for (let i = 0; i < 1000; i++) {
      expect(randomIdHex(16)).toMatch(/^(?!0+$)[0-9a-f]{32}$/);
      expect(randomIdHex(8)).toMatch(/^(?!0+$)[0-9a-f]{16}$/);
    }
  });
});

describe('randomTraceSpanHex', () => {
  it('gives a trace id (32 hex) then a span id (16 hex), neither all zeros, and every digit in every position', () => {
    const seen = Array.from({ length: 48 }, () => new Set<string>());
    const all = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const hex = randomTraceSpanHex();
      expect(hex).toMatch(/^[0-9a-f]{48}$/);
      expect(hex.slice(0, 32)).not.toMatch(/^0+$/);
      expect(hex.slice(32)).not.toMatch(/^0+$/);
      [...hex].forEach((ch, at) => seen[at]?.add(ch));
      all.add(hex);
    }
    expect(all.size).toBe(2000);
    expect(seen.map((s) => s.size)).toEqual(Array.from({ length: 48 }, () => 16));
  });
});
