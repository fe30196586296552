/**
 * Rate limits across instances: two servers whose login limiter is one Redis budget answer 429 once the budget
 * is spent across both; with their in-process limiters each server has its own budget.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter, type SharedRateLimiter } from '../../src/adapters/redis/index.js';
import { fromSharedRateLimiter } from '../../src/index.js';
import { startTestServer, type TestServer } from '../helpers.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './redis-env.js';

const BUDGET = 3;
const login = (t: TestServer) =>
  t.call('/api/auth/login', {
    key: null,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"username":"nobody","password":"wrong"}',
  });

/** Statuses of `n` wrong logins alternating between the two servers. */
async function alternate(a: TestServer, b: TestServer, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await login(i % 2 === 0 ? a : b)).status);
  return statuses;
}

describe('login budget per instance (in-process limiters)', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('gives each server its own budget', async () => {
    servers.push(await startTestServer({ authRateLimit: BUDGET }), await startTestServer({ authRateLimit: BUDGET }));
    const [a, b] = servers as [TestServer, TestServer];
    // Four attempts alternating: two per server, within each server's own budget of three.
    expect(await alternate(a, b, BUDGET + 1)).toEqual([401, 401, 401, 401]);
  });
});

describe.skipIf(!REDIS_URL)('login budget shared through Redis', () => {
  const prefix = uniquePrefix();
  const servers: TestServer[] = [];
  const limiters: SharedRateLimiter[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(limiters.map((l) => l.close()));
    await deletePrefix(prefix);
  });

  it('answers 429 with Retry-After once the budget is spent across both servers', async () => {
    for (let i = 0; i < 2; i++) {
      // One Redis connection per instance, as two processes would have; one key prefix, so one budget.
      const shared = createRedisRateLimiter({
        url: REDIS_URL,
        keyPrefix: `${prefix}auth:`,
        limit: BUDGET,
        windowMs: 60_000,
      });
      limiters.push(shared);
      servers.push(await startTestServer({ rateLimiters: { auth: fromSharedRateLimiter(shared) } }));
    }
    const [a, b] = servers as [TestServer, TestServer];
    expect(await alternate(a, b, BUDGET)).toEqual([401, 401, 401]);
    const refused = await login(b);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login(a)).status).toBe(429);
  });

  it('answers a retryable 503, not an unlimited login, when Redis is unreachable', async () => {
    const down = createRedisRateLimiter({ url: 'redis://127.0.0.1:1', keyPrefix: `${prefix}down:` });
    limiters.push(down);
    const t = await startTestServer({ rateLimiters: { auth: fromSharedRateLimiter(down) } });
    servers.push(t);
    const res = await login(t);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });
});
