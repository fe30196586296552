import { z } from 'zod';
import type { Cache } from '../../ports.js';
import { parseOptions } from '@shoplog/core';
import { connectionShape, openRedis } from './connection.js';
import type { RedisConnectionOptions } from './connection.js';

/** Options of `createRedisCache`. */
export interface RedisCacheOptions extends RedisConnectionOptions {
  /** Called when Redis fails; the cache then answers "miss" instead of failing the request. @default ignore */
  onError?: (error: unknown, operation: 'get' | 'set' | 'delete' | 'invalidate') => void;
}

const Schema = z.object({ ...connectionShape, onError: z.function().optional() });

// Glob metacharacters of SCAN MATCH, escaped so a prefix is matched literally.
const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * The `Cache` port on Redis: JSON values with a millisecond TTL (`SET … PX`), prefix invalidation by
 * `SCAN MATCH prefix*` + `UNLINK` in batches. Shared by every server instance, so an ingest on one instance
 * invalidates the cached analytics of all. A Redis outage degrades to cache misses (reported to `onError`),
 * never to failed API calls; entries that could not be invalidated then expire with their TTL.
 */
export function createRedisCache(options: RedisCacheOptions = {}): Cache {
  const parsed = parseOptions('createRedisCache', Schema, options);
  const { redis, keyPrefix, release } = openRedis(parsed, 'Redis cache');
  const onError = options.onError ?? (() => {});
  const ns = `${keyPrefix}cache:`;
  let closed = false;

  return {
    async get<T>(key: string): Promise<T | undefined> {
      try {
        const raw = await redis.get(ns + key);
        return raw === null ? undefined : (JSON.parse(raw) as T);
      } catch (error) {
        onError(error, 'get');
        return undefined;
      }
    },
    async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
      const json = JSON.stringify(value);
      try {
        if (json === undefined) await redis.del(ns + key);
        else await redis.set(ns + key, json, 'PX', Math.max(1, Math.round(ttlMs)));
      } catch (error) {
        onError(error, 'set');
      }
    },
    async delete(key: string): Promise<void> {
      try {
        await redis.del(ns + key);
      } catch (error) {
        onError(error, 'delete');
      }
    },
    async invalidatePrefix(prefix: string): Promise<void> {
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(ns + prefix)}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.unlink(...keys);
        } while (cursor !== '0');
      } catch (error) {
        onError(error, 'invalidate');
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await release();
    },
  };
}
