/**
 * Erasure end to end (GDPR art. 17): ingest over HTTP, erase through the admin API, then search, text search, the
 * user filter, get-by-id and autocomplete find nothing of the person, the audit record is there without the
 * identifier, and with a Redis velocity store the person's fraud state is gone too.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createFraudScorer, fraudStateKeys, STATE_KINDS, type ShoplogEvent } from '@shoplog/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Child processes, real file systems and several stores: slow on a loaded machine (no timing is asserted).
vi.setConfig({ testTimeout: 120_000 });
import {
  createRedisFraudStateStore,
  createRedisVelocityStore,
  type RedisVelocityStore,
} from '../src/adapters/redis/index.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './adapters/redis-env.js';
import { bulkAll, startTestServer, txEvent, type TestServer } from './helpers.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const t of servers.splice(0)) await t.close();
});

const person = (user: string, email: string, message: string): ShoplogEvent =>
  ({ ...txEvent({ user, message }), user: { id: user, email } }) as ShoplogEvent;

async function ingest(t: TestServer, events: ShoplogEvent[]): Promise<void> {
  expect((await bulkAll(t, events)).created).toBe(events.length);
}

const total = async (t: TestServer, path: string): Promise<number> =>
  (await t.read<{ data: { total: number } }>(path)).data.total;

const erase = (t: TestServer, body: unknown, key = t.keys.admin) =>
  t.call('/api/admin/erase', {
    key,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('erasure (admin API)', () => {
  it('erases every event of an e-mail address and of its user id; search, text search and autocomplete find nothing; the audit record has no identifier', async () => {
    const t = await startTestServer();
    servers.push(t);
    const mine = [
      person('eve-99', 'Eve.Martin@example.fr', 'eve ordered a lamp'),
      person('eve-99', 'eve.martin@example.fr', 'eve paid by card'),
    ];
    const sameUserNoMail = txEvent({ user: 'eve-99', message: 'eve viewed the basket' });
    const others = [txEvent({ user: 'frank', message: 'frank ordered a lamp' })];
    await ingest(t, [...mine, sameUserNoMail, ...others]);

    expect((await erase(t, { email: 'eve.martin@example.fr' }, t.keys.read)).status).toBe(403);
    const bad = await erase(t, { email: 'not an address' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues[0]!.path).toBe('email');
    expect((await erase(t, { user_id: 'x', email: 'a@b.c' })).status).toBe(400);

    const res = await erase(t, { email: 'EVE.MARTIN@example.fr' });
    expect(res.status).toBe(200);
    const record = (await res.json()) as {
      actor: string;
      subject: { type: string; hash: string };
      counts: { events: number };
    };
    expect(record.counts.events).toBe(3);
    expect(record.subject.type).toBe('email');
    expect(record.subject.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(record.actor).toMatch(/^key:bootstrap/);

    expect(await total(t, '/api/search/?q=eve&range=all')).toBe(0);
    expect(await total(t, '/api/search/?q=lamp&range=all')).toBe(1);
    expect(await total(t, '/api/search/?user_id=eve-99&range=all')).toBe(0);
    expect(await total(t, '/api/search/?range=24h')).toBe(1);
    expect((await t.call(`/api/logs/${mine[0]!.event.id}`, { key: t.keys.read })).status).toBe(404);

    const audit = await t.read<{ records: unknown[] }>('/api/admin/audit').catch(() => undefined);
    expect(audit).toBeUndefined(); // read keys cannot list it
    const listed = (await (await t.call('/api/admin/audit')).json()) as {
      records: { subject: { hash: string }; counts: { events: number } }[];
    };
    expect(listed.records).toHaveLength(1);
    expect(listed.records[0]!.subject.hash).toBe(record.subject.hash);
    expect(JSON.stringify(listed)).not.toMatch(/eve\.martin|eve-99/i);
    // The same subject hashes the same way (to answer "was this person erased?"), another one not.
    const again = (await (await erase(t, { email: 'eve.martin@example.fr' })).json()) as {
      subject: { hash: string };
      counts: { events: number };
    };
    expect(again.subject.hash).toBe(record.subject.hash);
    expect(again.counts.events).toBe(0);
    const other = (await (await erase(t, { user_id: 'frank' })).json()) as {
      subject: { hash: string };
      counts: { events: number };
    };
    expect(other.subject.hash).not.toBe(record.subject.hash);
    expect(other.counts.events).toBe(1);
  });

  it.skipIf(!REDIS_URL)("erases the person's fraud velocity and amount history in Redis", async () => {
    const prefix = uniquePrefix();
    const velocity: RedisVelocityStore = createRedisVelocityStore({ url: REDIS_URL!, keyPrefix: prefix });
    // The rules alone keep per-person velocity counters and amount histories (the model's rules do not): what this tests.
    const t = await startTestServer({
      velocity,
      fraudScorer: createFraudScorer({ store: velocity, combine: 'noisy-or' }),
    });
    servers.push(t);
    const user = `u-${randomUUID()}`;
    for (let i = 0; i < 3; i++) {
      const res = await t.call('/api/fraud/detect', {
        key: t.keys.ingest,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: user, email: 'grace@example.com', amount: 2500, currency: 'EUR' }),
      });
      expect(res.status).toBe(200);
    }
    await ingest(t, [person(user, 'grace@example.com', 'grace bought a kettle')]);
    const redis = new Redis(REDIS_URL!);
    const keys = async () =>
      (await redis.keys(`${prefix}*`)).filter((key) => key.includes(user) || key.includes('grace@example.com'));
    try {
      expect((await keys()).length).toBeGreaterThan(0);
      const record = (await (await erase(t, { email: 'grace@example.com' })).json()) as {
        counts: { events: number; fraud_state: number };
      };
      // The transaction, and the fraud alert the server's scoring stored for it (the same user).
      expect(record.counts.events).toBeGreaterThanOrEqual(1);
      expect(await total(t, `/api/search/?user_id=${user}&range=all`)).toBe(0);
      expect(record.counts.fraud_state).toBeGreaterThan(0);
      expect(await keys()).toEqual([]);
    } finally {
      await redis.quit();
      await velocity.close();
      await deletePrefix(prefix);
    }
  });

  const DAY = 86_400_000;
  const PHONE =
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
  const detect = async (t: TestServer, body: Record<string, unknown>) => {
    const res = await t.call('/api/fraud/detect', {
      key: t.keys.ingest,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { decision: string };
  };
  /** A month of one customer's orders (as ingest or detect would score them), then an order on a new card and phone. */
  const history = async (t: TestServer, userId: string, email: string) => {
    const base = {
      userId,
      email,
      currency: 'EUR',
      ipCountry: 'FR',
      billingCountry: 'FR',
      issuerCountry: 'FR',
      status: 'completed',
    };
    const start = Date.now() - 40 * DAY;
    for (let d = 0; d < 30; d++)
      await detect(t, {
        ...base,
        amount: 3000 + (d % 5) * 500,
        cardFingerprint: 'fp-1',
        ip: '203.0.113.5',
        timestamp: start + d * DAY,
      });
    return {
      ...base,
      amount: 90_000,
      cardFingerprint: 'fp-2',
      userAgent: PHONE,
      ip: '198.51.100.9',
      timestamp: start + 31 * DAY,
    };
  };

  it("erases the person's fraud profile in the server's memory: their next order is judged as a new customer's", async () => {
    const t = await startTestServer();
    servers.push(t);
    const takeover = await history(t, 'ida-7', 'ida@example.com');
    await ingest(t, [person('ida-7', 'ida@example.com', 'ida bought a kettle')]);
    // With the month of history, a large order on a new card and a new phone is a takeover.
    expect((await detect(t, takeover)).decision).toBe('block');
    const record = (await (await erase(t, { user_id: 'ida-7' })).json()) as {
      counts: { events: number; fraud_state: number | null };
    };
    expect(record.counts.events).toBeGreaterThanOrEqual(1);
    // The account and its mailbox.
    expect(record.counts.fraud_state).toBe(2);
    // Forgotten: the same order is now a first order of an unknown account.
    expect((await detect(t, { ...takeover, transactionId: 'after' })).decision).toBe('allow');
  });

  it.skipIf(!REDIS_URL)(
    "erases the person's fraud profile in Redis (account and mailbox records), and only theirs",
    async () => {
      const prefix = uniquePrefix();
      const fraudState = createRedisFraudStateStore({ url: REDIS_URL!, keyPrefix: prefix });
      const t = await startTestServer({ fraudState });
      servers.push(t);
      const user = `u-${randomUUID()}`;
      await history(t, user, 'judy@example.com');
      await history(t, 'other-user', 'other@example.com');
      await ingest(t, [person(user, 'judy@example.com', 'judy bought a kettle')]);
      const redis = new Redis(REDIS_URL!);
      const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
      const keyOf = (k: { kind: number; hi: number; lo: number }) =>
        `${prefix}fraud:${STATE_KINDS[k.kind]}:${hex(k.hi)}${hex(k.lo)}`;
      const judy = fraudStateKeys({ userIds: [user], emails: ['judy@example.com'] }).map(keyOf);
      const other = fraudStateKeys({ userIds: ['other-user'], emails: ['other@example.com'] }).map(keyOf);
      try {
        expect(await redis.exists(...judy)).toBe(2);
        const record = (await (await erase(t, { email: 'judy@example.com' })).json()) as {
          counts: { fraud_state: number };
        };
        expect(record.counts.fraud_state).toBe(2);
        expect(await redis.exists(...judy)).toBe(0);
        expect(await redis.exists(...other)).toBe(2);
      } finally {
        await redis.quit();
        await t.close();
        servers.splice(servers.indexOf(t), 1);
        await fraudState.close();
        await deletePrefix(prefix);
      }
    },
  );
});
