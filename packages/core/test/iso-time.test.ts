import { createRandom, isoTime, isoTimeOfText } from '@shoplog/core';
import { describe, expect, it } from 'vitest';

const T0 = Date.UTC(2026, 10, 26, 17, 0, 0, 0);

describe('isoTime', () => {
  it('gives toISOString of each millisecond, also when asked again or out of order', () => {
    for (const ms of [0, 1_780_000_000_123, 1_780_000_000_123, 1_780_000_000_124, 5])
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('throws on an invalid time, as toISOString does', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1]) {
      expect(() => new Date(bad).toISOString()).toThrow(RangeError);
      expect(() => isoTime(bad)).toThrow(RangeError);
    }
  });

  it('gives toISOString over the whole range, at second and year edges, fractions, and times it leaves to Date', () => {
    const random = createRandom(7);
    const times: number[] = [
      0,
      1,
      9,
      10,
      99,
      100,
      999,
      1000,
      1001,
      59_999,
      60_000,
      253_402_300_799_999,
      253_402_300_800_000,
      -1,
      -0.5,
      0.9,
      999.999,
      -1000,
      -62_198_755_200_000,
      8.64e15,
      -8.64e15,
      1.5,
      1_780_000_000_000.25,
      -0,
      T0 + 0.5,
    ];
    // Mostly in order and within a second (as logs come), sometimes a jump back or anywhere in and beyond 0000–9999.
    let t = T0;
    for (let i = 0; i < 20_000; i++) {
      const r = random.next();
      t =
        r < 0.8
          ? t + Math.floor(random.next() * 3)
          : r < 0.9
            ? t - Math.floor(random.next() * 5000)
            : Math.floor(random.next() * 4e12) + (random.next() < 0.1 ? 0.25 : 0);
      times.push(t);
    }
    for (let i = 0; i < 20_000; i++) times.push(Math.floor((random.next() * 2 - 0.5) * 300_000_000_000_000));
    for (const ms of times) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
  });
});

describe('isoTimeOfText', () => {
  it('gives toISOString of Date.parse for any date text, the cached second included, and undefined for no date', () => {
    const random = createRandom(11);
    let t = T0;
    for (let i = 0; i < 5_000; i++) {
      t += Math.floor(random.next() * 400);
      const iso = new Date(t).toISOString();
      // Canonical text (the cached second's shortcut), an offset, a date without milliseconds, a near-miss of the shape.
      for (const text of [
        iso,
        iso.replace('Z', '+00:00'),
        iso.slice(0, 19) + 'Z',
        iso.slice(0, 23) + 'z',
        iso.slice(0, 20) + 'x12Z',
      ]) {
        const ms = Date.parse(text);
        expect(isoTimeOfText(text), text).toBe(Number.isNaN(ms) ? undefined : new Date(ms).toISOString());
      }
    }
    expect(isoTimeOfText('not a date')).toBeUndefined();
    expect(isoTimeOfText('')).toBeUndefined();
  });
});
