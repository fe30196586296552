/**
 * The Redis fraud profile store: judges exactly as core's in-memory store (also with many scorings of one account in
 * flight at once), keeps fixed-size records under hashed keys with an expiry, and erases a person's records.
 */
import { Redis } from 'ioredis';
import {
  createFraudScorer,
  createMemoryFraudStateStore,
  createTrafficGenerator,
  fraudStateKeys,
  RECORD_WORDS,
  STATE_KINDS,
  type FraudResult,
} from '@shoplog/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisFraudStateStore } from '../../src/adapters/redis/index.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './redis-env.js';

const prefixes: string[] = [];
const prefix = (): string => {
  const p = uniquePrefix();
  prefixes.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(prefixes.splice(0).map(deletePrefix));
});

const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

describe.skipIf(!REDIS_URL)('Redis fraud state store', () => {
  it('judges as the in-memory store, with every scoring of a batch in flight at once (chained per key, none lost)', async () => {
    const store = createRedisFraudStateStore({ url: REDIS_URL, keyPrefix: prefix() });
    const traffic = createTrafficGenerator({ seed: 12, customers: 1500, fraudRate: 0.2 })
      .takeDays(6)
      .map((t) => t.input);
    const memory = createFraudScorer({ profileStore: createMemoryFraudStateStore() });
    const shared = createFraudScorer({ profileStore: store });
    expect(shared.sync).toBe(false);
    const expected = traffic.map((input) => memory.scoreSync(input));
    // Batches of 200 scored concurrently, as ingest scores a bulk request: same account, IP, card and shop records
    // are read and written by many scorings at once.
    const got: FraudResult[] = [];
    for (let i = 0; i < traffic.length; i += 200)
      got.push(...(await Promise.all(traffic.slice(i, i + 200).map((input) => shared.score(input)))));
    expect(got.filter((r) => r.error)).toEqual([]);
    expect(got).toEqual(expected);
    expect(expected.filter((r) => r.decision !== 'allow').length).toBeGreaterThan(10);
    await store.close();
  });

  it("stores fixed-size records under hashed keys, each with an expiry; erases a person's account and mailbox", async () => {
    const keyPrefix = prefix();
    const store = createRedisFraudStateStore({
      url: REDIS_URL,
      keyPrefix,
      accountTtlMs: 3_600_000,
      entityTtlMs: 1_800_000,
      shopTtlMs: 600_000,
    });
    const scorer = createFraudScorer({ profileStore: store });
    const email = 'Grace.Hopper+shop@gmail.com';
    await scorer.score({
      userId: 'grace-1',
      email,
      ip: '203.0.113.9',
      cardFingerprint: 'fp-grace',
      amount: 4200,
      currency: 'EUR',
    });
    const redis = new Redis(REDIS_URL!);
    try {
      const keys = await redis.keys(`${keyPrefix}*`);
      // Account, IP, card, mailbox, domain, shop: no identifier in a key.
      expect(keys.map((k) => k.slice(keyPrefix.length).split(':').slice(0, 2).join(':')).sort()).toEqual(
        ['account', 'card', 'domain', 'email', 'ip', 'shop'].map((kind) => `fraud:${kind}`),
      );
      expect(keys.join(' ')).not.toMatch(/grace|203\.0\.113|fp-|gmail/i);
      for (const key of keys) {
        const kind = key.slice(keyPrefix.length).split(':')[1]!;
        expect(await redis.strlen(key)).toBe(
          RECORD_WORDS[STATE_KINDS.indexOf(kind as (typeof STATE_KINDS)[number])]! * 4,
        );
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(kind === 'account' ? 3_600_000 : kind === 'shop' ? 600_000 : 1_800_000);
      }
      const person = fraudStateKeys({ userIds: ['grace-1'], emails: ['gracehopper@gmail.com'] });
      const named = person.map((k) => `${keyPrefix}fraud:${STATE_KINDS[k.kind]}:${hex(k.hi)}${hex(k.lo)}`);
      expect(keys).toEqual(expect.arrayContaining(named));
      expect(await store.erase(person)).toBe(2);
      expect(await redis.exists(...named)).toBe(0);
      expect(await redis.keys(`${keyPrefix}*`)).toHaveLength(keys.length - 2);
    } finally {
      await redis.quit();
      await store.close();
    }
  });

  it('rejects bad options naming them', () => {
    expect(() => createRedisFraudStateStore({ url: 'http://nope' })).toThrow(/url/);
    expect(() => createRedisFraudStateStore({ url: REDIS_URL, accountTtlMs: -1 })).toThrow(/accountTtlMs/);
  });
});
