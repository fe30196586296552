import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisCache } from '../../src/adapters/redis/index.js';
import { runCacheContract } from '../contracts/cache-contract.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './redis-env.js';

describe.skipIf(!REDIS_URL)('Redis cache', () => {
  runCacheContract('redis', async () => {
    const keyPrefix = uniquePrefix();
    return { cache: createRedisCache({ url: REDIS_URL, keyPrefix }), cleanup: () => deletePrefix(keyPrefix) };
  });

  it('is shared by instances: an invalidation on one is seen by the other', async () => {
    const keyPrefix = uniquePrefix();
    const a = createRedisCache({ url: REDIS_URL, keyPrefix });
    const b = createRedisCache({ url: REDIS_URL, keyPrefix });
    await a.set('analytics:overview', { total: 1 }, 60_000);
    expect(await b.get('analytics:overview')).toEqual({ total: 1 });
    await b.invalidatePrefix('analytics:');
    expect(await a.get('analytics:overview')).toBeUndefined();
    await Promise.all([a.close(), b.close()]);
    await deletePrefix(keyPrefix);
  });

  it('keeps working after Redis drops its connection (reconnects)', async () => {
    const keyPrefix = uniquePrefix();
    const shared = new Redis(REDIS_URL!);
    const cache = createRedisCache({ client: shared, keyPrefix });
    await cache.set('k', 'before', 60_000);
    const admin = new Redis(REDIS_URL!);
    const id = await shared.client('ID');
    await admin.client('KILL', 'ID', String(id));
    // The first command after the kill may fail (reported, answered as a miss); later ones succeed.
    await cache.get('k');
    await new Promise<void>((resolve) =>
      shared.status === 'ready' ? resolve() : shared.once('ready', () => resolve()),
    );
    expect(await cache.get('k')).toBe('before');
    await cache.close();
    expect(shared.status).toBe('ready'); // a borrowed client is not closed by the adapter
    await Promise.all([shared.quit(), admin.quit()]);
    await deletePrefix(keyPrefix);
  });
});

describe('Redis cache without a server', () => {
  it('answers misses and reports the errors instead of failing requests', async () => {
    const errors: string[] = [];
    // Port 1 on loopback: nothing listens there, so every command fails fast.
    const cache = createRedisCache({ url: 'redis://127.0.0.1:1', onError: (_e, op) => errors.push(op) });
    await cache.set('k', 1, 1000);
    expect(await cache.get('k')).toBeUndefined();
    await cache.invalidatePrefix('k');
    expect(errors).toEqual(['set', 'get', 'invalidate']);
    await cache.close();
  });

  it('rejects bad options with one error naming the option', () => {
    expect(() => createRedisCache({ url: 'http://127.0.0.1:6379' })).toThrow(
      /createRedisCache: invalid options: url: must be a redis:\/\//,
    );
    expect(() => createRedisCache({ url: 'redis://127.0.0.1:1', keyPrefix: 'x'.repeat(200) })).toThrow(
      /invalid options: keyPrefix: /,
    );
  });
});
