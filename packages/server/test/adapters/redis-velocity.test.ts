import { createFraudScorer } from '@shoplog/core';
import type { VelocityHit } from '@shoplog/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisRateLimiter, createRedisVelocityStore } from '../../src/adapters/redis/index.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './redis-env.js';

/** A hit on counter `C#0` for `value` (the scorer's shape; the Redis key is `<counter>|<value>`). */
const h = (value: string, windowMs: number, weight: number): VelocityHit => ({
  counter: 'C#0',
  dimension: 'test',
  value,
  slot: 0,
  windowMs,
  weight,
});

const prefixes: string[] = [];
const prefix = (): string => {
  const p = uniquePrefix();
  prefixes.push(p);
  return p;
};
afterEach(async () => {
  await Promise.all(prefixes.splice(0).map(deletePrefix));
});

describe.skipIf(!REDIS_URL)('Redis velocity store', () => {
  it('counts hits in a sliding window: the count before each hit, then forgets old hits', async () => {
    const store = createRedisVelocityStore({ url: REDIS_URL, keyPrefix: prefix() });
    const t0 = 1_000_000;
    const hit = (now: number) => store.hit([h('user:u1', 60_000, 1)], now);
    expect(await hit(t0)).toEqual([0]);
    expect(await hit(t0 + 1_000)).toEqual([1]);
    expect(await hit(t0 + 2_000)).toEqual([2]);
    // A read (weight 0) does not count itself.
    expect(await store.hit([h('user:u1', 60_000, 0)], t0 + 3_000)).toEqual([3]);
    expect(await store.hit([h('user:u1', 60_000, 0)], t0 + 3_000)).toEqual([3]);
    // Two windows later every hit has left the window.
    expect(await hit(t0 + 130_000)).toEqual([0]);
    await store.close();
  });

  it('keeps keys and windows apart, and sums weights (amount velocity)', async () => {
    const store = createRedisVelocityStore({ url: REDIS_URL, keyPrefix: prefix() });
    const now = 5_000_000;
    const first = await store.hit(
      [h('card:c1', 3_600_000, 1), h('card:c1:amount', 3_600_000, 99.5), h('ip:1.2.3.4', 300_000, 1)],
      now,
    );
    expect(first).toEqual([0, 0, 0]);
    const second = await store.hit(
      [h('card:c1', 3_600_000, 1), h('card:c1:amount', 3_600_000, 0.25), h('card:c2', 3_600_000, 1)],
      now + 10,
    );
    expect(second).toEqual([1, 99.5, 0]);
    await store.close();
  });

  it('is atomic across instances: concurrent scorers never both see the same count', async () => {
    const keyPrefix = prefix();
    const a = createRedisVelocityStore({ url: REDIS_URL, keyPrefix });
    const b = createRedisVelocityStore({ url: REDIS_URL, keyPrefix });
    const now = 9_000_000;
    const calls = Array.from({ length: 100 }, (_, i) =>
      (i % 2 ? a : b).hit([h('email:x@example.com', 60_000, 1)], now),
    );
    const seen = (await Promise.all(calls)).map(([count]) => count!).sort((x, y) => x - y);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps running statistics of a series equal to the exact mean and variance', async () => {
    const store = createRedisVelocityStore({ url: REDIS_URL, keyPrefix: prefix() });
    expect(await store.stats('amounts:u1')).toBeUndefined();
    const values = [12.5, 80, 33.25, 150, 7];
    for (const value of values) await store.observe('amounts:u1', value, 0);
    const stats = await store.stats('amounts:u1');
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const m2 = values.reduce((s, v) => s + (v - mean) ** 2, 0);
    expect(stats?.count).toBe(5);
    expect(stats?.mean).toBeCloseTo(mean, 9);
    expect(stats?.m2).toBeCloseTo(m2, 6);
    await store.close();
  });

  it('lets two fraud scorers (two server instances) share velocity: the burst is seen across them', async () => {
    const keyPrefix = prefix();
    const storeA = createRedisVelocityStore({ url: REDIS_URL, keyPrefix });
    const storeB = createRedisVelocityStore({ url: REDIS_URL, keyPrefix });
    const rules = { VELOCITY_USER: { params: { max: 2, windowMs: 600_000 } } };
    const a = createFraudScorer({ store: storeA, rules });
    const b = createFraudScorer({ store: storeB, rules });
    const t0 = Date.parse('2026-11-26T10:00:00Z');
    const input = { userId: 'u-burst', amount: 2500, currency: 'EUR', timestamp: t0 };
    const codes = async (scorer: typeof a, ms: number) =>
      (await scorer.score({ ...input, timestamp: t0 + ms })).reasons.map((r) => r.code);
    expect(await codes(a, 0)).not.toContain('VELOCITY_USER');
    expect(await codes(b, 1_000)).not.toContain('VELOCITY_USER');
    // Third purchase within 10 minutes, on instance A: over the limit of 2 because B's hit is shared.
    expect(await codes(a, 2_000)).toContain('VELOCITY_USER');
    // A scorer on its own in-memory store would not have seen it.
    expect(
      (await createFraudScorer({ rules }).score({ ...input, timestamp: t0 + 2_000 })).reasons.map((r) => r.code),
    ).not.toContain('VELOCITY_USER');
    await Promise.all([storeA.close(), storeB.close()]);
  });

  it('rejects bad options by name', () => {
    expect(() => createRedisVelocityStore({ url: REDIS_URL, slots: 1 })).toThrow(
      /createRedisVelocityStore: invalid options: slots: /,
    );
  });
});

describe.skipIf(!REDIS_URL)('Redis rate limiter', () => {
  it('allows `limit` requests per window, then refuses with a retry delay', async () => {
    const limiter = createRedisRateLimiter({ url: REDIS_URL, keyPrefix: prefix(), limit: 3, windowMs: 60_000 });
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.consume('key:k1'));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    expect(decisions[3]!.retryAfterMs).toBeGreaterThan(0);
    expect(decisions[3]!.retryAfterMs).toBeLessThanOrEqual(60_000 + 6_000);
    // Another key has its own budget.
    expect((await limiter.consume('key:k2')).allowed).toBe(true);
    await limiter.close();
  });

  it('shares one budget between instances under concurrency', async () => {
    const keyPrefix = prefix();
    const a = createRedisRateLimiter({ url: REDIS_URL, keyPrefix, limit: 25, windowMs: 60_000 });
    const b = createRedisRateLimiter({ url: REDIS_URL, keyPrefix, limit: 25, windowMs: 60_000 });
    const decisions = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).consume('ingest:key1')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a cost larger than what is left without taking it', async () => {
    const limiter = createRedisRateLimiter({ url: REDIS_URL, keyPrefix: prefix(), limit: 10, windowMs: 60_000 });
    expect((await limiter.consume('bulk', 8)).allowed).toBe(true);
    expect((await limiter.consume('bulk', 5)).allowed).toBe(false);
    expect(await limiter.consume('bulk', 2)).toMatchObject({ allowed: true, remaining: 0 });
    await limiter.close();
  });
});
