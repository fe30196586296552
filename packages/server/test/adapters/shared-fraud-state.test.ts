/**
 * Fraud profiles across instances: two servers on one Redis judge with one view (an account's history built through
 * server A changes the decision on server B), and a Redis that goes away makes decisions `review` with the error as
 * the reason, never `allow`, reported once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer as createNetServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createRedisFraudStateStore,
  createRedisVelocityStore,
  type RedisFraudStateStore,
  type RedisVelocityStore,
} from '../../src/adapters/redis/index.js';
import { createServerFraudScorer } from '../../src/fraud.js';
import { startTestServer, txEvent, type TestServer } from '../helpers.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './redis-env.js';

vi.setConfig({ testTimeout: 60_000 });

interface Scored {
  score: number;
  decision: string;
  reasons: { code: string; detail?: string }[];
}

const DAY = 86_400_000;
const DESKTOP =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const PHONE =
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

async function detect(t: TestServer, body: Record<string, unknown>): Promise<Scored> {
  const res = await t.call('/api/fraud/detect', {
    key: t.keys.ingest,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Scored;
}

/** A customer's month of ordinary orders (one card, one desktop browser, one IP), then a takeover order. */
function customer(userId: string, start: number) {
  const base = {
    userId,
    email: `${userId}@example.com`,
    currency: 'EUR',
    ipCountry: 'FR',
    billingCountry: 'FR',
    issuerCountry: 'FR',
    status: 'completed',
  };
  return {
    history: Array.from({ length: 30 }, (_, d) => ({
      ...base,
      amount: 3000 + (d % 5) * 500,
      cardFingerprint: `fp-${userId}`,
      userAgent: DESKTOP,
      ip: '203.0.113.5',
      timestamp: start + d * DAY,
    })),
    takeover: {
      ...base,
      email: `${userId}.new@example.com`,
      amount: 90_000,
      cardFingerprint: `fp-other-${userId}`,
      userAgent: PHONE,
      ip: '198.51.100.9',
      timestamp: start + 31 * DAY,
    },
  };
}

describe.skipIf(!REDIS_URL)('fraud profiles shared through Redis', () => {
  const prefix = uniquePrefix();
  const velocity: RedisVelocityStore[] = [];
  const profiles: RedisFraudStateStore[] = [];
  let a: TestServer;
  let b: TestServer;
  let alone: TestServer;
  beforeAll(async () => {
    // One connection per instance, as two processes would have.
    for (let i = 0; i < 2; i++) {
      velocity.push(createRedisVelocityStore({ url: REDIS_URL, keyPrefix: prefix }));
      profiles.push(createRedisFraudStateStore({ url: REDIS_URL, keyPrefix: prefix }));
    }
    [a, b, alone] = await Promise.all([
      startTestServer({ velocity: velocity[0], fraudState: profiles[0] }),
      startTestServer({ velocity: velocity[1], fraudState: profiles[1] }),
      startTestServer(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), alone?.close()]);
    await Promise.all([...velocity, ...profiles].map((s) => s.close()));
    await deletePrefix(prefix);
  });

  it('an account history built through server A makes server B block a takeover that a server without it allows', async () => {
    const { history, takeover } = customer(`u-${randomUUID()}`, Date.now() - 40 * DAY);
    for (const order of history) expect((await detect(a, order)).decision).toBe('allow');
    const onB = await detect(b, takeover);
    expect(onB.decision).toBe('block');
    expect(onB.reasons.map((r) => r.code)).toContain('NEW_CARD_AMOUNT');
    expect(onB.reasons.find((r) => r.code === 'AMOUNT_VS_ACCOUNT')?.detail).toMatch(/30 orders/);
    // Without the month of history (a server on its own memory) the same order is a new customer's.
    expect((await detect(alone, takeover)).decision).toBe('allow');
  });
});

/** A free port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(!REDIS_URL)('a Redis that goes away', () => {
  let redisServer: ChildProcess | undefined;
  let url = '';
  beforeAll(async () => {
    // A Redis of this test's own, to stop (the shared one serves other tests).
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redisServer = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => 50 });
    probe.on('error', () => {});
    await vi.waitFor(() => probe.ping(), { timeout: 10_000, interval: 100 });
    probe.disconnect();
  });
  afterAll(() => {
    redisServer?.kill('SIGKILL');
  });

  it('judges `review` with the error as the reason, never `allow`; the failure is reported once', async () => {
    const fraudVelocity = createRedisVelocityStore({ url });
    const fraudState = createRedisFraudStateStore({ url });
    const failures: string[] = [];
    const t = await startTestServer({ velocity: fraudVelocity, fraudState });
    // The server's scorer logs through its logger (silent in tests); the same scorer with a listener counts reports.
    const watched = createServerFraudScorer({
      velocity: fraudVelocity,
      profiles: fraudState,
      onFailure: (m) => failures.push(m),
    });
    try {
      const calm = { userId: 'calm', amount: 2500, currency: 'EUR' };
      expect((await detect(t, calm)).decision).toBe('allow');
      expect((await watched.score(calm)).decision).toBe('allow');

      redisServer!.kill('SIGKILL');
      await new Promise((resolve) => redisServer!.once('exit', resolve));
      for (let i = 0; i < 3; i++) {
        const scored = await detect(t, { ...calm, transactionId: `down-${i}` });
        expect(scored.decision).toBe('review');
        expect(scored.reasons[0]!.code).toBe('SCORER_ERROR');
        expect(scored.reasons[0]!.detail).toMatch(
          /scoring failed \(review by the onError policy\): Redis fraud state store unreachable/,
        );
        expect((await watched.score({ ...calm, transactionId: `w-${i}` })).decision).toBe('review');
      }
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(/^Redis fraud state store unreachable/);
      // Ingested meanwhile: stored with a `review` fraud verdict (an alert), not waved through.
      const res = await t.call('/api/logs/_bulk', {
        key: t.keys.ingest,
        method: 'POST',
        body: JSON.stringify(txEvent({ user: 'calm', amount: '25.00' })),
      });
      expect(res.status).toBe(200);
      await t.server.stores.logs.refresh();
      const alerts = await t.read<{ alerts: { decision: string; reasons: { code: string }[] }[] }>(
        '/api/fraud/alerts?range=24h',
      );
      expect(alerts.alerts.map((x) => [x.decision, x.reasons[0]?.code])).toEqual([['review', 'SCORER_ERROR']]);
    } finally {
      await t.close();
      await Promise.race([
        Promise.all([fraudVelocity.close(), fraudState.close()]),
        new Promise((resolve) => setTimeout(resolve, 1000)),
      ]);
    }
  });
});
