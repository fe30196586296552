/**
 * Erasure end to end (GDPR art. 17): ingest over HTTP, erase through the admin API, then search, text search, the
 * user filter, get-by-id and autocomplete find nothing of the person, the audit record is there without the
 * identifier, and with a Redis velocity store the person's fraud state is gone too.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ShoplogEvent } from '@shoplog/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Child processes, real file systems and several stores: slow on a loaded machine (no timing is asserted).
vi.setConfig({ testTimeout: 120_000 });
import { createRedisVelocityStore, type RedisVelocityStore } from '../src/adapters/redis/index.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './adapters/redis-env.js';
import { startTestServer, txEvent, type TestServer } from './helpers.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const t of servers.splice(0)) await t.close();
});

const person = (user: string, email: string, message: string): ShoplogEvent => ({ ...txEvent({ user, message }), user: { id: user, email } }) as ShoplogEvent;

async function ingest(t: TestServer, events: ShoplogEvent[]): Promise<void> {
  const res = await t.call('/api/logs/_bulk', { key: t.keys.ingest, method: 'POST', body: events.map((e) => JSON.stringify(e)).join('\n') });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { created: number }).created).toBe(events.length);
}

const total = async (t: TestServer, path: string): Promise<number> => (await t.read<{ data: { total: number } }>(path)).data.total;

const erase = (t: TestServer, body: unknown, key = t.keys.admin) =>
  t.call('/api/admin/erase', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('erasure (admin API)', () => {
  it('erases every event of an e-mail address and of its user id; search, text search and autocomplete find nothing; the audit record has no identifier', async () => {
    const t = await startTestServer();
    servers.push(t);
    const mine = [person('eve-99', 'Eve.Martin@example.fr', 'eve ordered a lamp'), person('eve-99', 'eve.martin@example.fr', 'eve paid by card')];
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
    const record = (await res.json()) as { actor: string; subject: { type: string; hash: string }; counts: { events: number } };
    expect(record.counts.events).toBe(3);
    expect(record.subject.type).toBe('email');
    expect(record.subject.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(record.actor).toMatch(/^key:bootstrap/);

    expect(await total(t, '/api/search/?q=eve&range=all')).toBe(0);
    expect((await total(t, '/api/search/?q=lamp&range=all'))).toBe(1);
    expect((await total(t, '/api/search/?user_id=eve-99&range=all'))).toBe(0);
    expect((await total(t, '/api/search/?range=24h'))).toBe(1);
    expect((await t.call(`/api/logs/${mine[0]!.event.id}`, { key: t.keys.read })).status).toBe(404);

    const audit = await t.read<{ records: unknown[] }>('/api/admin/audit').catch(() => undefined);
    expect(audit).toBeUndefined(); // read keys cannot list it
    const listed = (await (await t.call('/api/admin/audit')).json()) as { records: { subject: { hash: string }; counts: { events: number } }[] };
    expect(listed.records).toHaveLength(1);
    expect(listed.records[0]!.subject.hash).toBe(record.subject.hash);
    expect(JSON.stringify(listed)).not.toMatch(/eve\.martin|eve-99/i);
    // The same subject hashes the same way (to answer "was this person erased?"), another one not.
    const again = (await (await erase(t, { email: 'eve.martin@example.fr' })).json()) as { subject: { hash: string }; counts: { events: number } };
    expect(again.subject.hash).toBe(record.subject.hash);
    expect(again.counts.events).toBe(0);
    const other = (await (await erase(t, { user_id: 'frank' })).json()) as { subject: { hash: string }; counts: { events: number } };
    expect(other.subject.hash).not.toBe(record.subject.hash);
    expect(other.counts.events).toBe(1);
  });

  it.skipIf(!REDIS_URL)('erases the person\'s fraud velocity and amount history in Redis', async () => {
    const prefix = uniquePrefix();
    const velocity: RedisVelocityStore = createRedisVelocityStore({ url: REDIS_URL!, keyPrefix: prefix });
    const t = await startTestServer({ velocity });
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
    const keys = async () => (await redis.keys(`${prefix}*`)).filter((key) => key.includes(user) || key.includes('grace@example.com'));
    try {
      expect((await keys()).length).toBeGreaterThan(0);
      const record = (await (await erase(t, { email: 'grace@example.com' })).json()) as { counts: { events: number; fraud_state: number } };
      // The transaction, and the fraud alert the server's scoring stored for it (the same user).
      expect(record.counts.events).toBeGreaterThanOrEqual(1);
      expect((await total(t, `/api/search/?user_id=${user}&range=all`))).toBe(0);
      expect(record.counts.fraud_state).toBeGreaterThan(0);
      expect(await keys()).toEqual([]);
    } finally {
      await redis.quit();
      await velocity.close();
      await deletePrefix(prefix);
    }
  });
});
