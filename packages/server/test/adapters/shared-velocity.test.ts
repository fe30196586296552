/**
 * Fraud velocity across instances: two servers whose `velocity` is one Redis store see each other's transactions
 * through `POST /api/fraud/detect`; two servers on their own in-process stores do not. The servers score with the
 * rules alone (noisy-OR): the per-user velocity rule is what this tests (the learned model does not run it).
 */
import { createFraudScorer, createMemoryVelocityStore, type VelocityStore } from '@shoplog/core';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisVelocityStore, type RedisVelocityStore } from '../../src/adapters/redis/index.js';
import { startTestServer, type TestServer } from '../helpers.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './redis-env.js';

interface Scored {
  score: number;
  reasons: { code: string }[];
}

const rulesOn = (store: VelocityStore) => createFraudScorer({ store, combine: 'noisy-or' });

async function detect(t: TestServer, userId: string): Promise<Scored> {
  const res = await t.call('/api/fraud/detect', {
    key: t.keys.ingest,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, amount: 2500, currency: 'EUR' }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Scored;
}

/** Five transactions of one user on `a` (the default limit), then a sixth on `b`: the reasons `b` gives it. */
async function sixthOnOther(a: TestServer, b: TestServer): Promise<string[]> {
  const user = `u-${randomUUID()}`;
  for (let i = 0; i < 5; i++) expect((await detect(a, user)).reasons.map((r) => r.code)).not.toContain('VELOCITY_USER');
  return (await detect(b, user)).reasons.map((r) => r.code);
}

describe('fraud velocity per instance (in-process stores)', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    [a, b] = await Promise.all([
      startTestServer({ fraudScorer: rulesOn(createMemoryVelocityStore()) }),
      startTestServer({ fraudScorer: rulesOn(createMemoryVelocityStore()) }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('builds velocity on one server only', async () => {
    expect(await sixthOnOther(a, b)).not.toContain('VELOCITY_USER');
    // The same server does see it: the sixth on `a` is flagged.
    const user = `u-${randomUUID()}`;
    for (let i = 0; i < 5; i++) await detect(a, user);
    expect((await detect(a, user)).reasons.map((r) => r.code)).toContain('VELOCITY_USER');
  });
});

describe.skipIf(!REDIS_URL)('fraud velocity shared through Redis', () => {
  const prefix = uniquePrefix();
  let stores: RedisVelocityStore[] = [];
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    // One connection per instance, as two processes would have.
    stores = [
      createRedisVelocityStore({ url: REDIS_URL, keyPrefix: prefix }),
      createRedisVelocityStore({ url: REDIS_URL, keyPrefix: prefix }),
    ];
    [a, b] = await Promise.all([
      startTestServer({ velocity: stores[0], fraudScorer: rulesOn(stores[0]!) }),
      startTestServer({ velocity: stores[1], fraudScorer: rulesOn(stores[1]!) }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all(stores.map((s) => s.close()));
    await deletePrefix(prefix);
  });

  it('flags on server B the sixth transaction of a user after five on server A', async () => {
    expect(await sixthOnOther(a, b)).toContain('VELOCITY_USER');
  });
});
