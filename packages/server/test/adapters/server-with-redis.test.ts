/**
 * A server whose cache (and live-tail fan-out) is Redis serves the same API answers as one on the embedded
 * LRU cache: both ingest the same events, then every read route is compared, before and after the cache fills,
 * and again after a second ingest (which must invalidate the Redis cache).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShoplogEvent } from '@shoplog/core';
import { createRedisCache, createRedisEventBus } from '../../src/adapters/redis/index.js';
import { createSqliteLogStore, withEventBus } from '../../src/index.js';
import { errorEvent, eventually, perfEvent, startTestServer, txEvent } from '../helpers.js';
import type { TestServer } from '../helpers.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './redis-env.js';

const ROUTES = [
  '/api/dashboard/overview?range=24h',
  '/api/search/?q=payment&size=50',
  '/api/search/?level=error&size=50',
  '/api/search/fields?range=24h',
  '/api/search/histogram?range=24h',
  '/api/analytics/transactions?range=24h&granularity=hourly',
  '/api/analytics/errors?range=24h',
  '/api/performance/metrics?range=24h',
  '/api/fraud/stats?range=24h',
  '/api/logs/recent?limit=20',
];

/** The answer without what legitimately differs between two servers (timing, clock, cache flag). */
function comparable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v: unknown) =>
    ['cached', 'generated_at', 'took', 'from', 'to'].includes(key) ? undefined : v,
  );
}

describe.skipIf(!REDIS_URL)('server on Redis cache vs embedded cache', () => {
  const prefix = uniquePrefix();
  let embedded: TestServer;
  let redis: TestServer;

  beforeAll(async () => {
    embedded = await startTestServer();
    redis = await startTestServer({
      stores: { cache: createRedisCache({ url: REDIS_URL, keyPrefix: prefix }) },
    });
  });
  afterAll(async () => {
    await Promise.all([embedded?.close(), redis?.close()]);
    await deletePrefix(prefix);
  });

  const ingest = async (events: ShoplogEvent[]) => {
    for (const server of [embedded, redis]) {
      const response = await server.call('/api/logs/ingest', {
        method: 'POST',
        body: JSON.stringify(events),
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status).toBe(201);
      await server.server.stores.logs.refresh();
    }
  };
  const answers = async (server: TestServer) => {
    const out: Record<string, unknown> = {};
    for (const route of ROUTES) {
      const response = await server.call(route);
      expect(response.status, route).toBe(200);
      out[route] = await response.json();
    }
    return out;
  };

  it('answers every read route identically, from a cold and from a warm cache', async () => {
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    // Offsets stay clear of the 5-minute "active users" window edge, so both servers count the same users.
    await ingest([
      txEvent({ amount: '12.50', ts: at(1.5), message: 'payment accepted' }),
      txEvent({ amount: '99.99', ts: at(65), method: 'paypal', user: 'user-2' }),
      txEvent({ amount: '5.00', ts: at(125), status: 'declined', message: 'payment declined' }),
      errorEvent('500', 'DbError', 'database down', at(10)),
      perfEvent('/checkout', 120, at(2)),
      perfEvent('/checkout', 80, at(2.5)),
      perfEvent('/cart', 15, at(8)),
    ]);
    const coldEmbedded = await answers(embedded);
    const coldRedis = await answers(redis);
    expect(comparable(coldRedis)).toEqual(comparable(coldEmbedded));
    // Second round: the Redis server now answers from Redis (cached: true where the route caches).
    const warmRedis = await answers(redis);
    expect(comparable(warmRedis)).toEqual(comparable(coldEmbedded));
    expect((warmRedis['/api/dashboard/overview?range=24h'] as { cached: boolean }).cached).toBe(true);
  });

  it('drops the Redis-cached answers when new events are ingested', async () => {
    const before = (await (await redis.call('/api/dashboard/overview?range=24h')).json()) as { total_logs: number };
    await ingest([txEvent({ amount: '1.00' }), errorEvent('503', 'Timeout')]);
    const after = (await (await redis.call('/api/dashboard/overview?range=24h')).json()) as {
      total_logs: number;
      cached: boolean;
    };
    expect(after.total_logs).toBe(before.total_logs + 2);
    expect(after.cached).toBe(false);
    const embeddedAfter = await (await embedded.call('/api/dashboard/overview?range=24h')).json();
    expect(comparable(after)).toEqual(comparable(embeddedAfter));
  });
});

describe.skipIf(!REDIS_URL)('live tail across two server instances through Redis', () => {
  it('streams an event ingested on one instance to a tail opened on the other', async () => {
    const prefix = uniquePrefix();
    // Two instances behind a load balancer: each has its own store here; the tail only needs the fan-out.
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-two-'));
    const busA = createRedisEventBus({ url: REDIS_URL, keyPrefix: prefix });
    const busB = createRedisEventBus({ url: REDIS_URL, keyPrefix: prefix });
    const a = await startTestServer({
      stores: { logs: withEventBus(createSqliteLogStore({ path: join(dir, 'a.db') }), busA) },
    });
    const b = await startTestServer({
      stores: { logs: withEventBus(createSqliteLogStore({ path: join(dir, 'b.db') }), busB) },
    });
    const controller = new AbortController();
    const tail = await b.call('/api/logs/tail', { signal: controller.signal });
    expect(tail.status).toBe(200);
    const reader = tail.body!.getReader();
    let text = '';
    const event = txEvent({ message: 'seen across instances' });
    await busB.ready(); // B's SUBSCRIBE is active, so nothing published from now on is missed
    await a.call('/api/logs/ingest', {
      method: 'POST',
      body: JSON.stringify(event),
      headers: { 'content-type': 'application/json' },
    });
    await eventually(async () => {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      return text.includes(event.event.id) ? true : undefined;
    });
    expect(text).toContain('event: log');
    controller.abort();
    await Promise.all([a.close(), b.close()]);
    rmSync(dir, { recursive: true, force: true });
    await deletePrefix(prefix);
  });
});
