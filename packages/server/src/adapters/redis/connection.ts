import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { z } from 'zod';

/** How a Redis adapter gets its connection. */
export interface RedisConnectionOptions {
  /** A `redis://` or `rediss://` URL; ignored when `client` is given. @default process.env.REDIS_URL */
  url?: string;
  /** An existing ioredis client to share (the adapter then never closes it). */
  client?: Redis;
  /** Prefix of every key, so several deployments (or tests) can share one Redis. @default 'shoplog:' */
  keyPrefix?: string;
}

const ConnectionSchema = z.object({
  url: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  client: z.custom<Redis>((value) => value instanceof Redis, 'must be an ioredis client').optional(),
  keyPrefix: z.string().max(128).default('shoplog:'),
});

/** A connection as the adapters use it. */
export interface RedisConnection {
  redis: Redis;
  keyPrefix: string;
  /** Closes the connection when the adapter opened it. */
  release(): Promise<void>;
}

/** The zod shape of the connection options, to extend in each adapter's schema. */
export const connectionShape = ConnectionSchema.shape;

/**
 * Opens (or borrows) a connection. ioredis reconnects by itself with a capped backoff; while it is down,
 * commands fail after one retry instead of queueing without bound, so a Redis outage shows up as errors the
 * adapters handle rather than as requests that hang.
 */
export function openRedis(
  options: { url?: string | undefined; client?: Redis | undefined; keyPrefix: string },
  what: string,
): RedisConnection {
  if (options.client) return { redis: options.client, keyPrefix: options.keyPrefix, release: () => Promise.resolve() };
  const url = options.url ?? process.env['REDIS_URL'];
  if (!url) throw new TypeError(`Invalid ${what} option \`url\`: no Redis URL given and REDIS_URL is not set`);
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    lazyConnect: false,
  });
  // Without a listener, ioredis prints every failed reconnection attempt as an unhandled error.
  redis.on('error', () => {});
  return {
    redis,
    keyPrefix: options.keyPrefix,
    release: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * Runs a Lua script by its SHA-1 (`EVALSHA`), sending the source only when Redis does not know it yet
 * (`NOSCRIPT`, e.g. after a restart), so each call carries the keys and arguments alone.
 */
export async function runScript(
  redis: Redis,
  script: string,
  keys: readonly string[],
  args: readonly (string | number | Buffer)[],
): Promise<unknown> {
  const sha = scriptSha(script);
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}

const shas = new Map<string, string>();
function scriptSha(script: string): string {
  let sha = shas.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}
