import { createRandom, isJsonPlain, jsonString } from '@shoplog/core';
import { describe, expect, it } from 'vitest';

describe('jsonString and isJsonPlain', () => {
  it('write every string as JSON.stringify does: quotes, backslashes, controls, unicode, lone surrogates', () => {
    const random = createRandom(99);
    const special = [0x22, 0x5c, 0x2f, 0x7f, 0x2028, 0x2029, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfeff, 0xffff];
    for (let n = 0; n < 20_000; n++) {
      const len = Math.floor(random.next() * 12);
      let s = '';
      for (let i = 0; i < len; i++) {
        const r = random.next();
        const code =
          r < 0.3
            ? 0x20 + Math.floor(random.next() * 95)
            : r < 0.5
              ? Math.floor(random.next() * 0x20)
              : r < 0.7
                ? (special[Math.floor(random.next() * special.length)] as number)
                : Math.floor(random.next() * 0x10000);
        s += String.fromCharCode(code);
      }
      expect(jsonString(s)).toBe(JSON.stringify(s));
      // Plain exactly when JSON.stringify writes the string's own characters between quotes.
      if (isJsonPlain(s)) expect(JSON.stringify(s)).toBe(`"${s}"`);
      // A range of a longer text answers for that range only.
      expect(isJsonPlain(`\\${s}"`, 1, s.length + 1)).toBe(isJsonPlain(s));
    }
    expect(jsonString('')).toBe('""');
    expect(jsonString('😀')).toBe(JSON.stringify('😀'));
    expect(isJsonPlain('a"b')).toBe(false);
  });
});
