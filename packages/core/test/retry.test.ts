import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '@shoplog/core';

describe('retry decisions', () => {
  it('backs off exponentially with full jitter, up to the largest delay', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 40].map((n) => backoffDelay(n, { ...options, random: () => 0.5 }))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    expect(backoffDelay(3, { ...options, random: () => 0 })).toBe(0);
  });

  it('never retries sooner than Retry-After, and caps it', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 };
    expect(backoffDelay(1, options, 7000)).toBe(7000);
    expect(backoffDelay(4, options, 10)).toBe(400);
    expect(backoffDelay(1, options, 3_600_000)).toBe(300_000);
    expect(backoffDelay(1, { ...options, maxRetryAfterMs: 60_000 }, 3_600_000)).toBe(60_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
