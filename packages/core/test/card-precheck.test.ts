import { describe, expect, it } from 'vitest';
import { createRandom, maskCardNumbers } from '@shoplog/core';
import { mayHoldCardNumber } from '../src/redact/card-numbers.js';

// The pre-check that keeps the card regex off most strings skips ahead 13 characters at a time; it must answer as
// the straightforward scan it replaced (kept here as the reference) on every string.
function linear(text: string): boolean {
  let run = 0;
  let sep = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++run >= 13) return true;
      sep = false;
    } else if ((c === 32 || c === 45) && run > 0 && !sep) sep = true;
    else {
      run = 0;
      sep = false;
    }
  }
  return false;
}

describe('card-number pre-check', () => {
  it('answers as the linear scan on 50,000 seeded strings of digits, separators and letters', () => {
    const r = createRandom(13);
    const alphabets = ['0123456789', '0123456789 -', '0123456789 -ab', '0123456789  --x', 'abcdef0123456789-'];
    let hits = 0;
    for (let n = 0; n < 50_000; n++) {
      const alphabet = r.pick(alphabets);
      const length = r.int(0, 60);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet[r.int(0, alphabet.length - 1)];
      const expected = linear(text);
      expect(mayHoldCardNumber(text), JSON.stringify(text)).toBe(expected);
      if (expected) hits++;
    }
    expect(hits).toBeGreaterThan(5_000);
    expect(hits).toBeLessThan(45_000);
  });

  it('still finds a card number anywhere in a long text', () => {
    const filler = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 ';
    for (let at = 0; at < filler.length; at++) {
      const text = `${filler.slice(0, at)}|4242 4242 4242 4242|${filler.slice(at)}`;
      expect(maskCardNumbers(text)).toBe(`${filler.slice(0, at)}|**** **** **** 4242|${filler.slice(at)}`);
    }
  });
});
