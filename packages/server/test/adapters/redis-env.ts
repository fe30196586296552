/** Redis for the adapter tests: `REDIS_URL` (CI sets it), a unique key prefix per test, and the skip reason. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis URL, or undefined (then the Redis suites are skipped with a printed reason). */
export const REDIS_URL = process.env['REDIS_URL'];

if (!REDIS_URL) console.warn('Redis adapter tests skipped: set REDIS_URL (e.g. redis://127.0.0.1:6390) to run them.');

/** A key prefix no other test (or developer) uses. */
export const uniquePrefix = (): string => `shoplog-test:${randomUUID()}:`;

/** Deletes every key under `prefix` (cleanup after a test). */
export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL!);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
